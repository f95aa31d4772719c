"""Browser fixtures: the session app served by a real HTTP server in this process, and
Debian's Chromium driven by Playwright as a 360 px wide phone with JavaScript switched off.

The server runs in a thread of the test process, so a test can read the fake SMS outbox
(app.extensions["sms_sender"].outbox) to learn the one-time code a resident was sent.
"""

import threading

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    # Residents' pages must work without JavaScript: the browser runs none.
    "java_script_enabled": False,
}


class _QuietHandler(WSGIRequestHandler):
    """No access-log line per request (failures still show the test's own output)."""

    def log_request(self, code="-", size="-") -> None:
        pass


@pytest.fixture(scope="session")
def live_server(app):
    """Base URL of the session app served on 127.0.0.1 (a free port) from a daemon thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh phone-sized page (own cookies) per test, JavaScript disabled."""
    context = browser.new_context(base_url=live_server, **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def camera_browser(browser):
    """Launch a separate Chromium whose camera plays a .y4m video (looped), camera allowed
    without a prompt: `camera_browser(path)`. Closed after the test."""
    launched = []

    def launch(video_path):
        camera = browser.browser_type.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video_path}",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        launched.append(camera)
        return camera

    try:
        yield launch
    finally:
        for camera in launched:
            camera.close()
