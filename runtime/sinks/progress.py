"""A progress bar around another sink, for file jobs on a terminal."""
from __future__ import annotations

import sys

import numpy as np

from runtime.sinks.base import Sink


class ProgressSink(Sink):
    """Another sink, with a progress bar (done, rate, ETA) on stderr for a source of known length."""

    def __init__(self, inner: Sink, total: int) -> None:
        from tqdm import tqdm
        self.inner, self.name = inner, inner.name
        self._bar = tqdm(total=total, unit="frame", file=sys.stderr, dynamic_ncols=True, leave=True)

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        return self.write_at(None, frame, original, status, name)

    def write_at(self, pts: float | None, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
                 name: str | None = None) -> bool:
        keep_going = self.inner.write_at(pts, frame, original, status, name)
        self._bar.update(1)
        return keep_going

    def close_bar(self) -> None:
        """End the bar (idempotent), so the lines printed after a run start on a line of their own."""
        self._bar.close()

    def close(self) -> None:
        self.close_bar()
        self.inner.close()


def with_progress(sink: Sink, total: int | None) -> Sink:
    """A progress bar where it helps: a known length, and stderr is a terminal (not a log file)."""
    return ProgressSink(sink, total) if total and sys.stderr.isatty() else sink
