"""What the page can send the picture to besides itself: a recording (the same writer as `sharpcam cam --sink
FILE`: runtime/sinks/factory.py's open_sink), a PNG snapshot of the model's output, and the virtual camera.

Files go only inside the output folder the user chose (--out; runtime/app/paths.py checks every name). The
pipeline's thread writes each frame here (through the app's HubSink); the page's requests start and stop the
outputs from the event loop, so every change and every write holds one lock.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from runtime.app.paths import inside, shown
from runtime.errors import SharpcamError
from runtime.files import write_bytes_atomic
from runtime.imaging import opencv
from runtime.sinks.base import Sink
from runtime.sinks.factory import is_file_sink, open_sink
from runtime.sinks.folder import is_folder_spec


class Outputs:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._record: Sink | None = None
        self.recording: Path | None = None
        self._vcam: Sink | None = None
        self._latest: np.ndarray | None = None  # the last output frame, for a snapshot
        self.size: tuple[int, int] | None = None  # the running source's, set by the session
        self.fps = 30.0

    def use_source(self, size: tuple[int, int], fps: float) -> None:
        """A new source: a recording or virtual camera of the old size ends (files and devices keep one size)."""
        self.stop_all()
        with self._lock:
            self.size, self.fps, self._latest = size, fps, None

    def write(self, frame: np.ndarray) -> None:
        with self._lock:
            self._latest = frame
            for sink in (self._record, self._vcam):
                if sink is not None:
                    sink.write(frame)

    def record(self, name: object) -> Path:
        """Start recording to `name` inside the folder (its suffix picks the container, as for `cam`)."""
        path = inside(self.folder, name)
        if not is_file_sink(str(path)) or is_folder_spec(str(name)):
            raise SharpcamError(f"{name!r}: give a video file name (.mp4, .mkv, .webm, .mov, .avi)")
        if path.exists():
            raise SharpcamError(f"{path.name} exists in {self.folder}: choose another name")
        self.stop_record()
        path.parent.mkdir(parents=True, exist_ok=True)
        sink = open_sink(str(path), self._size(), self.fps)
        with self._lock:
            self._record, self.recording = sink, path
        return path

    def stop_record(self) -> Path | None:
        with self._lock:
            sink, path, self._record, self.recording = self._record, self.recording, None, None
        if sink is not None:
            sink.close()  # finalizes the file (its index), as Ctrl-C does for `cam`
        return path

    def snapshot(self, name: object) -> Path:
        """The model's latest output frame as a lossless PNG inside the folder."""
        path = inside(self.folder, name)
        if path.suffix.lower() != ".png":
            raise SharpcamError(f"{name!r}: a snapshot is a PNG; give a name ending in .png")
        with self._lock:
            frame = self._latest
        if frame is None:
            raise SharpcamError("no frame yet: wait for the picture, then take the snapshot")
        write_bytes_atomic(path, png_bytes(frame))
        return path

    def set_vcam(self, on: bool) -> bool:
        """The virtual camera on (the first one found, as `cam --sink vcam`) or off."""
        if on and self._vcam is None:
            sink = open_sink("vcam", self._size(), self.fps)
            with self._lock:
                self._vcam = sink
        elif not on:
            with self._lock:
                sink, self._vcam = self._vcam, None
            if sink is not None:
                sink.close()
        return self._vcam is not None

    def state(self) -> dict:
        return {"folder": shown(self.folder), "recording": self.recording.name if self.recording else None,
                "vcam": self._vcam is not None}

    def stop_all(self) -> None:
        self.stop_record()
        self.set_vcam(False)

    def _size(self) -> tuple[int, int]:
        if self.size is None:
            raise SharpcamError("no source is running")
        return self.size


def png_bytes(frame: np.ndarray) -> bytes:
    """A BGR frame as a lossless PNG file's bytes."""
    ok, data = opencv().imencode(".png", frame)
    if not ok:
        raise SharpcamError("could not encode the picture as PNG")
    return data.tobytes()
