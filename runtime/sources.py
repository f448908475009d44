"""Frame sources, the first stage: a camera, a video file, a folder of images, the built-in clip, and any
of the finite ones played in a loop.

Every source implements runtime.frames.Source: uint8 BGR HxWx3 frames (OpenCV's order), its size, frame
rate, length where known, a discontinuity count and the name of the last frame read.
"""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from runtime.errors import SharpcamError
from runtime.frames import ReadsInto, Source
from runtime.imaging import IMAGE_SUFFIXES, opencv, resize
from runtime.optional import available
from runtime.stderr_filter import StderrFilter

ASSETS = Path(__file__).parent / "assets"


class BuiltinClip:
    """A few seconds of real photographic content: a slow pan across a face, fine detail and text.

    Made from three stills in runtime/assets (scikit-image's astronaut and coffee photographs, a text page
    rendered from a licence text), so it needs no camera and no download.
    """

    live = False
    generation = 0  # one unbroken clip
    decoder_warnings = 0  # its stills are read once, before any frame
    last_name: str | None = None  # its frames have no names
    last_time: float | None = None  # nor times of their own: 1/fps apart

    def __init__(self, size: tuple[int, int] = (640, 480), seconds: float = 3.0, fps: float = 30.0) -> None:
        cv2 = opencv()
        self.size, self.fps = size, fps
        self._stills = [cv2.imread(str(ASSETS / n)) for n in ("face.jpg", "detail.jpg", "text.jpg")]
        if any(s is None for s in self._stills):
            raise SharpcamError(f"built-in clip images missing from {ASSETS}; reinstall sharpcam")
        self._total = int(seconds * fps)
        self.frame_count = self._total
        self._index = 0

    def read(self) -> np.ndarray | None:
        return self.read_into(None)

    def read_into(self, out: np.ndarray | None) -> np.ndarray | None:
        """read(), resized straight into `out` where it has the clip's frame shape."""
        if self._index >= self._total:
            return None
        per_still = max(self._total // len(self._stills), 1)
        still = self._stills[min(self._index // per_still, len(self._stills) - 1)]
        t = (self._index % per_still) / per_still  # 0..1 within this still: pan diagonally
        h, w = still.shape[:2]
        cw, ch = int(w * 0.8), int(h * 0.8)
        x, y = int((w - cw) * t), int((h - ch) * t)
        self._index += 1
        return resize(still[y:y + ch, x:x + cw], self.size, out)

    def close(self) -> None:
        self._index = self._total


class FolderSource:
    """The images of a folder in name order, each resized to the first one's size."""

    live = False
    generation = 0  # one pass over the folder
    decoder_warnings = 0  # nothing is kept quiet: a broken image's warnings are the user's to see
    last_name: str | None = None  # file name of the frame read() last returned, so outputs can keep it
    last_time: float | None = None  # images have no times: 1/fps apart

    def __init__(self, folder: Path, fps: float = 30.0) -> None:
        named = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        # a FIFO or a device named like an image would block the read forever: skip it, and say so
        irregular = [p.name for p in named if not p.is_file()]
        if irregular:
            print(f"note: skipping {', '.join(irregular)} in {folder}: not a regular file", file=sys.stderr, flush=True)
        self._files = [p for p in named if p.is_file()]
        if not self._files:
            raise SharpcamError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}")
        first = self._load(self._files[0])
        self.size, self.fps = (first.shape[1], first.shape[0]), fps
        self.frame_count = len(self._files)
        self._index = 0

    def _load(self, path: Path) -> np.ndarray:
        cv2 = opencv()
        try:
            frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        except cv2.error as err:  # a header OpenCV refuses outright (e.g. 100000x100000 pixels: its size limit)
            raise SharpcamError(f"cannot read image {path} (the decoder refused it: "
                                f"{str(err).strip().splitlines()[-1]})") from err
        if frame is None:
            raise SharpcamError(f"cannot read image {path}")
        return frame

    def read(self) -> np.ndarray | None:
        if self._index >= len(self._files):
            return None
        path = self._files[self._index]
        frame = self._load(path)
        self.last_name = path.name
        self._index += 1
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = resize(frame, self.size)
        return frame

    def close(self) -> None:
        self._index = len(self._files)


class VideoSource:
    """A video file, or a camera (index or device path) asked for one buffered frame, a size, an FPS, MJPG."""

    last_name: str | None = None  # video frames have no names
    last_time: float | None = None  # a file's time stamp of the frame read() last returned (a camera: None)

    def __init__(self, spec: str, size: tuple[int, int] | None = None, fps: float | None = None,
                 reconnect_seconds: float = 3.0) -> None:
        cv2 = opencv()
        self.live = is_camera(spec)
        self._spec, self._request = spec, (size, fps)
        self._reconnect_seconds = reconnect_seconds
        self.generation = 0
        # close() from another thread while a read is blocked (a stalled camera) must not release the
        # capture under it: the read releases it when (if) it returns.
        self._lock = threading.Lock()
        self._reading = self._closed = False
        if not self.live and not Path(spec).exists():
            raise SharpcamError(f"no such video file or camera: {spec}")
        # A camera's MJPG frames make libjpeg print to fd 2 while they decode fine: counted, not shown.
        self._quiet = StderrFilter().open() if self.live else None
        try:
            self._cap = self._open()
        except BaseException:
            self._close_filter()
            raise
        self.size = (int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS)) or 30.0
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))  # a container's estimate; 0 or less: unknown
        self.frame_count = count if count > 0 and not self.live else None

    def _open(self):
        cv2 = opencv()
        if self.live:
            target = int(self._spec) if self._spec.isdigit() else self._spec
            backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
            cap = cv2.VideoCapture(target, backend)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # V4L2 buffers several frames by default: lag
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))  # USB2 cameras need it above 480p30
            size, fps = self._request
            if size:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
            if fps:
                cap.set(cv2.CAP_PROP_FPS, fps)
        else:
            cap = cv2.VideoCapture(self._spec)
        if not cap.isOpened():
            what = "camera" if self.live else "video file"
            raise SharpcamError(f"cannot open {what} {self._spec}; check it exists and is not in use "
                                "(list cameras with 'sharpcam devices')")
        return cap

    def read(self) -> np.ndarray | None:
        return self.read_into(None)

    def read_into(self, out: np.ndarray | None) -> np.ndarray | None:
        """read(), decoded into `out` where its size matches (OpenCV writes into a given array of the frame's
        shape and type, else returns a new one): a GPU backend's pinned frame, filled without a host copy."""
        with self._lock:
            if self._closed:
                return None
            self._reading = True
        try:
            ok, frame = self._cap.read() if out is None else self._cap.read(out)
        finally:
            with self._lock:
                self._reading = False
                closed_meanwhile = self._closed
        if closed_meanwhile:
            self._cap.release()
            self._close_filter()
            return None
        if ok:
            if not self.live:  # a variable-frame-rate file's frames are not 1/fps apart: keep its clock
                self.last_time = self._cap.get(opencv().CAP_PROP_POS_MSEC) / 1000.0
            return frame
        if not self.live:
            return None  # end of file
        return self._reconnect()

    def _reconnect(self) -> np.ndarray | None:
        """A camera that vanished: retry for a few seconds, then a clear error (never a hang)."""
        deadline = time.monotonic() + self._reconnect_seconds
        while time.monotonic() < deadline and not self._closed:
            self._cap.release()
            time.sleep(0.25)
            try:
                self._cap = self._open()
            except SharpcamError:
                continue
            ok, frame = self._cap.read()
            if ok:
                self.generation += 1  # frames before and after the gap are not one scene
                return frame
        if self._closed:
            return None
        raise SharpcamError(f"camera {self._spec} stopped delivering frames and did not come back "
                            f"within {self._reconnect_seconds:.0f} s; is it unplugged or used by another program?")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._reading:
                return  # released by the read in progress, when it returns (and closes the filter)
        self._cap.release()
        self._close_filter()

    @property
    def decoder_warnings(self) -> int:
        """libjpeg warnings the camera's frames raised (kept off the terminal), for --stats."""
        return self._quiet.suppressed if self._quiet is not None else 0

    def _close_filter(self) -> None:
        if self._quiet is not None:
            self._quiet.close()


