"""This browser's camera through sharpcam and back, in a real headless Chromium: its fake camera plays a 480p
clip made here whose frames carry their number as a stripe code (ten cells, then the same ten inverted, so a
frame without a code cannot pass for one). The page sends it over WebRTC, sharpcam runs it as the session's
source, and the picture comes back on the same connection.

Checked: frames come back, none out of order, and the glass-to-glass latency: the page decodes each frame's
number where it shows the camera's own picture (the preview in the corner) and where it shows the picture that
came back (the after half), timed by requestVideoFrameCallback's expectedDisplayTime on the page's one clock.
Latency = when the page showed frame N back - when it showed frame N from the camera, so the fake camera's own
capture-to-preview delay (a few ms, no optics) is the only part not counted.

With SHARPCAM_APP_ROUNDTRIP=path the numbers are written there as Markdown (benchmarks/results/app_roundtrip.md
was written so).
"""
from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import numpy as np
import pytest
from app_browser import chromium, running_app

pytest.importorskip("aiohttp", reason="the [app] extra is not installed: pip install -e '.[app]'")
pytest.importorskip("aiortc", reason="the [app] extra is not installed: pip install -e '.[app]'")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH, HEIGHT, FPS = 640, 480, 30
CLIP_FRAMES = 150  # 5 s, then the fake camera plays it again (numbers repeat: matched by time, below)
BITS, CELL, BAND = 10, 32, 48  # 2 * BITS cells of CELL px make the top BAND rows: 640 px wide
MEASURE_S = 20.0  # how long the page records once the picture comes back
WARM_UP_S = 3.0  # the first seconds back (the session starting, the bandwidth estimate ramping) left out
REALTIME_S = 1.0  # p50 above this is not a live picture at all; the 150 ms target is reported, not asserted


def stripe_frame(number: int) -> np.ndarray:
    """The luma plane of frame `number`: its code at the top and again at the bottom, a texture with detail for
    the model between. The code is Gray's (consecutive numbers differ in one cell), and the page accepts a
    reading only where both bands agree: an encoder that left some blocks of the previous frame in place
    (skipped blocks at a low bitrate) cannot pass for a third number."""
    y = np.indices((HEIGHT, WIDTH)).sum(axis=0) % 64 * 2 + 60
    y = y.astype(np.uint8)
    gray = number ^ (number >> 1)
    bits = [(gray >> (BITS - 1 - i)) & 1 for i in range(BITS)]
    for i, bit in enumerate(bits + [1 - b for b in bits]):
        y[:BAND, i * CELL:(i + 1) * CELL] = 235 if bit else 16
        y[-BAND:, i * CELL:(i + 1) * CELL] = 235 if bit else 16
    return y


