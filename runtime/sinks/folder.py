"""Lossless PNGs in a folder, one per frame."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from runtime.errors import SharpcamError
from runtime.files import write_bytes_atomic
from runtime.imaging import opencv
from runtime.sinks.base import Sink


class FolderSink(Sink):
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
