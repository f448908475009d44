"""The TensorRT backend's state handling, on the host stand-in: TensorRT and CUDA are simulated.

What is checked is ours, not TensorRT's: the two state buffers ping-pong so that with two frames in
flight each launch reads the state the previous launch wrote, reset() fills the next one read with
RESET_BYTE, strength reaches the engine, and close() frees everything once.
"""
from __future__ import annotations

import numpy as np
import pytest

import runtime.trt_backend as trt_backend
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
    b.close()
    b.close()
    assert device.log.count("close") == 1
    assert b._states is None and b._buffers is None
