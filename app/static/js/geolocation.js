// Fills the sampling form's optional location from the browser, when the inspector allows it.
(function () {
  var latitude = document.getElementById("latitude");
  var longitude = document.getElementById("longitude");
  if (!latitude || !longitude || !navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(
    function (position) {
      latitude.value = position.coords.latitude.toFixed(6);
      longitude.value = position.coords.longitude.toFixed(6);
    },
    function () { /* refused or unavailable: the form works without it */ },
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
  );
})();
