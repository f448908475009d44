"""Frame sinks, the last stage: virtual camera, preview window, video file, image folder, or nothing.

Each is a context manager with an idempotent close(), so Ctrl-C still finalizes a video file.
write() takes an optional `name`: the source's name for the frame (a folder source's file name, else the
frame's index as 000042), which only the folder sink uses; the others accept and ignore it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from runtime.errors import SharpcamError
from runtime.sources import opencv

if TYPE_CHECKING:
    from runtime.pipeline import Controls


class NullSink:
    name = "null"

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
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

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        self._writer.write(frame)
        self.frames += 1
        return True

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()  # writes the container index: without it the file is unplayable
            self._writer = None


STRENGTH_STEP = 0.1
WINDOW_KEYS = "b/space: before|after   +/-: strength   q/Esc: quit"


class WindowSink(NullSink):
    """An OpenCV preview; `side_by_side` shows original | sharpened; `overlay` draws the latency line.

    Keys (as OBS's filter eye and NVIDIA Broadcast's switch): b or space toggles before/after, + and -
    step the strength by 0.1 through `controls` (the pipeline applies it to the model), q or Esc quits.
    """

    def __init__(self, side_by_side: bool = False, overlay: bool = True, title: str = "sharpcam",
                 controls: "Controls | None" = None) -> None:
        from runtime.pipeline import Controls
        self.opencv, self.side_by_side, self.overlay, self.title = opencv(), side_by_side, overlay, title
        self.controls = controls if controls is not None else Controls()
        self.name = "window"
        self._open = True

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
        return True

    def _label(self) -> str:
        c = self.controls
        return "BEFORE (original)" if c.show_original else f"AFTER  strength {c.strength:.1f}"

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        cv2 = self.opencv
        shown = original if self.controls.show_original and original is not None else frame
        view = np.hstack([original, shown]) if self.side_by_side and original is not None else shown
        if self.overlay:
            view = view.copy()
            lines = [self._label(), WINDOW_KEYS] + ([status[:110]] if status else [])
            for i, text in enumerate(lines):
                cv2.putText(view, text, (8, 20 + 18 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 0), 1,
                            cv2.LINE_AA)
        try:
            cv2.imshow(self.title, view)
        except cv2.error as err:
            raise SharpcamError(f"cannot open a window ({err.msg.strip()}); no display? use --sink null "
                                "or --sink out.mp4") from err
        return self.handle_key(cv2.waitKey(1) & 0xFF)

    def close(self) -> None:
        if self._open:
            self._open = False
            self.opencv.destroyAllWindows()


class FolderSink(NullSink):
    """Numbered PNGs (lossless) in a folder, for frame-exact comparisons that a video codec would blur.

    A frame with a name keeps its stem (a.jpg -> a.png); one without gets the sink's own count (000000.png).
    Each file is written under a hidden temporary name and renamed, so a killed run never leaves a
    truncated PNG under a final name.
    """

    def __init__(self, folder: Path) -> None:
        if folder.exists() and not folder.is_dir():
            raise SharpcamError(f"cannot write images into {folder}: it is a file; remove it or give another "
                                "folder (--sink DIR/)")
        probe = folder / f".sharpcam-probe-{os.getpid()}.tmp"
        try:  # fail now, not after the model has loaded and the first frame is done
            folder.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as err:
            raise SharpcamError(f"cannot write images into {folder} ({err.strerror or err}); give a folder "
                                "you can write to (--sink DIR/)") from err
        self.opencv, self.folder = opencv(), folder
        self.name, self.frames = f"folder {folder}", 0
        self._taken: set[str] = set()  # names written by this run: two sources a.jpg and a.png must not clash

    def _target(self, name: str | None) -> str:
        stem = Path(name).stem if name else f"{self.frames:06d}"  # Path(..).stem also drops any folder part
        target, n = f"{stem}.png", 1
        while target in self._taken:
            target, n = f"{stem}_{n}.png", n + 1
        self._taken.add(target)
        return target

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        ok, data = self.opencv.imencode(".png", frame)  # imwrite would pick the format from a .tmp suffix
        if not ok:
            raise SharpcamError(f"cannot encode a {frame.shape} {frame.dtype} frame as PNG")
        target = self._target(name)
        tmp = self.folder / f".{target}.tmp"
        try:
            tmp.write_bytes(data.tobytes())
            os.replace(tmp, self.folder / target)
        except BaseException as err:  # Ctrl-C or a full disk: leave no temporary file behind
            tmp.unlink(missing_ok=True)
            if isinstance(err, OSError):
                raise SharpcamError(f"cannot write {self.folder / target} ({err.strerror or err}); "
                                    "free some space or give another folder") from err
            raise
        self.frames += 1
        return True


def is_folder_spec(spec: str) -> bool:
    """DIR/ (or DIR\\ on Windows), or a folder that exists."""
    return spec.endswith(("/", os.sep)) or Path(spec).is_dir()


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

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        if self._i420:
            frame = self.opencv.cvtColor(frame, self.opencv.COLOR_BGR2YUV_I420)
        self._cam.send(frame)
        return True

    def close(self) -> None:
        if self._cam is not None:
            self._cam.close()
            self._cam = None


def open_sink(spec: str, size: tuple[int, int], fps: float, side_by_side: bool = False,
              controls: "Controls | None" = None) -> NullSink:
    """vcam, window, null, a folder for PNGs (DIR/), or a video file path."""
    if spec == "null":
        return NullSink()
    if spec == "window":
        return WindowSink(side_by_side=side_by_side, controls=controls)
    if spec == "vcam":
        return VirtualCamSink(size, fps)
    if is_folder_spec(spec):  # before the suffix test: Path("out.mp4/").suffix is ".mp4"
        return FolderSink(Path(spec))
    if Path(spec).suffix.lower() in (".mp4", ".avi"):
        return FileSink(Path(spec), size, fps)
    raise SharpcamError(f"unknown sink {spec!r}: use vcam, window, null, a .mp4/.avi file name, "
                        "or a folder for PNG frames written as DIR/")
