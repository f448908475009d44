"""A stand-in backend (runtime/backends/base.py's Backend) that returns each frame as it came, for tests of
what the pipeline does around the model: it counts the frames it ran, the strength each ran at and when the
pipeline reset its temporal state."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np


class PassThrough:
    name, strength, in_flight, threads, multiple, compiles_per_size = "pass-through", 1.0, 1, None, 1, False

    def __init__(self, size: tuple[int, int] | None = None,
                 before_frame: Callable[[int], None] | None = None) -> None:
        """`size`: a fixed-size graph's (the pipeline resizes frames into it); `before_frame(n)` runs as the
        n-th frame (1-based) is submitted: a user changing the controls while frame n - 1 is in the model."""
        self.size, self._before_frame = size, before_frame
        self.frames = 0
        self.strengths: list[float] = []  # the strength each frame ran at
        self.resets: list[int] = []  # `frames` at each reset: how many frames had run before it

    def submit(self, frame: np.ndarray) -> np.ndarray:
        self.frames += 1
        if self._before_frame is not None:
            self._before_frame(self.frames)
        self.strengths.append(self.strength)
        return frame

    def collect(self, handle: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        return handle, {"infer": 0.0}

    def reset(self) -> None:
        self.resets.append(self.frames)

    def close(self) -> None:
        pass
