"""Pinned frames lent to the pipeline, so a GPU backend's host copies disappear (issue 19, item 2).

Without them every frame is copied twice on the CPU: the decoded frame into the double buffer's pinned input,
and the pinned output into a fresh array for the sink (1.2 and 2.6 ms per 1080p frame on the H200 machine:
several times the transfers themselves). With them the source decodes straight into a pinned frame, the
backend uploads from it, downloads into another pinned frame, and the sink reads that one.

`HostFrames` is a fixed set of pinned frames of one shape, allocated once through the double buffer's device.
`lend()` hands one out (None when every frame is out: the caller falls back to plain arrays and the copies, and
`misses` counts it); `give_back()` returns it. A lent frame is recognised by identity (`buffer_of`), so a view or
a resized copy is never mistaken for one. Thread-safe: the capture thread lends, the worker and the caller's
thread give back.

`FrameLending` is the pipeline's side: which frames it may borrow (a source that decodes into a given array,
frames at the model's size, a sink that does not keep frames after write()), and giving back a frame's loans
when the frame leaves the pipeline (written, dropped by a queue, or failed).
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np

from runtime.backends.base import LendsFrames
from runtime.frames import Frame, ReadsInto, Source


class HostFrames:
    def __init__(self, allocate: Callable[[], Any], count: int) -> None:
        """`allocate()` -> a host buffer with `.array` (the frame) and `.free()`; called `count` times, now."""
        self._lock = threading.Lock()
        self._buffers: list[Any] = []
        try:
            for _ in range(count):
                self._buffers.append(allocate())
        except BaseException:
            self.free()
            raise
        self._free = list(self._buffers)
        self._by_id = {id(b.array): b for b in self._buffers}
        self.misses = 0  # lend() calls that found every frame out

    @property
    def count(self) -> int:
        return len(self._buffers)

    @property
    def lent(self) -> int:
        with self._lock:
            return len(self._buffers) - len(self._free)

    def lend_buffer(self) -> Any | None:
        """A free frame's pinned buffer (the double buffer downloads into it), or None when every one is out."""
        with self._lock:
            if not self._free:
                self.misses += 1
                return None
            return self._free.pop()

    def lend(self) -> np.ndarray | None:
        """A free frame (the buffer's array), or None when every one is out."""
        buffer = self.lend_buffer()
        return None if buffer is None else buffer.array

    def buffer_of(self, array: np.ndarray | None) -> Any | None:
        """The pinned buffer behind `array` when it is one of these frames, lent out; else None."""
        buffer = self._by_id.get(id(array))
        return buffer if buffer is not None and buffer.array is array else None

    def give_back(self, array: np.ndarray) -> bool:
        """Idempotent: False when `array` is not one of these frames or is not lent out."""
        buffer = self.buffer_of(array)
        with self._lock:
            if buffer is None or any(b is buffer for b in self._free):
                return False
            self._free.append(buffer)
            return True

    def free(self) -> None:
        """Free every frame (idempotent). Frames still lent must not be used afterwards."""
        buffers, self._buffers, self._free, self._by_id = self._buffers, [], [], {}
        for buffer in buffers:
            buffer.free()


def lend_frames(backend: Any, count: int) -> tuple[HostFrames, HostFrames] | None:
    """A backend's pinned input and output frames, `count` of each, where it lends them (the PyTorch and
    TensorRT engines, through their double buffer); None for a backend that copies anyway (the CPU ones)."""
    return backend.lend_frames(count) if isinstance(backend, LendsFrames) else None


class FrameLending:
    """The pipeline's loans. `frames_needed` is how many frames can be on their way at once: one being read,
    one per queue slot, the backend's frames in flight, one being written, and the one a stalled camera shows
    again (kept until the next is written)."""

    def __init__(self, inputs: HostFrames | None, outputs: HostFrames | None) -> None:
        self.inputs, self.outputs = inputs, outputs

    @staticmethod
    def frames_needed(in_flight: int) -> int:
        return in_flight + 5  # reading, q_in, worker's hand, q_out, sink, the last shown (see above)

    @classmethod
    def open(cls, source: Source, backend: Any, sink_keeps_frames: bool) -> "FrameLending":
        """Lending where it is safe: a sink that keeps frames after write() (the app's page) gets plain
        arrays; only a source that decodes into a given array, at the model's size, reads into pinned input."""
        if sink_keeps_frames:
            return cls(None, None)
        pools = lend_frames(backend, cls.frames_needed(backend.in_flight))
        if pools is None:
            return cls(None, None)
        inputs, outputs = pools
        same_size = backend.size is not None and tuple(backend.size) == tuple(source.size)
        return cls(inputs if same_size and isinstance(source, ReadsInto) else None, outputs)

    def read(self, source: Source) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The source's next frame, decoded into a lent pinned frame where one is free; and that loan (None
        when the frame is a plain array)."""
        buffer = self.inputs.lend() if self.inputs is not None else None
        if buffer is None:
            return source.read(), None
        image = source.read_into(buffer)  # type: ignore[attr-defined] - FrameLending.open checked it
        if image is not buffer:  # the end, or a frame of another size (a camera that switched modes)
            self.inputs.give_back(buffer)
            return image, None
        return image, buffer

    def borrowed(self, frame: Frame, array: np.ndarray) -> None:
        """`array` (a backend's output) goes back when `frame` leaves the pipeline, if it is a loan."""
        if self.outputs is not None and self.outputs.buffer_of(array) is not None:
            frame.loans.append(array)

    def release(self, frame: Frame) -> None:
        """Give back every loan the frame holds (idempotent)."""
        loans, frame.loans = frame.loans, []
        for array in loans:
            for pool in (self.inputs, self.outputs):
                if pool is not None and pool.give_back(array):
                    break

    def report(self) -> dict:
        """For --stats: which side lends, and how often a frame found none free (a copy was made instead)."""
        return {side: None if pool is None else {"frames": pool.count, "misses": pool.misses}
                for side, pool in (("inputs", self.inputs), ("outputs", self.outputs))}
