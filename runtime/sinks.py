"""Frame sinks, the last stage: virtual camera, preview window, video file, image folder, or nothing.

Every sink follows `Sink`: a context manager with an idempotent close(), so Ctrl-C (and SIGTERM, which
runtime.cam turns into the same path) still finalizes a video file. write() takes an optional `name`: the
source's name for the frame (a folder source's file name, else the frame's index as 000042), which only the
folder sink uses; the others accept and ignore it.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from runtime.entry import write_bytes_atomic
from runtime.errors import SharpcamError
from runtime.sources import opencv
from runtime.video_writer import FORMATS as VIDEO_FORMATS

VIDEO_SUFFIXES = tuple(VIDEO_FORMATS)

if TYPE_CHECKING:
    from runtime.pipeline import Controls


@runtime_checkable
class Sink(Protocol):
    """What the pipeline writes to. write() returns False when the user asked to stop (a window's q)."""

    name: str

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool: ...

    def close(self) -> None: ...  # idempotent: called by __exit__ and possibly before it

    def __enter__(self) -> "Sink": ...

    def __exit__(self, *exc) -> None: ...


@dataclass
class SinkOptions:
    """How a sink presents frames, beyond where they go."""

    side_by_side: bool = False  # window: original | sharpened
    mirror: bool = False  # window and virtual camera: flip left-right, as a selfie view
    vcam_device: str | None = None  # virtual camera: /dev/videoN or an OBS/Unity Capture name; None: the first
    audio_from: Path | None = None  # .mp4: the source file whose audio track to keep


class NullSink:
    """Discards frames; also the base class of the others (context manager, no-op close)."""

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
    """A video file through PyAV (runtime/video_writer.py): .mp4 is H.264 (browser-playable, kill-safe, the
    source's audio kept, odd sizes padded by one row/column), .avi is MJPEG at any size exactly."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float, audio_from: Path | None = None) -> None:
        from runtime.video_writer import VideoWriter
        self._writer = VideoWriter(path, size, fps, audio_from)
        if self._writer.padded:
            print(f"note: H.264 needs even sizes: {size[0]}x{size[1]} is written as {self._writer.coded[0]}x"
                  f"{self._writer.coded[1]}, the last column/row repeated (.avi or DIR/ keep the exact size)",
                  file=sys.stderr)
        self.name, self.size, self.frames = f"file {path} ({self._writer.audio})", size, 0

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        self._writer.write(frame)
        self.frames += 1
        return True

    def close(self) -> None:
        self._writer.close()  # writes the last fragment (and the .avi index)


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


class WindowSink(NullSink):
    """An OpenCV preview; `side_by_side` shows original | sharpened, each half labelled; `overlay` draws the
    labels, a key hint (h: the full help) and the latency line.

    Keys (as OBS's filter eye and NVIDIA Broadcast's switch): b or space toggles before/after, + and -
    step the strength by 0.1 through `controls` (the pipeline applies it to the model), m mirrors, h shows
    the help, q or Esc quits.
    """

    def __init__(self, side_by_side: bool = False, overlay: bool = True, title: str = "sharpcam",
                 controls: "Controls | None" = None, mirror: bool = False) -> None:
        from runtime.pipeline import Controls
        check_display()
        self.opencv, self.side_by_side, self.overlay, self.title = opencv(), side_by_side, overlay, title
        self.controls = controls if controls is not None else Controls()
        self.mirror, self.show_help = mirror, False
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

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        cv2 = self.opencv
        try:
            cv2.imshow(self.title, self.compose(frame, original, status))
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
        write_bytes_atomic(self.folder / self._target(name), data.tobytes(),
                           "; free some space or give another folder")
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

    One conversion per frame, never two: on Linux, where v4l2loopback consumers read I420, OpenCV's SIMD code
    converts BGR to I420 and pyvirtualcam passes it straight through; elsewhere the BGR frame goes as it is
    and pyvirtualcam converts it once to the backend's own format (NV12 for OBS on Windows, UYVY on macOS),
    for which OpenCV has no BGR conversion. `mirror` flips left-right first (a selfie view).
    """

    def __init__(self, size: tuple[int, int], fps: float, device: str | None = None, mirror: bool = False) -> None:
        try:
            import pyvirtualcam
        except ImportError as err:
            raise SharpcamError("the virtual camera needs pyvirtualcam: pip install pyvirtualcam; "
                                "or use --sink window / --sink out.mp4") from err
        self.opencv, self.mirror = opencv(), mirror
        self._i420 = sys.platform.startswith("linux")
        fmt = pyvirtualcam.PixelFormat.I420 if self._i420 else pyvirtualcam.PixelFormat.BGR
        try:
            self._cam = pyvirtualcam.Camera(width=size[0], height=size[1], fps=fps, fmt=fmt, device=device)
        except RuntimeError as err:
            raise SharpcamError(f"no virtual camera available ({err}). To get one, {vcam_install_help()}. "
                                "'sharpcam devices' lists the outputs; meanwhile use --sink window or "
                                "--sink out.mp4") from err
        self.name = f"virtual camera {self._cam.device}"

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        if self.mirror:
            frame = self.opencv.flip(frame, 1)
        if self._i420:
            frame = self.opencv.cvtColor(frame, self.opencv.COLOR_BGR2YUV_I420)
        self._cam.send(frame)
        return True

    def close(self) -> None:
        if self._cam is not None:
            self._cam.close()
            self._cam = None


class ProgressSink(NullSink):
    """Another sink, with a progress bar (done, rate, ETA) on stderr for a source of known length."""

    def __init__(self, inner: Sink, total: int) -> None:
        from tqdm import tqdm
        self.inner, self.name = inner, inner.name
        self._bar = tqdm(total=total, unit="frame", file=sys.stderr, dynamic_ncols=True, leave=True)

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        keep_going = self.inner.write(frame, original, status, name)
        self._bar.update(1)
        return keep_going

    def close(self) -> None:
        self._bar.close()
        self.inner.close()


def with_progress(sink: Sink, total: int | None) -> Sink:
    """A progress bar where it helps: a known length, and stderr is a terminal (not a log file)."""
    return ProgressSink(sink, total) if total and sys.stderr.isatty() else sink


SINK_HELP = ("vcam, window, null, an output .mp4 (H.264) / .avi (MJPEG), or DIR/ for lossless numbered PNGs "
             "(an image folder source keeps its file names)")


def open_sink(spec: str, size: tuple[int, int], fps: float, controls: "Controls | None" = None,
              options: SinkOptions | None = None) -> Sink:
    """vcam, window, null, a folder for PNGs (DIR/), or a video file path (SINK_HELP)."""
    opts = options or SinkOptions()
    if spec == "null":
        return NullSink()
    if spec == "window":
        return WindowSink(side_by_side=opts.side_by_side, controls=controls, mirror=opts.mirror)
    if spec == "vcam":
        return VirtualCamSink(size, fps, opts.vcam_device, opts.mirror)
    if is_folder_spec(spec):  # before the suffix test: Path("out.mp4/").suffix is ".mp4"
        return FolderSink(Path(spec))
    if Path(spec).suffix.lower() in VIDEO_SUFFIXES:
        return FileSink(Path(spec), size, fps, opts.audio_from)
    raise SharpcamError(f"unknown sink {spec!r}: use {SINK_HELP}")
