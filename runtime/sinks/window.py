"""The preview window: an OpenCV window with before/after, strength and mirror keys.

WindowView is what the window shows and how it answers keys (no display needed: the tests draw with it);
WindowSink puts its pictures on the screen.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

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


def check_gui() -> None:
    """opencv-python-headless (pulled in by another package, or installed over opencv-python: both own the
    same cv2 folder) has no windows at all; say which OpenCV to install instead of OpenCV's 'rebuild the
    library' error."""
    gui = [line.split(":", 1)[1].strip() for line in opencv().getBuildInformation().splitlines()
           if line.strip().startswith("GUI:")]
    if gui and gui[0].upper() == "NONE":
        raise SharpcamError("--sink window needs OpenCV with windows, and this one has none (the headless build); "
                            "pip uninstall -y opencv-python-headless opencv-python && pip install opencv-python, "
                            "or preview in the browser: sharpcam app")


@dataclass(frozen=True)
class TextStyle:
    scale: float  # OpenCV's font scale
    thickness: int
    margin: int  # pixels from the picture's edge
    pad: int  # pixels around a line, inside its dark band


def text_style(height: int) -> TextStyle:
    """Readable at any size: ~3.5% of the picture's height per line (17 px at 480p, 25 at 720p), never
    below OpenCV's 0.5 scale; bolder strokes from 720p up."""
    scale = max(0.5, round(height / 480 * 0.6, 2))
    return TextStyle(scale, 2 if height >= 720 else 1, max(6, height // 80), max(2, height // 240))


def wrap(cv2, text: str, width: int, style: TextStyle) -> list[str]:
    """`text` in lines no wider than `width` pixels, broken between words (the status line's fields stay
    whole where they fit), instead of running off the half's edge."""
    def fits(line: str) -> bool:
        return cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, style.scale, style.thickness)[0][0] <= width
    lines: list[str] = []
    for word in text.split(" "):
        if lines and fits(f"{lines[-1]} {word}"):
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return [line for line in lines if line.strip(" |")] or [text]


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

    def _text(self, view: np.ndarray, lines: list[str], x: int, width: int) -> None:
        """Each line drawn once, on a dark band (one pass: an outline and a fill of different thickness drift
        apart with OpenCV 5), at a size that grows with the picture, wrapped to the `width` it has."""
        cv2, style = self.opencv, text_style(view.shape[0])
        top = style.margin
        for line in [part for text in lines for part in wrap(cv2, text, width - 2 * style.margin, style)]:
            (w, h), base = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, style.scale, style.thickness)
            band = view[top:top + h + base + 2 * style.pad, x:x + w + 2 * style.pad + style.margin]
            band //= 3  # darkened in place: the text reads on a bright scene and a dark one
            origin = (x + style.margin, top + style.pad + h)
            cv2.putText(view, line, origin, cv2.FONT_HERSHEY_SIMPLEX, style.scale, (0, 255, 0), style.thickness,
                        cv2.LINE_AA)
            top += h + base + 2 * style.pad

    def compose(self, frame: np.ndarray, original: np.ndarray | None, status: str = "") -> np.ndarray:
        """The picture shown: one frame or original | frame, mirrored if asked, with its labels."""
        shown = original if self.controls.show_original and original is not None else frame
        halves = [original, shown] if self.side_by_side and original is not None else [shown]
        if self.mirror:
            halves = [np.ascontiguousarray(h[:, ::-1]) for h in halves]
        view = np.hstack(halves) if len(halves) > 1 else halves[0].copy()
        if self.overlay:
            info = (list(HELP_LINES) if self.show_help else ["h: help"]) + ([status] if status else [])
            half = halves[0].shape[1]
            if len(halves) > 1:
                self._text(view, ["BEFORE (original)"], 0, half)
                self._text(view, [self._label()] + info, half, half)
            else:
                self._text(view, [self._label()] + info, 0, half)
        return view


class WindowSink(Sink):
    """An OpenCV window showing a WindowView; its keys are read after each frame."""

    def __init__(self, side_by_side: bool = False, overlay: bool = True, title: str = "sharpcam",
                 controls: Controls | None = None, mirror: bool = False) -> None:
        check_display()
        check_gui()
        self.view = WindowView(side_by_side, overlay, controls, mirror)
        self.opencv, self.title, self.name = self.view.opencv, title, "window"
        self._shown = False  # a window exists once the first frame is shown: close() destroys only that

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        cv2 = self.opencv
        if self._shown and self.closed_by_user():
            return False  # imshow would open it again: the close button means quit, as q does
        try:
            if not self._shown:
                # no toolbar or status bar (Qt's, over the picture): the keys are in the overlay's help
                cv2.namedWindow(self.title, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
            cv2.imshow(self.title, self.view.compose(frame, original, status))
        except cv2.error as err:
            raise SharpcamError(f"cannot open a window ({err.msg.strip()}); no display? use --sink null "
                                "or --sink out.mp4") from err
        self._shown = True
        return self.view.handle_key(cv2.waitKey(1) & 0xFF) and not self.closed_by_user()

    def closed_by_user(self) -> bool:
        """The window's close button was pressed: OpenCV reports it no longer visible."""
        cv2 = self.opencv
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:  # the window is gone altogether
            return True

    def close(self) -> None:
        if self._shown:
            self._shown = False
            self.opencv.destroyAllWindows()
