"""Two slots of pinned host and device buffers, so frame N+1 uploads while frame N computes.

The scheduler talks to a small `Device` interface (streams, events, async copies), implemented for CUDA
in runtime/cuda_device.py and by `HostDevice` below, a host-memory stand-in that lets the tests exercise
the scheduling on machines without a GPU. Everything is allocated once; nothing per frame.

Per slot, on three streams:  h2d: upload -> compute: wait(uploaded), launch -> d2h: wait(inferred), download.
Before a slot is reused, submit() waits for its previous download, so a slot is never overwritten in use.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np


class Device(Protocol):
    def host_buffer(self, shape: tuple[int, ...], dtype: np.dtype) -> Any: ...  # .array: numpy view; .free()
    def device_buffer(self, nbytes: int) -> Any: ...  # .ptr; .free()
    def stream(self) -> Any: ...
    def event(self) -> Any: ...
    def h2d(self, dst: Any, src: Any, stream: Any) -> None: ...
    def d2h(self, dst: Any, src: Any, stream: Any) -> None: ...
    def memset(self, dst: Any, byte: int, stream: Any) -> None: ...  # every byte of a device buffer
    def record(self, event: Any, stream: Any) -> None: ...
    def wait(self, stream: Any, event: Any) -> None: ...  # the stream waits for the event
    def synchronize(self, event: Any) -> None: ...  # the host waits for the event
    def elapsed_ms(self, start: Any, end: Any) -> float: ...


@dataclass
class Slot:
    index: int
    host_in: Any
    host_out: Any
    dev_in: Any
    dev_out: Any
    events: dict[str, Any] = field(default_factory=dict)
    busy: bool = False


class DoubleBuffer:
    """`launch(slot, stream)` enqueues the model reading slot.dev_in and writing slot.dev_out."""

    def __init__(self, device: Device, launch: Callable[[Slot, Any], None], in_shape: tuple[int, ...],
                 out_shape: tuple[int, ...], dtype: np.dtype = np.dtype(np.uint8), slots: int = 2) -> None:
        self.device, self.launch = device, launch
        self.streams = {name: device.stream() for name in ("h2d", "compute", "d2h")}
        nbytes_in = int(np.prod(in_shape)) * dtype.itemsize
        nbytes_out = int(np.prod(out_shape)) * dtype.itemsize
        self.slots = [
            Slot(i, device.host_buffer(in_shape, dtype), device.host_buffer(out_shape, dtype),
                 device.device_buffer(nbytes_in), device.device_buffer(nbytes_out),
                 {n: device.event() for n in ("start", "uploaded", "computing", "inferred", "downloading", "done")})
            for i in range(slots)
        ]
        self._next = 0

    def submit(self, frame: np.ndarray) -> Slot:
        slot = self.slots[self._next]
        self._next = (self._next + 1) % len(self.slots)
        if slot.busy:  # its previous frame was never collected: finish it before reuse
            self.device.synchronize(slot.events["done"])
        ev, st, dev = slot.events, self.streams, self.device
        np.copyto(slot.host_in.array, frame)  # the one host copy: camera frame -> pinned memory
        dev.record(ev["start"], st["h2d"])
        dev.h2d(slot.dev_in, slot.host_in, st["h2d"])
        dev.record(ev["uploaded"], st["h2d"])
        dev.wait(st["compute"], ev["uploaded"])
        dev.record(ev["computing"], st["compute"])
        self.launch(slot, st["compute"])
        dev.record(ev["inferred"], st["compute"])
        dev.wait(st["d2h"], ev["inferred"])
        dev.record(ev["downloading"], st["d2h"])
        dev.d2h(slot.host_out, slot.dev_out, st["d2h"])
        dev.record(ev["done"], st["d2h"])
        slot.busy = True
        return slot

    def collect(self, slot: Slot) -> tuple[np.ndarray, dict[str, float]]:
        """Wait for the slot's download; return a copy of the frame (the slot is reused) and stage times."""
        self.device.synchronize(slot.events["done"])
        slot.busy = False
        ev, ms = slot.events, self.device.elapsed_ms
        timings = {"upload": ms(ev["start"], ev["uploaded"]) / 1000, "infer": ms(ev["computing"], ev["inferred"]) / 1000,
                   "download": ms(ev["downloading"], ev["done"]) / 1000}
        return slot.host_out.array.copy(), timings

    def free(self) -> None:
        for slot in self.slots:
            for buf in (slot.host_in, slot.host_out, slot.dev_in, slot.dev_out):
                buf.free()
        self.slots = []


# --- a host-memory stand-in for the device, for tests and for reading the scheduling in plain numpy ---

@dataclass
class _HostArray:
    array: np.ndarray

    @property
    def ptr(self) -> "_HostArray":
        return self

    def free(self) -> None:
        self.array = np.empty(0, np.uint8)


class HostDevice:
    """Streams run their work immediately; events are timestamps. Counts allocations for the tests."""

    def __init__(self) -> None:
        self.allocations = 0
        self.log: list[str] = []
        self._streams = 0

    def host_buffer(self, shape, dtype) -> _HostArray:
        self.allocations += 1
        return _HostArray(np.zeros(shape, dtype))

    def device_buffer(self, nbytes: int) -> _HostArray:
        self.allocations += 1
        return _HostArray(np.zeros(nbytes, np.uint8))

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
