"""Frame sinks, the last stage: virtual camera, preview window, video file, or nothing.

Each is a context manager with an idempotent close(), so Ctrl-C still finalizes a video file.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from runtime.errors import SharpcamError
from runtime.sources import opencv


class NullSink:
    name = "null"

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "") -> bool:
        return True  # True: keep going

    def close(self) -> None:
        pass

    def __enter__(self) -> "NullSink":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FileSink(NullSink):
    """A video file; the container follows the suffix (.mp4 with mp4v, .avi with MJPG)."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float) -> None:
        cv2 = opencv()
        fourcc = cv2.VideoWriter_fourcc(*("MJPG" if path.suffix.lower() == ".avi" else "mp4v"))
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = cv2.VideoWriter(str(path), fourcc, fps, size)
        if not self._writer.isOpened():
            raise SharpcamError(f"cannot write video {path}; use a .mp4 or .avi name in a writable folder")
        self.name, self.size, self.frames = f"file {path}", size, 0

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "") -> bool:
        self._writer.write(frame)
        self.frames += 1
        return True

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()  # writes the container index: without it the file is unplayable
            self._writer = None


class WindowSink(NullSink):
    """An OpenCV preview; `side_by_side` shows original | sharpened; `overlay` draws the latency line."""

    def __init__(self, side_by_side: bool = False, overlay: bool = True, title: str = "sharpcam") -> None:
        self.opencv, self.side_by_side, self.overlay, self.title = opencv(), side_by_side, overlay, title
        self.name = "window"
        self._open = True

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "") -> bool:
        cv2 = self.opencv
        view = np.hstack([original, frame]) if self.side_by_side and original is not None else frame
        if self.overlay and status:
            view = view.copy()
            cv2.putText(view, status[:110], (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 0), 1, cv2.LINE_AA)
        try:
            cv2.imshow(self.title, view)
        except cv2.error as err:
            raise SharpcamError(f"cannot open a window ({err.msg.strip()}); no display? use --sink null "
                                "or --sink out.mp4") from err
        return (cv2.waitKey(1) & 0xFF) not in (ord("q"), 27)  # q or Esc stops

    def close(self) -> None:
        if self._open:
            self._open = False
            self.opencv.destroyAllWindows()


def vcam_install_help() -> str:
    if sys.platform.startswith("linux"):
        return ("install v4l2loopback and load it: 'sudo apt install v4l2loopback-dkms && sudo modprobe "
                "v4l2loopback devices=1 exclusive_caps=1 card_label=sharpcam' (exclusive_caps=1 lets Chrome "
                "and Meet see it)")
    return ("install OBS Studio (obsproject.com), start its virtual camera once, then close OBS; on Windows "
            "Unity Capture works too")


class VirtualCamSink(NullSink):
    """pyvirtualcam: v4l2loopback on Linux, OBS (or Unity Capture) on Windows and macOS.

    On Linux pyvirtualcam converts RGB/BGR to I420 on the CPU inside send(); we send I420 converted by
    OpenCV's SIMD code instead, which is the pixel format v4l2loopback consumers read anyway.
    """

    def __init__(self, size: tuple[int, int], fps: float, device: str | None = None) -> None:
        try:
            import pyvirtualcam
        except ImportError as err:
            raise SharpcamError("the virtual camera needs pyvirtualcam: pip install pyvirtualcam; "
                                "or use --sink window / --sink out.mp4") from err
        self.opencv = opencv()
        self._i420 = sys.platform.startswith("linux")
        fmt = pyvirtualcam.PixelFormat.I420 if self._i420 else pyvirtualcam.PixelFormat.BGR
        try:
            self._cam = pyvirtualcam.Camera(width=size[0], height=size[1], fps=fps, fmt=fmt, device=device)
        except RuntimeError as err:
            raise SharpcamError(f"no virtual camera available ({err}). To get one, {vcam_install_help()}. "
                                "Meanwhile use --sink window or --sink out.mp4") from err
        self.name = f"virtual camera {self._cam.device}"

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "") -> bool:
        if self._i420:
            frame = self.opencv.cvtColor(frame, self.opencv.COLOR_BGR2YUV_I420)
        self._cam.send(frame)
        return True

    def close(self) -> None:
        if self._cam is not None:
            self._cam.close()
            self._cam = None


def open_sink(spec: str, size: tuple[int, int], fps: float, side_by_side: bool = False) -> NullSink:
    """vcam, window, null, or a video file path."""
    if spec == "null":
        return NullSink()
    if spec == "window":
        return WindowSink(side_by_side=side_by_side)
    if spec == "vcam":
        return VirtualCamSink(size, fps)
    if Path(spec).suffix.lower() in (".mp4", ".avi"):
        return FileSink(Path(spec), size, fps)
    raise SharpcamError(f"unknown sink {spec!r}: use vcam, window, null, or a .mp4/.avi file name")
