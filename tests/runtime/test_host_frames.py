"""Lent pinned frames (runtime/host_frames.py): the pool, the double buffer's use of it, and the pipeline's loans
(no host copy in or out; every frame given back, dropped ones too) on the host stand-in device."""
from __future__ import annotations

import time

import numpy as np
import pytest

from host_device import HostDevice
from runtime.backends.double_buffer import DoubleBuffer
from runtime.host_frames import HostFrames
from runtime.pipeline import Pipeline, PipelineConfig
from runtime.queues import DropOldestQueue
from runtime.sinks.base import Sink
from runtime.sources import BuiltinClip

SIZE = (64, 48)


def test_frames_are_lent_given_back_once_and_missed_when_all_are_out():
    device = HostDevice()
    pool = HostFrames(lambda: device.host_buffer((2, 2, 3), np.dtype(np.uint8)), 2)
    a, b = pool.lend(), pool.lend()
    assert a is not None and b is not None and a is not b and pool.lent == 2
    assert pool.lend() is None and pool.misses == 1
    assert pool.give_back(a) and not pool.give_back(a)  # idempotent
    assert not pool.give_back(a.copy()) and not pool.give_back(b[:1])  # a copy or a view is not a lent frame
    assert pool.buffer_of(b) is not None and pool.buffer_of(b.copy()) is None
    assert pool.lent == 1 and pool.lend() is a
    pool.free()
    assert device.live == 0


def invert(slot, stream) -> None:
    slot.dev_out.array[:] = 255 - slot.dev_in.array


def test_the_double_buffer_uploads_from_a_lent_frame_and_downloads_into_one():
    device = HostDevice()
    buffers = DoubleBuffer(device, invert, (4, 6, 3), (4, 6, 3))
    inputs, outputs = buffers.lend_frames(3)
    frame = inputs.lend()
    frame[:] = 7
    out, timings = buffers.collect(buffers.submit(frame))
    assert outputs.buffer_of(out) is not None and int(out[0, 0, 0]) == 248
    assert not any(slot.host_in.array.any() for slot in buffers.slots)  # never copied into a slot
    # every output frame out: the slot's own output and a copy serve, and the miss is counted
    held = [outputs.lend(), outputs.lend()]
    assert outputs.lent == 3
    plain, _ = buffers.collect(buffers.submit(np.full((4, 6, 3), 1, np.uint8)))
    assert outputs.buffer_of(plain) is None and int(plain[0, 0, 0]) == 254 and outputs.misses == 1
    for array in (out, *held):
        outputs.give_back(array)
    # a frame submitted and never collected gives its lent output back when its slot is reused
    buffers.submit(frame), buffers.submit(frame), buffers.submit(frame)
    assert outputs.lent == 2
    buffers.free()
    assert device.live == 0


def test_a_full_queue_hands_what_it_drops_to_on_drop():
    dropped = []
    queue = DropOldestQueue(1, on_drop=dropped.append)
    for item in (1, 2, 3):
        queue.put(item)
    queue.close()
    queue.put(4)  # put after close: nobody will take it
    assert dropped == [1, 2, 4] and queue.drain() == [3]


class LendingBackend:
    """A double-buffered stand-in GPU backend on the host device: output = 255 - input. Counts the submits
    whose frame was one of its lent pinned frames (uploaded without a host copy)."""

    name, strength, threads, multiple, compiles_per_size = "lending stand-in", 1.0, None, 1, False

    def __init__(self, size=SIZE) -> None:
        self.size, self.device = size, HostDevice()
        self.buffers = DoubleBuffer(self.device, invert, (size[1], size[0], 3), (size[1], size[0], 3))
        self.in_flight, self.pools, self.submits, self.from_lent = 2, None, 0, 0

    def lend_frames(self, count: int):
        self.pools = self.buffers.lend_frames(count)
        return self.pools

    def submit(self, frame):
        self.submits += 1
        self.from_lent += self.pools is not None and self.pools[0].buffer_of(frame) is not None
        return self.buffers.submit(frame)

    def collect(self, handle):
        return self.buffers.collect(handle)

    def reset(self) -> None: ...

    def close(self) -> None:
        self.buffers.free()


class Recording(Sink):
    name = "recording"

    def __init__(self, keeps_frames: bool = False, delay: float = 0.0) -> None:
        self.keeps_frames, self.delay, self.frames = keeps_frames, delay, []

    def write(self, frame, original=None, status="", name=None) -> bool:
        time.sleep(self.delay)
        self.frames.append((original.copy(), frame.copy()))
        return True


def run(sink: Sink, source=None, backend=None, **cfg) -> tuple[dict, LendingBackend]:
    backend = backend or LendingBackend()
    source = source or BuiltinClip(SIZE, seconds=1.0)
    summary = Pipeline(source, backend, sink, PipelineConfig(in_flight=2, print_every=0, **cfg)).run()
    return summary, backend


def test_the_pipeline_reads_into_and_writes_from_lent_frames_with_the_same_result():
    lent_sink, plain_sink = Recording(), Recording(keeps_frames=True)
    lent, backend = run(lent_sink)
    plain, plain_backend = run(plain_sink)
    assert len(lent_sink.frames) == len(plain_sink.frames) == 30
    for (original, out), (plain_original, plain_out) in zip(lent_sink.frames, plain_sink.frames):
        assert np.array_equal(original, plain_original) and np.array_equal(out, 255 - original)
        assert np.array_equal(out, plain_out)
    assert backend.from_lent == backend.submits == 30 and plain_backend.from_lent == 0
    assert lent["pinned_frames"] == {"inputs": {"frames": 7, "misses": 0}, "outputs": {"frames": 7, "misses": 0}}
    assert "pinned_frames" not in plain  # a sink that keeps frames gets plain arrays
    assert backend.pools[0].lent == backend.pools[1].lent == 0  # every loan given back
    backend.close()


def test_a_source_at_another_size_lends_outputs_only():
    sink = Recording()
    summary, backend = run(sink, source=BuiltinClip((80, 60), seconds=0.5))
    assert backend.from_lent == 0 and summary["pinned_frames"]["inputs"] is None
    assert summary["pinned_frames"]["outputs"]["misses"] == 0 and len(sink.frames) == 15
    backend.close()


class LiveClip(BuiltinClip):
    """The built-in clip as a camera: frames as fast as it makes them, old ones worthless (queues drop)."""
    live = True


def test_frames_dropped_by_a_live_pipeline_give_their_loans_back():
    sink = Recording(delay=0.01)
    summary, backend = run(sink, source=LiveClip(SIZE, seconds=4.0))
    assert summary["dropped"] > 0 and len(sink.frames) < 120
    assert summary["pinned_frames"]["inputs"]["misses"] == 0  # enough frames for every place one can be
    assert backend.pools[0].lent == backend.pools[1].lent == 0
    backend.close()



def test_a_failed_launch_waits_for_the_upload_and_gives_the_output_frame_back():
    device = HostDevice()

    def failing(slot, stream):
        raise RuntimeError("launch failed")

    buffers = DoubleBuffer(device, failing, (2, 2, 3), (2, 2, 3))
    inputs, outputs = buffers.lend_frames(2)
    frame = inputs.lend()
    syncs = device.log.count("sync")
    with pytest.raises(RuntimeError, match="launch failed"):
        buffers.submit(frame)
    assert device.log.count("sync") == syncs + 1 and outputs.lent == 0
    buffers.free()
