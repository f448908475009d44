"""A host-memory stand-in for runtime/backends/double_buffer.py's GpuDevice, for tests on machines without a
GPU (and for reading the scheduling in plain numpy)."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np


@dataclass
class _HostArray:
    array: np.ndarray
    device: "HostDevice | None" = None

    @property
    def ptr(self) -> "_HostArray":
        return self

    def free(self) -> None:
        if self.device is not None:
            self.device.free(self)
        self.array, self.device = np.empty(0, np.uint8), None


class HostDevice:
    """Streams run their work immediately; events are timestamps. Counts allocations, and the buffers still
    held (`live`), for the tests."""

    def __init__(self) -> None:
        self.allocations = 0
        self.live = 0
        self.log: list[str] = []
        self._streams = 0

    def host_buffer(self, shape, dtype) -> _HostArray:
        return self._allocate(np.zeros(shape, dtype))

    def device_buffer(self, nbytes: int) -> _HostArray:
        return self._allocate(np.zeros(nbytes, np.uint8))

    def _allocate(self, array: np.ndarray) -> _HostArray:
        self.allocations += 1
        self.live += 1
        return _HostArray(array, self)

    def free(self, buffer: _HostArray) -> None:
        self.live -= 1

    def stream(self) -> int:
        self._streams += 1
        return self._streams  # a handle, as cuda-python's streams convert to int

    def event(self) -> list[float]:
        return [0.0]

    def h2d(self, dst: _HostArray, src: _HostArray, stream) -> None:
        dst.array[:] = src.array.reshape(-1).view(np.uint8)
        self.log.append("h2d")

    def d2h(self, dst: _HostArray, src: _HostArray, stream) -> None:
        dst.array.reshape(-1).view(np.uint8)[:] = src.array
        self.log.append("d2h")

    def memset(self, dst: _HostArray, byte: int, stream) -> None:
        dst.array.reshape(-1).view(np.uint8)[:] = byte
        self.log.append("memset")

    def record(self, event: list[float], stream) -> None:
        event[0] = time.perf_counter()

    def wait(self, stream, event) -> None:
        pass

    def synchronize(self, event) -> None:
        self.log.append("sync")

    def elapsed_ms(self, start: list[float], end: list[float]) -> float:
        return (end[0] - start[0]) * 1000

    def close(self) -> None:
        self.log.append("close")
