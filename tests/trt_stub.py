"""A stand-in for TensorRT and CUDA in tests: a stub `tensorrt` module, the host-memory device, a tiny engine.

What runs through it is ours (the backend's buffers, state ping-pong, ownership), not TensorRT's.
"""
from __future__ import annotations

import sys
import types

import numpy as np

import runtime.backends.tensorrt as trt_backend
from runtime.contract import FRAME_INPUT, FRAME_OUTPUT, STATE_INPUT, STATE_OUTPUT, STRENGTH_INPUT
from host_device import HostDevice

H, W = 4, 6
GPU = ("Stub GPU", "9.0")
VERSION = "11.0-stub"


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


def install(monkeypatch, device: HostDevice | None = None, engine=None, check_engine: bool = False) -> HostDevice:
    """Make `import tensorrt` give the stub and the backend use `device`; `check_engine` keeps the real
    sidecar check (against the stub's version and GPU) instead of skipping it."""
    fake = types.SimpleNamespace(
        __version__=VERSION, TensorIOMode=types.SimpleNamespace(INPUT="in"),
        DataType=types.SimpleNamespace(UINT8="uint8", HALF="half"),
        Runtime=lambda logger: types.SimpleNamespace(deserialize_cuda_engine=lambda data: engine or _Engine()))
    fake.Logger = type("Logger", (), {"WARNING": 0, "__init__": lambda self, level: None})
    monkeypatch.setitem(sys.modules, "tensorrt", fake)
    device = device or HostDevice()
    monkeypatch.setattr(trt_backend, "CudaDevice", lambda: device)
    monkeypatch.setattr(trt_backend, "gpu_identity", lambda: GPU)
    if not check_engine:
        monkeypatch.setattr(trt_backend, "check_engine", lambda *a: None)
    return device
