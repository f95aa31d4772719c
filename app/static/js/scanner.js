// The lab's scanning page: read sample labels' QR codes with the camera (jsQR) and receive
// each sample with one JSON request; the manual form sends the same request. Without
// JavaScript the page is a plain form that posts and redirects; without a camera (or when
// the browser refuses it) the manual form is all there is.
(function () {
  "use strict";

  var scanner = document.getElementById("scanner");
  var video = document.getElementById("camera");
  var canvas = document.getElementById("frame");
  var statusLine = document.getElementById("scanner-status");
  var list = document.getElementById("scan-list");
  var counter = document.getElementById("scan-count");
  var manual = document.getElementById("manual");
  if (!scanner || !list || !window.fetch) return;

  var endpoint = scanner.getAttribute("data-endpoint");
  var csrf = scanner.getAttribute("data-csrf");
  var FRAME_MS = 125; // ~8 decodes a second is plenty and spares a phone's battery
  var REPEAT_MS = 3000; // a label still in view is not sent again
  var MAX_WIDTH = 640; // decode a downscaled frame: faster, and QR labels are large enough
  var received = 0;
  var busy = false; // one request at a time from the camera
  var lastSeen = {}; // decoded text -> when it was last in view (ms)
  var audio = null;

  function setStatus(text) {
    if (statusLine) statusLine.textContent = text;
  }

  // --- Feedback: a line in the list, a buzz and a beep (each only where supported) -------

  // The page's one AudioContext, created (or resumed) on demand; null without WebAudio.
  function sound() {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return null;
      audio = audio || new Context();
      if (audio.state === "suspended" && audio.resume) audio.resume();
      return audio;
    } catch (e) {
      return null;
    }
  }

  function beep(ok) {
    if (!sound()) return;
    try {
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      var now = audio.currentTime;
      var length = ok ? 0.12 : 0.3;
      tone.type = ok ? "sine" : "square";
      tone.frequency.value = ok ? 1320 : 220;
      gain.gain.setValueAtTime(0.2, now);
      gain.gain.exponentialRampToValueAtTime(0.001, now + length);
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start(now);
      tone.stop(now + length);
    } catch (e) {
      /* no sound: the list still says what happened */
    }
  }

  function buzz(ok) {
    try {
      if (navigator.vibrate) navigator.vibrate(ok ? 80 : [60, 60, 60]);
    } catch (e) {
      /* not supported */
    }
  }

  function report(ok, message) {
    var item = document.createElement("li");
    item.className = ok ? "ok" : "fail";
    item.textContent = message;
    list.appendChild(item);
    if (ok) {
      received += 1;
      if (counter) counter.textContent = String(received);
    }
    buzz(ok);
    beep(ok);
  }

  // Browsers only let a page make sound after a tap: unlock the audio on the first one.
  function unlockAudio() {
    sound();
    document.removeEventListener("click", unlockAudio, true);
    document.removeEventListener("touchend", unlockAudio, true);
  }
  document.addEventListener("click", unlockAudio, true);
  document.addEventListener("touchend", unlockAudio, true);

  // --- The request both the camera and the manual form send ------------------------------

  function receive(code) {
    return fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrf,
        Accept: "application/json",
      },
      body: JSON.stringify({ code: code }),
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          // A login page after a redirect (session expired), a CSRF refusal, a 500 page…
          var reason = response.redirected
            ? "登录已过期，请刷新页面后重新登录。"
            : "服务器出错（HTTP " + response.status + "），请重试。";
          report(false, reason);
          return false;
        }
        return response.json().then(function (body) {
          var ok = !!(response.ok && body.ok);
          report(ok, body.message || (ok ? "已接收。" : "未能接收（HTTP " + response.status + "）。"));
          return ok;
        });
      })
      .catch(function () {
        report(false, "网络错误，未能接收，请重试。");
        return false;
      });
  }

  // --- The manual form: same request, stay on the page -----------------------------------

  if (manual) {
    var input = manual.querySelector("input[name=code]");
    var button = manual.querySelector("button[type=submit], button:not([type])");
    manual.addEventListener("submit", function (event) {
      if (!input) return; // let it post normally
      event.preventDefault();
      var code = input.value.trim();
      if (!code) {
        input.focus();
        return;
      }
      if (button) button.disabled = true;
      receive(code).then(function () {
        if (button) button.disabled = false;
        input.value = "";
        input.focus();
      });
    });
  }

  // --- The camera -------------------------------------------------------------------------

  var media = navigator.mediaDevices;
  if (!media || !media.getUserMedia || !video || !canvas || !window.jsQR) return;
  var context = canvas.getContext("2d", { willReadFrequently: true });
  if (!context) return;

  scanner.hidden = false;
  setStatus("正在打开摄像头…");

  function seenRecently(text, now) {
    var last = lastSeen[text];
    lastSeen[text] = now; // a label held in view keeps pushing its window forward
    return last !== undefined && now - last < REPEAT_MS;
  }

  function tick() {
    if (!busy && video.readyState >= 2 && video.videoWidth) {
      var scale = Math.min(1, MAX_WIDTH / video.videoWidth);
      var width = Math.round(video.videoWidth * scale);
      var height = Math.round(video.videoHeight * scale);
      if (canvas.width !== width) canvas.width = width;
      if (canvas.height !== height) canvas.height = height;
      context.drawImage(video, 0, 0, width, height);
      var frame = context.getImageData(0, 0, width, height);
      var found = window.jsQR(frame.data, width, height, { inversionAttempts: "dontInvert" });
      if (found && found.data && !seenRecently(found.data, Date.now())) {
        busy = true;
        receive(found.data).then(function () {
          busy = false;
        });
      }
    }
    window.setTimeout(tick, FRAME_MS);
  }

  media
    .getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
    .then(function (stream) {
      video.srcObject = stream;
      video.setAttribute("playsinline", "");
      video.muted = true;
      var playing = video.play();
      if (playing && playing.catch) playing.catch(function () {});
      setStatus("将标签上的二维码对准摄像头。");
      window.addEventListener("pagehide", function () {
        stream.getTracks().forEach(function (track) {
          track.stop();
        });
      });
      tick();
    })
    .catch(function (error) {
      video.hidden = true;
      var refused = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
      setStatus(
        refused
          ? "未获准使用摄像头，请在下方手动输入编号。"
          : "无法打开摄像头，请在下方手动输入编号。"
      );
    });
})();
