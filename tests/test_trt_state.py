"""The TensorRT backend's state handling, on the host stand-in: TensorRT and CUDA are simulated.

What is checked is ours, not TensorRT's: the two state buffers ping-pong so that with two frames in
flight each launch reads the state the previous launch wrote, reset() fills the next one read with
RESET_BYTE, strength reaches the engine, and close() frees everything once.
"""
from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import runtime.trt_backend as trt_backend
from runtime.double_buffer import HostDevice
from runtime.graph_io import FRAME_INPUT, FRAME_OUTPUT, STATE_INPUT, STATE_OUTPUT, STRENGTH_INPUT

H, W = 4, 6


class _Engine:
    """A stand-in engine: state_out = (state_in if it is not a reset, else 0) + 1; frame_out = frame + state_out,
    times strength. So output k of a stream is frame + k + 1 exactly when the state chains correctly."""
    shapes = {FRAME_INPUT: (H, W, 3), FRAME_OUTPUT: (H, W, 3), STATE_INPUT: (1, 3, H, W),
              STATE_OUTPUT: (1, 3, H, W), STRENGTH_INPUT: (1,)}
    num_io_tensors = 5

    def get_tensor_name(self, i):
        return list(self.shapes)[i]

    def get_tensor_mode(self, name):
        return "in" if name in (FRAME_INPUT, STATE_INPUT, STRENGTH_INPUT) else "out"

    def get_tensor_shape(self, name):
        return self.shapes[name]

    def get_tensor_dtype(self, name):
        return {FRAME_INPUT: "uint8", FRAME_OUTPUT: "uint8", STRENGTH_INPUT: "float"}.get(name, "half")

    def create_execution_context(self):
        return _Context()


class _Context:
    def __init__(self) -> None:
        self.addresses: dict = {}

    def set_tensor_address(self, name, ptr):
        self.addresses[name] = ptr
        return True

    def execute_async_v3(self, stream_handle):
        a = {k: v.array for k, v in self.addresses.items()}
        state_in = a[STATE_INPUT].view(np.float16)
        state = np.where(state_in < 0, 0, state_in) + 1
        a[STATE_OUTPUT].view(np.float16)[:] = state
        strength = float(a[STRENGTH_INPUT].view(np.float32)[0])
        frame = a[FRAME_INPUT].view(np.uint8).reshape(H, W, 3)
        a[FRAME_OUTPUT].view(np.uint8)[:] = ((frame + state.reshape(-1)[0]) * strength).astype(np.uint8).ravel()
        return True


@pytest.fixture
def backend(monkeypatch, tmp_path):
    fake = types.SimpleNamespace(
        __version__="11.0-stub", Logger=types.SimpleNamespace(WARNING=0), TensorIOMode=types.SimpleNamespace(INPUT="in"),
        DataType=types.SimpleNamespace(UINT8="uint8", HALF="half"),
        Runtime=lambda logger: types.SimpleNamespace(deserialize_cuda_engine=lambda data: _Engine()))
    fake.Logger = type("Logger", (), {"WARNING": 0, "__init__": lambda self, level: None})
    monkeypatch.setitem(sys.modules, "tensorrt", fake)
    device = HostDevice()
    monkeypatch.setattr(trt_backend, "CudaDevice", lambda: device)
    monkeypatch.setattr(trt_backend, "gpu_identity", lambda: ("Stub GPU", "9.0"))
    monkeypatch.setattr(trt_backend, "check_engine", lambda *a: None)
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
