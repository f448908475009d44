"""The preview window: an OpenCV window with before/after, strength and mirror keys.

WindowView is what the window shows and how it answers keys (no display needed: the tests draw with it);
WindowSink puts its pictures on the screen.
"""
from __future__ import annotations

import os
import sys

import numpy as np

from runtime.controls import Controls
from runtime.errors import SharpcamError
from runtime.imaging import opencv
from runtime.sinks.base import Sink

STRENGTH_STEP = 0.1
HELP_LINES = ("b or space: before / after", "+ / -: strength up / down by 0.1", "m: mirror",
              "h: this help on / off", "q or Esc: quit")


def check_display() -> None:
    """On Linux, OpenCV's Qt window aborts the process (SIGABRT, exit 134) without an X display: refuse first.
    opencv-python's Qt has only the X11 (xcb) platform plugin, so a Wayland session needs XWayland's DISPLAY."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        wayland = " (a Wayland session needs XWayland for OpenCV's window)" if os.environ.get("WAYLAND_DISPLAY") else ""
        raise SharpcamError(f"--sink window needs a display and DISPLAY is not set{wayland}; "
                            "use --sink out.mp4, --sink vcam or --sink null")


class WindowView:
    """The preview's picture and keys: `side_by_side` shows original | sharpened, each half labelled;
    `overlay` draws the labels, a key hint (h: the full help) and the latency line.

    Keys (as OBS's filter eye and NVIDIA Broadcast's switch): b or space toggles before/after, + and -
    step the strength by 0.1 through `controls` (the pipeline applies it to the model), m mirrors, h shows
    the help, q or Esc quits.
    """

    def __init__(self, side_by_side: bool = False, overlay: bool = True, controls: Controls | None = None,
                 mirror: bool = False) -> None:
        self.opencv, self.side_by_side, self.overlay = opencv(), side_by_side, overlay
        self.controls = controls if controls is not None else Controls()
        self.mirror, self.show_help = mirror, False

    def handle_key(self, key: int) -> bool:
        """Apply one key press; False when the user asked to quit."""
        c = self.controls
        if key in (ord("q"), 27):
            return False
        if key in (ord("b"), ord(" ")):
            c.show_original = not c.show_original
        elif key in (ord("+"), ord("=")):
            c.strength = round(min(1.0, c.strength + STRENGTH_STEP), 2)
        elif key in (ord("-"), ord("_")):
            c.strength = round(max(0.0, c.strength - STRENGTH_STEP), 2)
        elif key == ord("h"):
            self.show_help = not self.show_help
        elif key == ord("m"):
            self.mirror = not self.mirror
        return True

    def _label(self) -> str:
        c = self.controls
        return "BEFORE (original)" if c.show_original else f"AFTER  strength {c.strength:.1f}"

    def _text(self, view: np.ndarray, lines: list[str], x: int) -> None:
        cv2 = self.opencv
        for i, text in enumerate(lines):
            origin = (x + 8, 20 + 18 * i)
            cv2.putText(view, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3, cv2.LINE_AA)  # outline
            cv2.putText(view, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 0), 1, cv2.LINE_AA)

    def compose(self, frame: np.ndarray, original: np.ndarray | None, status: str = "") -> np.ndarray:
        """The picture shown: one frame or original | frame, mirrored if asked, with its labels."""
        shown = original if self.controls.show_original and original is not None else frame
        halves = [original, shown] if self.side_by_side and original is not None else [shown]
        if self.mirror:
            halves = [np.ascontiguousarray(h[:, ::-1]) for h in halves]
        view = np.hstack(halves) if len(halves) > 1 else halves[0].copy()
        if self.overlay:
            info = (list(HELP_LINES) if self.show_help else ["h: help"]) + ([status[:110]] if status else [])
            if len(halves) > 1:
                self._text(view, ["BEFORE (original)"], 0)
                self._text(view, [self._label()] + info, halves[0].shape[1])
            else:
                self._text(view, [self._label()] + info, 0)
        return view


class WindowSink(Sink):
    """An OpenCV window showing a WindowView; its keys are read after each frame."""

    def __init__(self, side_by_side: bool = False, overlay: bool = True, title: str = "sharpcam",
                 controls: Controls | None = None, mirror: bool = False) -> None:
        check_display()
        self.view = WindowView(side_by_side, overlay, controls, mirror)
        self.opencv, self.title, self.name = self.view.opencv, title, "window"
        self._shown = False  # a window exists once the first frame is shown: close() destroys only that

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        cv2 = self.opencv
        try:
            cv2.imshow(self.title, self.view.compose(frame, original, status))
        except cv2.error as err:
            raise SharpcamError(f"cannot open a window ({err.msg.strip()}); no display? use --sink null "
                                "or --sink out.mp4") from err
        self._shown = True
        return self.view.handle_key(cv2.waitKey(1) & 0xFF)

    def close(self) -> None:
        if self._shown:
            self._shown = False
            self.opencv.destroyAllWindows()
