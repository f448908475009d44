"""Outputs whose frame size is fixed when they open: a virtual camera (video-call apps read one size for the
life of the device) and a video file (one stream, one size). A camera may change resolution mid-run (a
replug, a driver switch, a USB bandwidth fallback); its frames are then scaled into the opened size with
black bars where the shapes differ, never squeezed, and the sink says so once per new size.
"""
from __future__ import annotations

import sys

import numpy as np

from runtime.imaging import resize


def letterbox(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`frame` scaled to fit `size` (width, height) with its aspect ratio kept, centred on black."""
    height, width = frame.shape[:2]
    scale = min(size[0] / width, size[1] / height)
    fitted = (max(1, min(size[0], round(width * scale))), max(1, min(size[1], round(height * scale))))
    canvas = np.zeros((size[1], size[0], frame.shape[2]), frame.dtype)
    x, y = (size[0] - fitted[0]) // 2, (size[1] - fitted[1]) // 2
    canvas[y:y + fitted[1], x:x + fitted[0]] = resize(frame, fitted)
    return canvas


class FixedSize:
    """The size an output opened with; fit() brings any frame to it (the frame itself when it already fits)."""

    def __init__(self, size: tuple[int, int], what: str) -> None:
        self.size, self._what = (int(size[0]), int(size[1])), what
        self._noted: set[tuple[int, int]] = set()

    def fit(self, frame: np.ndarray) -> np.ndarray:
        got = (frame.shape[1], frame.shape[0])
        if got == self.size:
            return frame
        if got not in self._noted:  # once per new size, not once per frame
            self._noted.add(got)
            print(f"note: the source now gives {got[0]}x{got[1]} frames; the {self._what} keeps its "
                  f"{self.size[0]}x{self.size[1]} for the rest of the run, so they are scaled into it (black bars "
                  "where the shapes differ)", file=sys.stderr, flush=True)
        return letterbox(frame, self.size)
