"""What flows through the pipeline: a `Frame`, and the `Source` protocol every frame source implements.

source -> pipeline -> backend -> sink. A source hands over uint8 BGR H x W x 3 frames (OpenCV's order);
the pipeline wraps each in a Frame with what the later stages need to know about it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass
class Frame:
    index: int
    image: np.ndarray  # BGR, as captured
    t0: float  # perf_counter() when the source handed the frame over
    name: str | None = None  # the source's name for it (a folder's file name), taken at capture time
    generation: int = 0  # the source's count of discontinuities (reconnects, loops) when it was captured
    pts: float | None = None  # seconds on the source's own clock (a file's timestamps); None: a camera, a folder
    # pinned frames lent by a GPU backend that this frame holds (its image, its output): given back when the
    # frame leaves the pipeline (runtime/host_frames.py)
    loans: list[np.ndarray] = field(default_factory=list)


class Source(Protocol):
    """Every attribute the pipeline, the session and the sinks read; every source defines them all."""

    size: tuple[int, int]  # (width, height)
    fps: float
    live: bool  # a camera: frames come at their own pace and old ones are worthless
    frame_count: int | None  # frames a finite source holds, where it can tell (a progress bar's total)
    # A count of discontinuities (a camera that reconnected, a clip played again): when it changes, the
    # pipeline resets the temporal filter so it does not blend across the gap.
    generation: int
    # Decoder warnings the source kept off the terminal (libjpeg's, from a camera's MJPG frames; 0 for sources
    # that decode none themselves), reported in --stats.
    decoder_warnings: int

    @property
    def last_name(self) -> str | None:
        """The file name of the frame read() last returned (an image folder's), which a folder sink keeps as
        the output's stem; None for sources whose frames have no names."""

    @property
    def last_time(self) -> float | None:
        """The time stamp (seconds from the start) of the frame read() last returned, as the file says: a
        variable-frame-rate clip's frames are not 1/fps apart; None where frames have no times of their own."""

    def read(self) -> np.ndarray | None: ...  # None at the end of a finite source

    def close(self) -> None: ...


@runtime_checkable
class ReadsInto(Protocol):
    """A source's optional capability: the next frame decoded into `out` (returned as is) where its size
    matches, else a new array (None at the end): a GPU backend's pinned frame is then filled without a host copy."""

    def read_into(self, out: np.ndarray | None) -> np.ndarray | None: ...
