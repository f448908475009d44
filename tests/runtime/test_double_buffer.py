"""The GPU path's double buffer: two slots overlap, allocate once, refuse stale handles (on the host stand-in,
and on a real GPU where there is one)."""
from __future__ import annotations

import numpy as np
import pytest

from host_device import HostDevice
from runtime.backends.double_buffer import DoubleBuffer, StaleHandle
from runtime.errors import SharpcamError


def test_double_buffer_overlaps_and_allocates_once():
    device = HostDevice()
    launches = []

    def invert(slot, stream):
        launches.append(slot.index)
        slot.dev_out.array[:] = 255 - slot.dev_in.array

    buffers = DoubleBuffer(device, invert, (4, 6, 3), (4, 6, 3))
    allocated = device.allocations
    frames = [np.full((4, 6, 3), i, np.uint8) for i in range(7)]
    pending, outputs = None, []
    for frame in frames:  # the pipeline's pattern: submit N+1, then collect N
        slot = buffers.submit(frame)
        if pending is not None:
            outputs.append(buffers.collect(pending)[0])
        pending = slot
    out, timings = buffers.collect(pending)
    outputs.append(out)
    assert [int(o[0, 0, 0]) for o in outputs] == [255 - i for i in range(7)]
    assert launches == [0, 1] * 3 + [0]  # two slots, alternating
    assert device.allocations == allocated == 8  # 2 slots x (2 pinned + 2 device), nothing per frame
    assert set(timings) == {"copy_in", "upload", "infer", "download", "copy_out"}


def test_double_buffer_refuses_a_stale_handle_instead_of_returning_another_frame():
    """Submit 3 frames into 2 slots: frame 1's handle is stale (its slot now holds frame 3), so it is refused;
    frames 2 and 3 come back with their own pixels, and no handle can be collected twice."""
    device = HostDevice()
    buffers = DoubleBuffer(device, lambda s, st: s.dev_out.array.__setitem__(slice(None), s.dev_in.array),
                           (2, 2, 3), (2, 2, 3))
    assert buffers.in_flight == len(buffers.slots) == 2
    handles = []
    for value in (1, 2, 3):
        syncs = device.log.count("sync")
        handles.append(buffers.submit(np.full((2, 2, 3), value, np.uint8)))
    assert device.log.count("sync") == syncs + 1  # slot 0's uncollected frame finished before its reuse
    with pytest.raises(StaleHandle, match="reused by a later submit"):
        buffers.collect(handles[0])
    assert [int(buffers.collect(h)[0][0, 0, 0]) for h in handles[1:]] == [2, 3]
    with pytest.raises(StaleHandle, match="already collected"):
        buffers.collect(handles[2])


def _cuda_ready() -> str | None:
    try:
        from runtime.backends.cuda_device import CudaDevice, gpu_identity
        gpu_identity()
    except (SharpcamError, ImportError) as err:
        return str(err)
    return None


@pytest.mark.gpu
@pytest.mark.skipif(_cuda_ready() is not None, reason=f"needs cuda-python and a CUDA GPU: {_cuda_ready()}")
def test_double_buffer_on_a_real_gpu():
    from cuda.bindings import runtime as cudart

    from runtime.backends.cuda_device import CudaDevice, cuda_call
    device = CudaDevice()

    def copy(slot, stream):  # device-to-device copy stands in for the engine
        cuda_call(cudart.cudaMemcpyAsync(slot.dev_out.ptr, slot.dev_in.ptr, slot.dev_in.nbytes,
                                         cudart.cudaMemcpyKind.cudaMemcpyDeviceToDevice, stream))

    buffers = DoubleBuffer(device, copy, (480, 640, 3), (480, 640, 3))
    frames = [np.full((480, 640, 3), i, np.uint8) for i in range(5)]
    pending, outs = None, []
    for f in frames:
        slot = buffers.submit(f)
        if pending is not None:
            outs.append(buffers.collect(pending)[0])
        pending = slot
    outs.append(buffers.collect(pending)[0])
    assert [int(o[0, 0, 0]) for o in outs] == list(range(5))
    buffers.free()
    device.close()


def test_timeline_reports_every_event_of_a_collected_frame_and_refuses_one_in_flight():
    from runtime.backends.double_buffer import EVENT_NAMES
    buffers = DoubleBuffer(HostDevice(), lambda slot, stream: None, (4, 4, 3), (4, 4, 3))
    try:
        zero = buffers.mark()
        handle = buffers.submit(np.zeros((4, 4, 3), np.uint8))
        with pytest.raises(StaleHandle, match="before it was collected"):
            buffers.timeline(handle, zero)
        buffers.collect(handle)
        times = buffers.timeline(handle, zero)
        assert list(times) == list(EVENT_NAMES)
        assert all(later >= earlier >= 0 for earlier, later in zip(times.values(), list(times.values())[1:]))
    finally:
        buffers.free()
