"""`sharpcam app`'s controls used through the page in headless Chromium, as a user clicks them: the low-light
and temporal toggles reach the server (and the settings file) within the slider's 200 ms; Pause shows a
lossless still (its before half is a frame of the built-in clip, bit for bit: no codec in between); Snapshot
writes a PNG and Record a playable video inside the output folder, shown as the user knows it (~/...); the
source picker lists the videos in --media and switches the session to one.

One app and one browser for the whole file (each start costs seconds of a loaded 2-core CPU); the tests run in
file order, the source switch last. Needs what tests/runtime/test_app_browser.py needs; skips without it.
"""
from __future__ import annotations

import base64
import json
import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from app_browser import chromium, running_app

pytest.importorskip("aiohttp", reason="the [app] extra is not installed: pip install -e '.[app]'")
pytest.importorskip("aiortc", reason="the [app] extra is not installed: pip install -e '.[app]'")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEADLINE_S = 0.2  # a toggle reaches the pipeline as fast as the slider must
MEDIA_SIZE = (320, 240)


class App:
    def __init__(self, url: str, root: Path) -> None:
        self.url, self.root = url, root
        self.base, self.token = url.split("/?token=")
        self.out = root / "home" / "Videos" / "sharpcam"
        self.media = root / "media"
        self.settings = root / "settings.json"

    def state(self) -> dict:
        """The server's state; while the source changes (no session for a moment), until it has one again."""
        for _ in range(100):
            state = self._state()
            if not state.get("switching"):
                return state
            time.sleep(0.1)
        raise AssertionError("the app stayed between two sources for 10 s")

    def _state(self) -> dict:
        request = urllib.request.Request(f"{self.base}/api/state", headers={"X-Sharpcam-Token": self.token})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)


def write_video(path: Path, frames: int = 30) -> None:
    """A small real video, written by the same writer as `cam --sink FILE`."""
    from runtime.sinks.factory import open_sink

    sink = open_sink(str(path), MEDIA_SIZE, 30.0)
    for i in range(frames):
        sink.write(np.full((MEDIA_SIZE[1], MEDIA_SIZE[0], 3), (40 + 5 * i) % 256, np.uint8))
    sink.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[App]:
    """The app on the built-in clip, its home folder (for ~) and settings file its own, --out under that home."""
    root = tmp_path_factory.mktemp("app_page")
    (root / "media").mkdir()
    write_video(root / "media" / "talk.mp4")
    env = {"HOME": str(root / "home"), "SHARPCAM_CONFIG": str(root / "settings.json")}
    out = root / "home" / "Videos" / "sharpcam"
    with running_app("--source", "builtin", "--out", str(out), "--media", str(root / "media"), env=env) as url:
        yield App(url, root)


@pytest.fixture(scope="module")
def page(app) -> Iterator[object]:
    driver = chromium()
    driver.get(app.url)
    wait(driver, lambda d: decoded(d) > 5, timeout=90)
    yield driver
    driver.quit()


def wait(driver, condition, timeout: float = 20.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d))


def decoded(driver) -> int:
    return driver.execute_script("return document.getElementById('after').getVideoPlaybackQuality().totalVideoFrames")


def said(driver) -> str:
    return driver.find_element("id", "said").text


# A toggle changed in the page as a user's click does (its change event), timed in the page from the event
# until the server reports `key` at `value`: page -> server -> pipeline, without Selenium's own overhead.
TOGGLE_LATENCY = """
const [id, value, key, done] = arguments, input = document.getElementById(id);
const token = document.querySelector('meta[name="sharpcam-token"]').content;
if (input.type === 'checkbox') input.checked = value; else input.value = value;
const event = new Event('change');
input.dispatchEvent(event);
const read = {low_light: (s) => s.low_light.mode, temporal: (s) => s.temporal}[key];
const poll = () => fetch('api/state', {headers: {'X-Sharpcam-Token': token}}).then((r) => r.json())
  .then((s) => read(s) === value ? done((performance.now() - event.timeStamp) / 1000) : setTimeout(poll, 5));
poll();
"""


def test_the_toggles_reach_the_pipeline_and_are_remembered(app, page):
    assert app.state()["low_light"]["mode"] == "auto" and app.state()["temporal"] is True
    took = [page.execute_async_script(TOGGLE_LATENCY, "low-light", "off", "low_light"),
            page.execute_async_script(TOGGLE_LATENCY, "temporal", False, "temporal")]
    assert max(took) < DEADLINE_S, f"the toggles took {[round(t * 1000) for t in took]} ms"
    state = app.state()
    assert state["low_light"]["mode"] == "off" and state["temporal"] is False  # the pipeline runs without both
    remembered = json.loads(app.settings.read_text())  # for the next run, of the app and of `cam`
    assert remembered["low_light"] == "off" and remembered["temporal"] is False
    wait(page, lambda d: d.find_element("id", "temporal-state").text.startswith("off"), timeout=5)
    page.find_element("id", "temporal").click()  # and back, as a user clicks it
    page.find_element("css selector", "#low-light option[value='on']").click()
    wait(page, lambda d: app.state()["temporal"] is True and app.state()["low_light"]["mode"] == "on", timeout=5)
    wait(page, lambda d: d.find_element("id", "low-light-state").text.startswith("on"), timeout=5)
    assert json.loads(app.settings.read_text())["low_light"] == "on"
    print(f"toggles -> pipeline: {', '.join(f'{t * 1000:.0f}' for t in took)} ms")


