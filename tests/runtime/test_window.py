"""The OpenCV preview window's fixes (issue 21), without a display: WindowView's drawing, and WindowSink
against a stand-in for OpenCV's window calls. Each line is drawn in one pass at a readable size, the status
line wraps inside its half instead of being cut, the window has no toolbar, its close button quits, and a
file shown in a window plays at its frame rate."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.cam import parse_args, session_config
from runtime.controls import Controls
from runtime.errors import SharpcamError
from runtime.imaging import opencv
from runtime.sinks import window as window_module
from runtime.sinks.window import WindowSink, WindowView, text_style, wrap

STATUS = ("14.0 fps, 5 frames, 16 dropped, 0 errors, policy auto:1 thread, cpu 89.2 ms/frame (0.56 cores) | "
          "p50/p95 ms: capture 0.2/0.7, infer 75.9/341.6, output 12.6/21.6, end_to_end 100.2/377.9")


def picture(height: int = 480, width: int = 640) -> np.ndarray:
    return np.full((height, width, 3), 128, np.uint8)


def test_each_line_is_drawn_once_with_one_thickness(monkeypatch):
    cv2, calls = opencv(), []
    real = cv2.putText

    def counting(image, text, origin, font, scale, colour, thickness, *rest):
        calls.append((text, thickness))
        return real(image, text, origin, font, scale, colour, thickness, *rest)
    monkeypatch.setattr(cv2, "putText", counting)
    WindowView(side_by_side=True, controls=Controls()).compose(picture(), picture(), "a short status")
    texts = [text for text, _ in calls]
    assert texts == ["BEFORE (original)", "AFTER  strength 1.0", "h: help", "a short status"]  # once each
    assert len({thickness for _, thickness in calls}) == 1


def test_text_is_readable_and_grows_with_the_picture():
    cv2 = opencv()
    heights = {}
    for height in (480, 720, 1080):
        style = text_style(height)
        heights[height] = cv2.getTextSize("AFTER", cv2.FONT_HERSHEY_SIMPLEX, style.scale, style.thickness)[0][1]
    assert heights[480] >= 12 and heights[480] < heights[720] < heights[1080], heights  # the old 0.45: ~10 px


def test_the_status_line_wraps_inside_its_half_instead_of_being_cut():
    cv2, style = opencv(), text_style(480)
    lines = wrap(cv2, STATUS, 640 - 2 * style.margin, style)
    assert len(lines) > 1 and " ".join(lines).split() == STATUS.split()  # all of it, nothing cut
    for line in lines:
        assert cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, style.scale, style.thickness)[0][0] <= 640
    view = WindowView(side_by_side=True, controls=Controls()).compose(picture(), picture(), STATUS)
    assert (view[:, :640] != 128).any(axis=2).any(axis=0)[320:].sum() == 0  # the before half's right: untouched


class FakeWindows:
    """OpenCV's window calls: records them; `visible` is what the window's close button sets to 0."""

    WINDOW_AUTOSIZE, WINDOW_GUI_NORMAL, WND_PROP_VISIBLE = 1, 16, 4
    error = RuntimeError

    def __init__(self) -> None:
        self.flags: list[int] = []
        self.shown = 0
        self.visible = 1.0

    def namedWindow(self, title: str, flags: int) -> None:  # noqa: N802 - OpenCV's names
        self.flags.append(flags)

    def imshow(self, title: str, image: np.ndarray) -> None:
        self.shown += 1

    def waitKey(self, ms: int) -> int:  # noqa: N802
        return -1

    def getWindowProperty(self, title: str, prop: int) -> float:  # noqa: N802
        return self.visible

    def destroyAllWindows(self) -> None:  # noqa: N802
        pass


def test_the_window_has_no_toolbar_and_its_close_button_quits(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    sink = WindowSink(side_by_side=False, controls=Controls())
    fake = FakeWindows()
    sink.opencv = sink.view.opencv = fake
    monkeypatch.setattr(window_module, "opencv", lambda: fake)
    sink.view.overlay = False
    assert sink.write(picture()) is True and sink.write(picture()) is True
    assert fake.flags == [fake.WINDOW_AUTOSIZE | fake.WINDOW_GUI_NORMAL]  # made once, without Qt's toolbar
    fake.visible = 0.0  # the user clicked the close button
    assert sink.write(picture()) is False
    assert fake.shown == 2  # not shown again: imshow would have reopened the window
    sink.close()


def test_a_file_in_a_window_plays_at_its_frame_rate(tmp_path):
    clip = tmp_path / "talk.mp4"
    clip.write_bytes(b"")
    assert session_config(parse_args(["--source", str(clip), "--sink", "window"]), str(clip)).pace
    assert session_config(parse_args(["--source", "builtin", "--sink", "window"]), "builtin").pace
    assert not session_config(parse_args(["--source", "0", "--sink", "window"]), "0").pace  # a camera paces itself
    assert not session_config(parse_args(["--source", str(clip), "--sink", "out.mp4"]), str(clip)).pace


class HeadlessOpenCV:
    """What opencv-python-headless reports of itself: no GUI backend."""

    @staticmethod
    def getBuildInformation() -> str:  # noqa: N802
        return "General configuration for OpenCV 5.0.0\n  GUI:                           NONE\n  Media I/O:\n"


def test_a_headless_opencv_is_named_with_the_fix_instead_of_opencvs_rebuild_message(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(window_module, "opencv", HeadlessOpenCV)
    with pytest.raises(SharpcamError, match="headless") as refused:
        WindowSink(side_by_side=False, controls=Controls())
    assert "pip install opencv-python" in str(refused.value) and "sharpcam app" in str(refused.value)