class Looping:
    """A finite source played again and again; each restart is a discontinuity (`generation`), so the
    temporal filter does not blend the last frame into the first."""

    live = False
    frame_count = None  # no end

    def __init__(self, reopen: Callable[[], Source]) -> None:
        self._reopen, self._source = reopen, reopen()
        if self._source.live:
            self._source.close()
            raise SharpcamError("--loop replays a file, folder or the built-in clip; a camera never ends")
        self.fps, self.size, self.generation = self._source.fps, self._source.size, 0

    @property
    def last_name(self) -> str | None:
        return self._source.last_name

    @property
    def last_time(self) -> None:
        return None  # each pass starts its clock again: a file sink numbers the frames itself

    @property
    def decoder_warnings(self) -> int:
        return self._source.decoder_warnings

    def read(self) -> np.ndarray | None:
        return self.read_into(None)

    def read_into(self, out: np.ndarray | None) -> np.ndarray | None:
        """The wrapped source's read_into where it has one (a file, the built-in clip), else its read()."""
        image = self._read_once(out)
        if image is None:
            self._source.close()
            self._source, self.generation = self._reopen(), self.generation + 1
            image = self._read_once(out)
        return image

    def _read_once(self, out: np.ndarray | None) -> np.ndarray | None:
        if isinstance(self._source, ReadsInto) and out is not None:
            return self._source.read_into(out)
        return self._source.read()

    def close(self) -> None:
        self._source.close()


NO_CAMERA = ("no camera found, so sharpcam shows its built-in clip (a moving test scene); connect a camera or "
             "give --source (a camera, video file or image folder; 'sharpcam devices' lists cameras)")


def default_spec() -> str:
    """The first real camera (never a v4l2loopback output: runtime/devices.py), else the built-in clip."""
    from runtime.devices import default_camera
    if not sys.platform.startswith("linux") and not available("cv2"):
        return "builtin"
    return default_camera() or "builtin"


def open_source(spec: str | None, size: tuple[int, int] | None = None, fps: float | None = None) -> Source:
    """None: the built-in clip. A folder: its images. Otherwise a camera index/path or a video file."""
    if spec is None or spec == "builtin":
        return BuiltinClip(size or (640, 480))
    path = Path(spec)
    if path.is_dir():
        return FolderSource(path, fps or 30.0)
    if path.exists() and not path.is_file() and not spec.startswith("/dev/"):
        # a FIFO without a writer (or a socket) would block the open forever; cameras are /dev/ devices
        raise SharpcamError(f"{spec} is not a regular file (a FIFO, socket or device); give a video file, an "
                            "image folder, a camera index or /dev/videoN")
    return VideoSource(spec, size, fps)


def is_camera(spec: str) -> bool:
    """A camera index (0) or device path (/dev/video0), as opposed to a file, folder or the built-in clip."""
    return spec.isdigit() or spec.startswith("/dev/")