# The still as the page shows it: its pixels drawn into a canvas, read back as a (lossless) PNG
SHOWN_AS_PNG = """
const still = document.getElementById(arguments[0]), canvas = document.createElement('canvas');
[canvas.width, canvas.height] = [still.naturalWidth, still.naturalHeight];
canvas.getContext('2d').drawImage(still, 0, 0);
return canvas.toDataURL('image/png').split(',')[1];
"""


def test_pause_shows_a_lossless_still_in_place_of_the_video(app, page):
    from runtime.imaging import opencv
    from runtime.sources import BuiltinClip

    page.find_element("id", "pause").click()
    wait(page, lambda d: d.execute_script(
        "const i = document.getElementById('still-after'); return !i.hidden && i.complete && i.naturalWidth"))
    assert page.execute_script("return document.getElementById('after').paused")
    assert "lossless still" in said(page)
    png = base64.b64decode(page.execute_script(SHOWN_AS_PNG, "still-after"))
    still = opencv().imdecode(np.frombuffer(png, np.uint8), opencv().IMREAD_COLOR)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and still.shape == (480, 1280, 3)
    clip, distances = BuiltinClip(), []
    while (frame := clip.read()) is not None:  # `before` is the clip's frame as read (low light acts after)
        distances.append(np.abs(still[:, :640].astype(int) - frame).mean())
    closest = min(distances)
    assert closest == 0, f"the still's before half is {closest:.2f} grey levels from every frame of the clip"
    page.find_element("id", "pause").click()  # resume: the video again
    wait(page, lambda d: d.execute_script("return document.getElementById('still-after').hidden "
                                          "&& !document.getElementById('after').paused"), timeout=5)


def test_snapshot_and_record_write_into_the_output_folder_shown_on_the_page(app, page):
    from runtime.imaging import opencv
    from runtime.sources import open_source

    assert page.find_element("id", "out-folder").text == f"in {os.path.join('~', 'Videos', 'sharpcam')}"
    name = page.find_element("id", "snapshot-name")
    name.clear()
    name.send_keys("look.png")
    page.find_element("id", "snapshot").click()
    wait(page, lambda d: (app.out / "look.png").exists(), timeout=10)
    assert "wrote look.png" in said(page)
    assert opencv().imread(str(app.out / "look.png")).shape == (480, 640, 3)

    name = page.find_element("id", "record-name")
    name.clear()
    name.send_keys("take.mp4")
    page.find_element("id", "record").click()
    wait(page, lambda d: app.state()["outputs"]["recording"] == "take.mp4", timeout=10)
    wait(page, lambda d: d.find_element("id", "record").text == "Stop", timeout=5)
    time.sleep(2.0)
    page.find_element("id", "record").click()
    wait(page, lambda d: "wrote take.mp4" in said(d), timeout=10)
    assert app.state()["outputs"]["recording"] is None
    video = open_source(str(app.out / "take.mp4"))  # playable: it opens and decodes, at the source's size
    try:
        frames = 0
        while video.read() is not None:
            frames += 1
        assert video.size == (640, 480) and frames >= 20, (video.size, frames)
    finally:
        video.close()


def test_the_source_picker_switches_the_session_to_a_video_in_media(app, page):
    from selenium.webdriver.support.ui import Select

    picker = Select(page.find_element("id", "source"))
    wait(page, lambda d: "talk.mp4" in [o.text for o in picker.options], timeout=10)
    assert "built-in clip" in [o.text for o in picker.options]
    picker.select_by_visible_text("talk.mp4")
    wait(page, lambda d: app.state()["source"] == str(app.media / "talk.mp4"), timeout=20)
    assert app.state()["size"] == list(MEDIA_SIZE)
    wait(page, lambda d: d.execute_script("return document.getElementById('after').videoWidth")
         == 2 * MEDIA_SIZE[0], timeout=20)  # the page's picture is the new source's, before | after
    assert json.loads(app.settings.read_text())["source"] == str(app.media / "talk.mp4")
    picker.select_by_visible_text("built-in clip")
    wait(page, lambda d: app.state()["source"] == "builtin", timeout=20)
