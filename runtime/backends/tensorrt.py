"""TensorRT backend: an FP16 engine built by `make engines`, fed through two pinned/device buffer slots.

The engine's sidecar is checked first (TensorRT version, GPU, sha256), so a foreign engine is refused with
rebuild advice instead of failing inside TensorRT. Enqueue API of TensorRT 10 and 11: tensor names,
set_tensor_address, execute_async_v3 on a non-default stream.

The temporal filter's state never leaves the GPU: two device buffers, ping-ponged (frame N reads one and
writes the other), so frame N+1 may be submitted before frame N is collected; every launch is on the one
compute stream, so N+1 reads what N wrote. A reset is a cudaMemsetAsync of RESET_BYTE on that stream.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from runtime.backends.base import check_strength
from runtime.backends.cuda_device import CudaDevice, gpu_identity
from runtime.backends.double_buffer import DoubleBuffer, Handle, Slot
from runtime.backends.engine_meta import check_engine
from runtime.backends.resources import Resources
from runtime.errors import SharpcamError
from runtime.optional import extra_install, require
from runtime.contract import (DEFAULT_STRENGTH, FRAME_INPUT, FRAME_OUTPUT, RESET_BYTE, STATE_INPUT, STATE_OUTPUT,
                              STRENGTH_INPUT)


class TensorRTBackend:
    threads = None  # the GPU's work: no CPU threads to choose
    multiple = 1  # a fixed-size engine: frames are resized to it
    compiles_per_size = False  # one size only

    def __init__(self, engine_path: Path, strength: float = DEFAULT_STRENGTH) -> None:
        trt = require("tensorrt", f"TensorRT is not installed: {extra_install('gpu')} on an NVIDIA machine, "
                                  "or use --model webcam_480p with ONNX Runtime")
        gpu, capability = gpu_identity()
        check_engine(Path(engine_path), trt.__version__, gpu, capability)
        # One owner for every CUDA resource: whatever exists when a later step fails is freed, in reverse order.
        self._owner, self._buffers = Resources(), None
        try:
            self._open(trt, Path(engine_path), strength)
        except BaseException:
            self.close()
            raise

    def _open(self, trt: Any, engine_path: Path, strength: float) -> None:
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(self._logger)
        self._engine = self._runtime.deserialize_cuda_engine(engine_path.read_bytes())
        if self._engine is None:
            raise SharpcamError(f"TensorRT could not deserialize {engine_path}; rebuild it with 'make engines'")
        self._context = self._engine.create_execution_context()
        if self._context is None:
            raise SharpcamError(f"TensorRT could not create an execution context for {engine_path}")
        names = {self._engine.get_tensor_name(i) for i in range(self._engine.num_io_tensors)}
        want = {FRAME_INPUT, FRAME_OUTPUT, STATE_INPUT, STATE_OUTPUT, STRENGTH_INPUT}
        if names != want:
            raise SharpcamError(f"{engine_path}: tensors {sorted(names)}, expected {sorted(want)}; rebuild it "
                                "from a current graph with 'make engines'")
        in_shape = tuple(self._engine.get_tensor_shape(FRAME_INPUT))
        if self._engine.get_tensor_dtype(FRAME_INPUT) != trt.DataType.UINT8 or len(in_shape) != 3:
            raise SharpcamError(f"{engine_path}: not a frame engine (uint8 HxWx3 in); rebuild with 'make engines'")
        self.size = (in_shape[1], in_shape[0])
        self.name = f"tensorrt {trt.__version__} ({engine_path.name})"
        state_shape = tuple(self._engine.get_tensor_shape(STATE_INPUT))
        state_bytes = int(np.prod(state_shape)) * (2 if self._engine.get_tensor_dtype(STATE_INPUT) == trt.DataType.HALF
                                                   else 4)
        own = self._owner.own
        self._device = own(CudaDevice(), lambda d: d.close(), "CUDA streams and events")  # released last
        self._states = [own(self._device.device_buffer(state_bytes), _free, f"state buffer {i}") for i in range(2)]
        self._strength_host = own(self._device.host_buffer((1,), np.dtype(np.float32)), _free, "strength (pinned)")
        self._strength_dev = own(self._device.device_buffer(4), _free, "strength (device)")
        self._buffers = own(DoubleBuffer(self._device, self._launch, in_shape, in_shape, np.dtype(np.uint8)),
                            lambda b: b.free(), "frame buffers")  # released first: waits for frames in flight
        self._read = 0  # which state buffer the next launch reads
        self.reset()
        self.strength = strength

    @property
    def strength(self) -> float:
        return float(self._strength_host.array[0])

    @strength.setter
    def strength(self, value: float) -> None:
        # Enqueued on the compute stream: frames launched after this call see the new value.
        self._strength_host.array[0] = check_strength(value)
        self._device.h2d(self._strength_dev, self._strength_host, self._buffers.streams["compute"])

    def reset(self) -> None:
        self._device.memset(self._states[self._read], RESET_BYTE, self._buffers.streams["compute"])

    def _launch(self, slot: Slot, stream: Any) -> None:
        read, write = self._states[self._read], self._states[1 - self._read]
        ctx = self._context
        ok = (ctx.set_tensor_address(FRAME_INPUT, slot.dev_in.ptr)
              and ctx.set_tensor_address(FRAME_OUTPUT, slot.dev_out.ptr)
              and ctx.set_tensor_address(STATE_INPUT, read.ptr)
              and ctx.set_tensor_address(STATE_OUTPUT, write.ptr)
              and ctx.set_tensor_address(STRENGTH_INPUT, self._strength_dev.ptr)
              and ctx.execute_async_v3(stream_handle=int(stream)))
        if not ok:
            raise SharpcamError("TensorRT failed to enqueue the engine")
        self._read = 1 - self._read

    @property
    def in_flight(self) -> int:
        """Frames the pipeline may hold in the backend: one per buffer slot, so N+1 uploads while N computes."""
        return self._buffers.in_flight

    def lend_frames(self, count: int) -> tuple[Any, Any]:
        """Pinned frames for a pipeline that reads into them and gives outputs back (runtime/host_frames.py)."""
        return self._buffers.lend_frames(count)

    def submit(self, frame_bgr: np.ndarray) -> Handle:
        return self._buffers.submit(frame_bgr)

    def collect(self, handle: Handle) -> tuple[np.ndarray, dict[str, float]]:
        return self._buffers.collect(handle)

    def close(self) -> None:
        """Idempotent and never raises: wait for frames in flight, free buffers, streams and events (each once,
        on every path), then drop the TensorRT objects."""
        self._owner.release_all()
        self._buffers = None
        self._context = self._engine = self._runtime = None


def _free(buffer: Any) -> None:
    buffer.free()
