"""The sink protocol, the last stage: where frames go (runtime/sinks/: window, vcam, video file, folder,
progress bar around another; factory.py opens one by name).

Every sink is a `Sink`: a context manager with an idempotent close(), so Ctrl-C (and SIGTERM, which
runtime.cam turns into the same path) still finalizes a video file. write() takes an optional `name`: the
source's name for the frame (a folder source's file name, else the frame's index as 000042), which only the
folder sink uses; the others accept and ignore it.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class Sink(ABC):
    """What the pipeline writes to. write() returns False when the user asked to stop (a window's q)."""

    name: str
    # True for a sink that still reads a frame after write() returned (the app's page keeps the latest): the
    # pipeline then hands it frames of its own, never a GPU backend's lent pinned frames (runtime/host_frames.py)
    keeps_frames: bool = False

    @abstractmethod
    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool: ...

    def write_at(self, pts: float | None, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
                 name: str | None = None) -> bool:
        """write() with the frame's time on the source's clock (seconds; None: unknown), which only a sink
        that keeps time (a video file) uses; the others need not know it."""
        return self.write(frame, original, status, name)

    def close(self) -> None:
        """Finish the output (idempotent: called by __exit__ and possibly before it). Nothing to finish here."""

    def __enter__(self) -> "Sink":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class SinkOptions:
    """How a sink presents frames, beyond where they go."""

    side_by_side: bool = False  # window: original | sharpened
    mirror: bool = False  # window and virtual camera: flip left-right, as a selfie view
    vcam_device: str | None = None  # virtual camera: /dev/videoN or an OBS/Unity Capture name; None: the first
    audio_from: Path | None = None  # video files: the source file whose audio track to keep
    codec: str | None = None  # video files: runtime/sinks/formats.py's CODECS; None: the container's default
    crf: int | None = None  # H.264 and VP9: constant quality (lower is better); None: the codec's default


class NullSink(Sink):
    """Discards frames (benchmarks, soak tests: the pipeline's cost without an output's)."""

    name = "null"

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        return True  # True: keep going
