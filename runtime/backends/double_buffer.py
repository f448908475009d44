"""Two slots of pinned host and device buffers, so frame N+1 uploads while frame N computes.

The scheduler talks to a small `GpuDevice` interface (streams, events, async copies), implemented for CUDA
in runtime/backends/cuda_device.py and, for the tests, by tests/host_device.py's host-memory stand-in, which
exercises the scheduling on machines without a GPU. Everything is allocated once; nothing per frame.

Per slot, on three streams:  h2d: upload -> compute: wait(uploaded), launch -> d2h: wait(inferred), download.
Before a slot is reused, submit() waits for its previous download, so a slot is never overwritten in use.
submit() returns a `Handle` naming the slot and the slot's generation (its count of submits); a handle whose
slot has since been reused, or that was already collected, is refused instead of returning another frame.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

from runtime.backends.resources import Resources
from runtime.host_frames import HostFrames


class GpuDevice(Protocol):
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
    generation: int = 0  # submits so far; a handle is good only for the generation it was given
    busy: bool = False  # submitted and not yet collected
    lent_out: Any = None  # the lent pinned frame this submit downloads into (lend_frames); None: host_out


@dataclass(frozen=True)
class Handle:
    """One submitted frame: which slot, which of its submits, and the host copy into pinned memory (s)."""
    slot: int
    generation: int
    copy_in: float


class StaleHandle(RuntimeError):
    """A handle collected twice, or whose slot was reused by a later submit: a bug in the caller."""


# The events each slot records, in the order one frame passes them (timeline() reports them).
EVENT_NAMES = ("start", "uploaded", "computing", "inferred", "downloading", "done")


class DoubleBuffer:
    """`launch(slot, stream)` enqueues the model reading slot.dev_in and writing slot.dev_out."""

    def __init__(self, device: GpuDevice, launch: Callable[[Slot, Any], None], in_shape: tuple[int, ...],
                 out_shape: tuple[int, ...], dtype: np.dtype = np.dtype(np.uint8), slots: int = 2) -> None:
        self.device, self.launch = device, launch
        self._owner = Resources()  # the buffers; streams and events belong to the device, freed by its close()
        self.slots: list[Slot] = []
        try:
            self.streams = {name: device.stream() for name in ("h2d", "compute", "d2h")}
            for i in range(slots):
                host_in, host_out = (self._own(device.host_buffer(shape, dtype), f"slot {i} pinned memory")
                                     for shape in (in_shape, out_shape))
                dev_in, dev_out = (self._own(device.device_buffer(int(np.prod(shape)) * dtype.itemsize),
                                             f"slot {i} device memory") for shape in (in_shape, out_shape))
                events = {n: device.event() for n in EVENT_NAMES}
                self.slots.append(Slot(i, host_in, host_out, dev_in, dev_out, events))
        except BaseException:
            self.free()
            raise
        self._next = 0
        self._lent: tuple[HostFrames, HostFrames] | None = None

    def _own(self, buffer: Any, what: str) -> Any:
        return self._owner.own(buffer, lambda b: b.free(), what)

    @property
    def in_flight(self) -> int:
        """Frames that may be submitted before the first must be collected: one per slot."""
        return len(self.slots)

    def _finish_previous(self, slot: Slot) -> None:
        """A slot whose last frame was never collected: wait for it before reuse (its handle goes stale)."""
        if slot.busy:
            self.device.synchronize(slot.events["done"])
            self._give_back_output(slot)  # nobody will collect that frame

    def _give_back_output(self, slot: Slot) -> None:
        if slot.lent_out is not None:
            self._lent[1].give_back(slot.lent_out.array)
            slot.lent_out = None

    def lend_frames(self, count: int) -> tuple[HostFrames, HostFrames]:
        """Pinned input and output frames (`count` of each, runtime/host_frames.py), allocated on the first call.
        From then on submit() uploads straight from a lent input frame, and each submit downloads into a lent
        output frame, which collect() hands out without a copy: the caller gives it back when done with it (while
        every output frame is out, the slot's own output and a copy serve, as before)."""
        if self._lent is None:
            shapes = (self.slots[0].host_in.array.shape, self.slots[0].host_out.array.shape)
            dtype = self.slots[0].host_in.array.dtype
            self._lent = tuple(self._owner.own(HostFrames(lambda s=shape: self.device.host_buffer(s, dtype), count),
                                               lambda pool: pool.free(), f"{count} lent pinned frames")
                               for shape in shapes)
        return self._lent

    def next_input(self) -> np.ndarray:
        """The pinned input of the slot the next submit() uses, free to be written: a source that decodes
        straight into it (and passes it to submit) saves the one host copy per frame."""
        slot = self.slots[self._next]
        self._finish_previous(slot)
        return slot.host_in.array

    def submit(self, frame: np.ndarray) -> Handle:
        slot = self.slots[self._next]
        self._next = (self._next + 1) % len(self.slots)
        self._finish_previous(slot)
        ev, st, dev = slot.events, self.streams, self.device
        start = time.perf_counter()
        host_in = self._lent[0].buffer_of(frame) if self._lent is not None else None
        if host_in is None:
            host_in = slot.host_in
            if frame is not slot.host_in.array:  # written in place through next_input(): nothing to copy
                np.copyto(slot.host_in.array, frame)  # the one host copy: camera frame -> pinned memory
        copy_in = time.perf_counter() - start
        slot.lent_out = self._lent_output()
        dev.record(ev["start"], st["h2d"])
        dev.h2d(slot.dev_in, host_in, st["h2d"])
        dev.record(ev["uploaded"], st["h2d"])
        dev.wait(st["compute"], ev["uploaded"])
        dev.record(ev["computing"], st["compute"])
        try:
            self.launch(slot, st["compute"])
        except BaseException:  # the caller reuses (or gives back) its frame: the upload must be done reading it
            dev.synchronize(ev["uploaded"])
            self._give_back_output(slot)
            raise
        dev.record(ev["inferred"], st["compute"])
        dev.wait(st["d2h"], ev["inferred"])
        dev.record(ev["downloading"], st["d2h"])
        dev.d2h(slot.host_out if slot.lent_out is None else slot.lent_out, slot.dev_out, st["d2h"])
        dev.record(ev["done"], st["d2h"])
        slot.generation += 1
        slot.busy = True
        return Handle(slot.index, slot.generation, copy_in)

    def collect(self, handle: Handle, copy: bool = True) -> tuple[np.ndarray, dict[str, float]]:
        """Wait for the handle's download; return its frame and stage times: the host copies into and out of
        pinned memory, and the device's upload, compute and download. `copy=False` returns the slot's pinned
        output itself, valid only until `len(slots)` more submits (a sink that reads it at once saves a copy)."""
        slot = self.slots[handle.slot]
        if handle.generation != slot.generation or not slot.busy:
            why = "was already collected" if handle.generation == slot.generation else "was reused by a later submit"
            raise StaleHandle(f"double buffer: slot {handle.slot}'s frame {handle.generation} {why}; collect each "
                              f"handle once, and before submitting {len(self.slots)} more frames")
        self.device.synchronize(slot.events["done"])
        slot.busy = False
        ev, ms = slot.events, self.device.elapsed_ms
        timings = {"copy_in": handle.copy_in, "upload": ms(ev["start"], ev["uploaded"]) / 1000,
                   "infer": ms(ev["computing"], ev["inferred"]) / 1000,
                   "download": ms(ev["downloading"], ev["done"]) / 1000}
        start = time.perf_counter()
        if slot.lent_out is not None:  # a lent frame: the caller's now, no copy (copy= does not apply)
            out, slot.lent_out = slot.lent_out.array, None
        else:
            out = slot.host_out.array.copy() if copy else slot.host_out.array
        timings["copy_out"] = time.perf_counter() - start
        return out, timings

    def _lent_output(self) -> Any:
        """A lent output frame's buffer for the next download, or None (no lending, or every one is out)."""
        return None if self._lent is None else self._lent[1].lend_buffer()

    def mark(self) -> Any:
        """An event recorded now on the upload stream: the zero that timeline() measures from."""
        event = self.device.event()
        self.device.record(event, self.streams["h2d"])
        return event

    def timeline(self, handle: Handle, since: Any) -> dict[str, float]:
        """Milliseconds from `since` (a mark()) to each of EVENT_NAMES for a collected frame: whether one
        slot's copies overlapped the other's compute. Valid until the slot's next submit."""
        slot = self.slots[handle.slot]
        if handle.generation != slot.generation or slot.busy:
            raise StaleHandle(f"double buffer: timeline of slot {handle.slot}'s frame {handle.generation} asked "
                              "before it was collected or after the slot was reused")
        return {name: self.device.elapsed_ms(since, slot.events[name]) for name in EVENT_NAMES}

    def free(self) -> list[str]:
        """Wait for frames in flight, then free every buffer (idempotent, never raises); returns what failed."""
        problems = []
        for slot in self.slots:
            if slot.busy:
                try:
                    self.device.synchronize(slot.events["done"])
                except Exception as err:  # noqa: BLE001 - a failed device still gets its memory freed
                    problems.append(f"slot {slot.index} did not finish: {err}")
        self.slots = []
        return problems + self._owner.release_all()