def write_y4m(path: Path) -> Path:
    chroma = np.full((HEIGHT // 2) * (WIDTH // 2) * 2, 128, np.uint8).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for number in range(CLIP_FRAMES):
            out.write(b"FRAME\n" + stripe_frame(number).tobytes() + chroma)
    return path


# Decode the code from each frame each video presents, with the time the page shows it. x0: where the code
# starts in the video's own pixels (the after half of before | after starts at the camera's width).
RECORD = """
const [bits, cell, rows, seconds, width, done] = arguments;
function reader(video, x0) {
  const canvas = document.createElement('canvas');
  [canvas.width, canvas.height] = [2 * bits * cell, 1];
  const context = canvas.getContext('2d', {willReadFrequently: true});
  const band = (row) => {
    context.drawImage(video, x0, row, canvas.width, 1, 0, 0, canvas.width, 1);
    const data = context.getImageData(0, 0, canvas.width, 1).data;
    let gray = 0;
    for (let i = 0; i < bits; i++) {
      const bit = data[(i * cell + cell / 2) * 4] > 128, check = data[((bits + i) * cell + cell / 2) * 4] > 128;
      if (bit === check) return null;
      gray = gray * 2 + (bit ? 1 : 0);
    }
    let number = 0;
    for (let g = gray; g; g >>= 1) number ^= g;  // Gray code back to the number
    return number;
  };
  return () => {
    const [top, bottom] = rows.map(band);
    return top !== null && top === bottom ? top : null;
  };
}
const seen = {camera: [], back: []};
function watch(video, x0, into) {
  const read = reader(video, x0);
  const step = (now, meta) => {
    const number = read();
    if (number !== null) into.push([number, meta.expectedDisplayTime]);
    video.requestVideoFrameCallback(step);
  };
  video.requestVideoFrameCallback(step);
}
watch(document.getElementById('local'), 0, seen.camera);
watch(document.getElementById('after'), width, seen.back);
setTimeout(() => done(seen), seconds * 1000);
"""


def latencies(camera: list, back: list) -> list[tuple[float, float, float]]:
    """Each frame shown back, against the latest time the page showed the same number from the camera before
    it, within half the clip's period (it repeats every CLIP_FRAMES / FPS s): where the preview missed that
    showing, the one a loop earlier is not this frame, and the frame goes unmatched. Returns (latency ms, time
    shown back, time shown from the camera) in the order the frames came back."""
    shown: dict[int, list[float]] = {}
    for number, t in camera:
        shown.setdefault(number, []).append(t)
    out = []
    for number, t in back:
        earlier = [s for s in shown.get(number, []) if t - CLIP_FRAMES / FPS * 500 < s <= t]
        if earlier:
            out.append((t - earlier[-1], t, earlier[-1]))
    return out


def report(lat: list[float], back: int, camera: int, load: tuple[float, float], state: dict,
           out_of_order: int = 0) -> str:
    p50, p95 = np.percentile(lat, 50), np.percentile(lat, 95)
    return "\n".join([
        "# `sharpcam app`: this browser's camera through sharpcam and back",
        "",
        f"Measured by tests/runtime/test_app_roundtrip.py on {time.strftime('%Y-%m-%d')}: headless Chromium's "
        f"fake camera playing a {WIDTH}x{HEIGHT} @ {FPS} fps clip whose frames carry their number, over WebRTC "
        f"to `sharpcam app` (default student; backend {state['backend_name']}, load policy "
        f"{state.get('load_policy', '-')} at the end), the before | after picture "
        "back on the same connection. Latency: when the page shows frame N back minus when it showed frame N "
        "from the camera (requestVideoFrameCallback's expectedDisplayTime), after "
        f"{WARM_UP_S:.0f} s of warm-up, over {MEASURE_S - WARM_UP_S:.0f} s.",
        "",
        f"| frames back in {MEASURE_S:.0f} s | shown from the camera | came back after a later one | p50 ms | "
        "p95 ms | target p50 | machine |",
        "|---|---|---|---|---|---|---|",
        f"| {back} | {camera} | {out_of_order} | {p50:.0f} | {p95:.0f} | <= 150 ms | {os.cpu_count()} CPUs, load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after (Chromium, the app and other work on the machine) |",
        "",
        "",
    ])


def test_this_browsers_camera_goes_through_sharpcam_and_comes_back_in_order(tmp_path):
    clip = write_y4m(tmp_path / "clip.y4m")
    driver = chromium("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                      f"--use-file-for-fake-video-capture={clip}")
    try:
        with running_app("--source", "builtin") as url:
            load_before = os.getloadavg()[0]
            driver.get(url)
            driver.find_element("id", "browser-camera").click()
            from selenium.webdriver.support.ui import WebDriverWait
            WebDriverWait(driver, 60, poll_frequency=0.2).until(lambda d: d.execute_script(
                "return document.getElementById('after').videoWidth") == 2 * WIDTH)
            driver.set_script_timeout(MEASURE_S + 30)
            seen = driver.execute_async_script(RECORD, BITS, CELL, [BAND // 2, HEIGHT - BAND // 2], MEASURE_S,
                                               WIDTH)
            state = driver.execute_script("return fetch('api/state', {headers: {'X-Sharpcam-Token': "
                                          "document.querySelector('meta[name=sharpcam-token]').content}})"
                                          ".then((r) => r.json())")
            load_after = os.getloadavg()[0]
    finally:
        driver.quit()
    assert state["source"] == "this browser's camera" and state["size"] == [WIDTH, HEIGHT], state
    camera, back = seen["camera"], seen["back"]
    assert len(camera) > MEASURE_S * FPS / 4, f"the page showed only {len(camera)} frames of its own camera"
    matched = latencies(camera, back)
    assert len(matched) > MEASURE_S * 5, f"only {len(matched)} frames came back in {MEASURE_S:.0f} s"
    sent = [t for _, _, t in matched]
    out_of_order = sum(1 for a, b in zip(sent, sent[1:]) if b < a)
    # Once in six full CI runs on a loaded 2-core machine one frame of ~370 came back after a later one (cause not
    # found: open in issue 21's note); more than one in a hundred would be a broken pipeline, not that event.
    assert out_of_order <= len(sent) // 100, f"{out_of_order} of {len(sent)} frames came back after a later one"
    # a camera frame shown back twice (the fake camera repeating one at its loop, a stalled source's last frame
    # shown again) counts once: its first showing is its latency
    matched = [m for i, m in enumerate(matched) if i == 0 or m[2] != matched[i - 1][2]]
    start = matched[0][1] + WARM_UP_S * 1000
    steady = [ms for ms, t, _ in matched if t >= start]
    assert len(steady) > MEASURE_S * 3, f"only {len(steady)} frames came back after the warm-up"
    p50 = statistics.median(steady)
    text = report(steady, len(back), len(camera), (load_before, load_after), state, out_of_order)
    print(text)
    if os.environ.get("SHARPCAM_APP_ROUNDTRIP"):
        Path(os.environ["SHARPCAM_APP_ROUNDTRIP"]).write_text(text)
    assert p50 < REALTIME_S * 1000, f"glass-to-glass p50 {p50:.0f} ms: not a live picture"
