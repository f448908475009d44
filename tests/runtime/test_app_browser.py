"""`sharpcam app` in a real headless Chromium: the page refuses a visit without the token, plays the live video
over WebRTC (frames decoded by the browser), the slider reaches the pipeline's backend, and the stats move.

Needs Debian's chromium and chromium-driver (.ci/run installs them), selenium ([dev]) and the [app] extra;
skips, saying which is missing, without them. The test saves a screenshot of the page; with
SHARPCAM_APP_SCREENSHOT=path it also writes it there (docs/app.png in the README was taken so).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason="the [app] extra is not installed: pip install -e '.[app]'")
pytest.importorskip("aiortc", reason="the [app] extra is not installed: pip install -e '.[app]'")

ROOT = Path(__file__).resolve().parents[2]
BROWSER = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
DRIVER = shutil.which("chromedriver")
FRAMES_WANTED = 60  # decoded by the browser: a couple of seconds of live video, not a lucky first frame
SLIDER_DEADLINE_S = 0.2

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _driver():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: pip install -e '.[dev]'")
    if BROWSER is None or DRIVER is None:
        pytest.skip("no headless browser: apt-get install chromium chromium-driver (.ci/run does)")
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch browsers or drivers
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--disable-background-networking", "--autoplay-policy=no-user-gesture-required",
                "--window-size=1366,768"):  # --no-sandbox because CI runs as root
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(DRIVER), options=options)


@pytest.fixture
def browser() -> Iterator[object]:
    driver = _driver()
    yield driver
    driver.quit()


@pytest.fixture
def app_url() -> Iterator[str]:
    """`python -m runtime.app` on the built-in clip, as a user starts it (without the browser it would open)."""
    proc = subprocess.Popen([sys.executable, "-m", "runtime.app", "--source", "builtin", "--no-browser"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    url = next((w for w in line.split() if w.startswith("http://127.0.0.1:")), None)
    assert url, f"sharpcam app did not start: {line!r}"
    yield url
    proc.terminate()  # SIGTERM: the server and the session close in order, and the process ends by itself
    assert proc.wait(timeout=20) == 0


def _state(url: str) -> dict:
    base, token = url.split("/?token=")
    request = urllib.request.Request(f"{base}/api/state", headers={"X-Sharpcam-Token": token})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def _wait(driver, condition, timeout: float = 20.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d))


def _decoded(driver) -> int:
    return driver.execute_script("return document.getElementById('after').getVideoPlaybackQuality().totalVideoFrames")


def test_the_page_is_refused_without_the_token(browser, app_url):
    base = app_url.split("/?token=")[0]
    for url in (base + "/", base + "/?token=wrong"):
        browser.get(url)
        assert "403 forbidden" in browser.find_element("tag name", "body").text
        assert not browser.find_elements("id", "view")


def test_the_page_plays_the_live_video_and_the_slider_reaches_the_pipeline(browser, app_url, tmp_path):
    from selenium.webdriver.common.keys import Keys

    browser.get(app_url)
    _wait(browser, lambda d: _decoded(d) > FRAMES_WANTED, timeout=90)
    decoded = _decoded(browser)
    width, height = browser.execute_script("const v = document.getElementById('after'); "
                                           "return [v.videoWidth, v.videoHeight]")
    assert (width, height) == (2 * 640, 480)  # before | after of the built-in clip, side by side

    assert _state(app_url)["applied_strength"] == 1.0
    slider = browser.find_element("id", "strength")
    slider.click()  # focus (a click moves it too, as a user's does); End then Home: full, then off
    slider.send_keys(Keys.END)
    _wait(browser, lambda d: _state(app_url)["applied_strength"] == 1.0)
    started = time.perf_counter()
    slider.send_keys(Keys.HOME)
    while _state(app_url)["applied_strength"] != 0.0 and time.perf_counter() - started < 5:
        pass
    slider_s = time.perf_counter() - started  # keystroke -> page -> server -> the backend's strength
    assert _state(app_url)["strength"] == 0.0
    assert slider_s < SLIDER_DEADLINE_S, f"the backend took {slider_s * 1000:.0f} ms to follow the slider"

    frames_before = int(browser.find_element("id", "frames").text)
    _wait(browser, lambda d: int(d.find_element("id", "frames").text) > frames_before, timeout=5)
    stages = [row.text.split()[0] for row in browser.find_elements("css selector", "#stages tbody tr")]
    assert "end_to_end" in stages and float(browser.find_element("id", "fps").text) > 0

    slider.send_keys(Keys.END)  # the picture with the correction on, for the screenshot
    _wait(browser, lambda d: _state(app_url)["applied_strength"] == 1.0)
    time.sleep(1.0)
    shot = tmp_path / "app.png"
    browser.save_screenshot(str(shot))
    if os.environ.get("SHARPCAM_APP_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["SHARPCAM_APP_SCREENSHOT"])
    print(f"decoded {decoded} frames; slider -> backend {slider_s * 1000:.0f} ms")
