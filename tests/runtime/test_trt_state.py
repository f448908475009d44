"""The TensorRT backend's state handling, on the host stand-in: TensorRT and CUDA are simulated.

What is checked is ours, not TensorRT's: the two state buffers ping-pong so that with two frames in
flight each launch reads the state the previous launch wrote, reset() fills the next one read with
RESET_BYTE, strength reaches the engine, and close() frees everything once.
"""
from __future__ import annotations

import numpy as np
import pytest

import runtime.backends.tensorrt as trt_backend
from host_device import HostDevice
from runtime.errors import SharpcamError
from trt_stub import H, W, install


@pytest.fixture
def backend(monkeypatch, tmp_path):
    device = install(monkeypatch)
    engine = tmp_path / "stub.plan"
    engine.write_bytes(b"stub")
    b = trt_backend.TensorRTBackend(engine)
    yield b, device
    b.close()


def _run(b, frames, in_flight=2):
    pending, outs = [], []
    for f in frames:  # the pipeline's pattern with two frames in flight
        pending.append(b.submit(f))
        if len(pending) >= in_flight:
            outs.append(b.collect(pending.pop(0))[0])
    outs += [b.collect(p)[0] for p in pending]
    return outs


def test_state_chains_across_frames_in_flight(backend):
    b, _ = backend
    frames = [np.full((H, W, 3), 10 * i, np.uint8) for i in range(5)]
    outs = _run(b, frames)
    assert [int(o[0, 0, 0]) for o in outs] == [10 * i + i + 1 for i in range(5)]


def test_reset_starts_the_chain_over_and_strength_reaches_the_engine(backend):
    b, device = backend
    frames = [np.full((H, W, 3), 10, np.uint8) for _ in range(3)]
    _run(b, frames)
    b.reset()
    assert device.log[-1] == "memset"
    assert [int(o[0, 0, 0]) for o in _run(b, frames)] == [11, 12, 13]
    b.reset()
    b.strength = 0.5
    assert int(_run(b, frames[:1])[0][0, 0, 0]) == 5  # (10 + 1) * 0.5, truncated
    with pytest.raises(Exception, match="strength"):
        b.strength = 1.5


def test_close_is_idempotent_and_frees_the_state(backend):
    b, device = backend
    assert device.live > 0
    b.close()
    b.close()
    assert device.log.count("close") == 1 and device.live == 0


class _FailingDevice(HostDevice):
    """Fails its n-th allocation (`fail_at`), or every free of device memory (`bad_free`)."""

    def __init__(self, fail_at: int | None = None, bad_free: bool = False) -> None:
        super().__init__()
        self.fail_at, self.bad_free = fail_at, bad_free

    def _allocate(self, array):
        if self.allocations == self.fail_at:
            raise SharpcamError("CUDA error cudaErrorMemoryAllocation (simulated)")
        return super()._allocate(array)

    def free(self, buffer):
        super().free(buffer)
        if self.bad_free and buffer.array.dtype == np.uint8 and buffer.array.ndim == 1:
            raise SharpcamError("CUDA error cudaErrorIllegalAddress (simulated)")


def _allocations_of_a_whole_backend(monkeypatch, engine) -> int:
    device = install(monkeypatch)
    trt_backend.TensorRTBackend(engine).close()
    return device.allocations


def test_a_constructor_failing_midway_frees_everything_it_made(monkeypatch, tmp_path):
    """Fail each allocation in turn: the error reaches the caller and nothing stays allocated."""
    engine = tmp_path / "stub.plan"
    engine.write_bytes(b"stub")
    total = _allocations_of_a_whole_backend(monkeypatch, engine)
    assert total >= 10  # 2 states + 2 strength + 2 slots x 4 buffers
    for fail_at in range(total):
        device = install(monkeypatch, _FailingDevice(fail_at))
        with pytest.raises(SharpcamError, match="simulated"):
            trt_backend.TensorRTBackend(engine)
        assert device.allocations == fail_at and device.live == 0, fail_at
        assert device.log.count("close") == 1, fail_at  # streams and events destroyed too


def test_close_never_raises_and_frees_the_rest_when_one_free_fails(monkeypatch, tmp_path, capsys):
    engine = tmp_path / "stub.plan"
    engine.write_bytes(b"stub")
    device = install(monkeypatch, _FailingDevice(bad_free=True))
    b = trt_backend.TensorRTBackend(engine)
    b.collect(b.submit(np.zeros((H, W, 3), np.uint8)))
    b.submit(np.zeros((H, W, 3), np.uint8))  # one frame still in flight at close
    b.close()
    b.close()
    assert device.live == 0 and device.log.count("close") == 1
    assert "could not release" in capsys.readouterr().err
