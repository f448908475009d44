"""What a file job tells while it runs, around another sink: a progress bar (done, rate, ETA) on a terminal,
else (a log, a script) one line estimating the time the job will take, once its first frames are done. The
model's time grows with the pixels: a 4K clip takes about a second a frame on a laptop CPU, and the user should
hear that after seconds, not find it out after an hour."""
from __future__ import annotations

import sys
import time

import numpy as np

from runtime.sinks.base import Sink

MEASURED_FRAMES = 3  # frames timed for the estimate (after the first, which pays the model's warm-up)
WORTH_SAYING = 30.0  # seconds: a shorter job needs no estimate


def duration_text(seconds: float) -> str:
    """6.000 s, or 1:02:03.5 style above a minute."""
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours}:{minutes:02d}:{rest:04.1f}"
    return f"{minutes}:{rest:04.1f}" if minutes else f"{rest:.3f} s"


class _Around(Sink):
    """Another sink, with something done after each frame it takes."""

    def __init__(self, inner: Sink, total: int) -> None:
        self.inner, self.name, self.total, self.done = inner, inner.name, total, 0

    @property
    def keeps_frames(self) -> bool:  # type: ignore[override] - the wrapped sink's answer
        return self.inner.keeps_frames

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        return self.write_at(None, frame, original, status, name)

    def write_at(self, pts: float | None, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
                 name: str | None = None) -> bool:
        keep_going = self.inner.write_at(pts, frame, original, status, name)
        self.done += 1
        self._after_write(frame)
        return keep_going

    def _after_write(self, frame: np.ndarray) -> None: ...

    def close(self) -> None:
        self.inner.close()


class ProgressSink(_Around):
    """A progress bar on stderr for a source of known length."""

    def __init__(self, inner: Sink, total: int) -> None:
        from tqdm import tqdm
        super().__init__(inner, total)
        self._bar = tqdm(total=total, unit="frame", file=sys.stderr, dynamic_ncols=True, leave=True)

    def _after_write(self, frame: np.ndarray) -> None:
        self._bar.update(1)

    def close_bar(self) -> None:
        """End the bar (idempotent), so the lines printed after a run start on a line of their own."""
        self._bar.close()

    def close(self) -> None:
        self.close_bar()
        super().close()


class EstimateSink(_Around):
    """One line, a few frames in, when the whole job will take a while: how long a frame takes, and the rest."""

    def __init__(self, inner: Sink, total: int, clock=time.perf_counter) -> None:
        super().__init__(inner, total)
        self._clock, self._started = clock, None

    def _after_write(self, frame: np.ndarray) -> None:
        if self.done == 1:
            self._started = self._clock()
        elif self.done == 1 + MEASURED_FRAMES and self._started is not None:
            per_frame = (self._clock() - self._started) / MEASURED_FRAMES
            left = self.total - self.done
            if per_frame * left >= WORTH_SAYING:
                print(f"note: {frame.shape[1]}x{frame.shape[0]} frames take {per_frame:.2f} s each here: about "
                      f"{duration_text(per_frame * left)} for the {left} frames left", file=sys.stderr, flush=True)


def with_progress(sink: Sink, total: int | None) -> Sink:
    """A progress bar where it helps (a known length, stderr a terminal), else an estimate when it is long."""
    if not total:
        return sink
    return ProgressSink(sink, total) if sys.stderr.isatty() else EstimateSink(sink, total)


def unwrapped(sink: Sink) -> Sink:
    """The sink that writes, inside a progress bar or an estimate."""
    return sink.inner if isinstance(sink, _Around) else sink
