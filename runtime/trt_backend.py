"""TensorRT backend: an FP16 engine built by `make engines`, fed through two pinned/device buffer slots.

The engine's sidecar is checked first (TensorRT version, GPU, sha256), so a foreign engine is refused with
rebuild advice instead of failing inside TensorRT. Enqueue API of TensorRT 10 and 11: tensor names,
set_tensor_address, execute_async_v3 on a non-default stream.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from runtime.cuda_device import CudaDevice, gpu_identity
from runtime.double_buffer import DoubleBuffer, Slot
from runtime.engine_meta import check_engine
from runtime.errors import SharpcamError


class TensorRTBackend:
    in_flight = 2  # overlap frame N+1's upload with frame N's compute

    def __init__(self, engine_path: Path) -> None:
        try:
            import tensorrt as trt
        except ImportError as err:
            raise SharpcamError("TensorRT is not installed: pip install -e '.[gpu]' on an NVIDIA machine, "
                                "or use --model engines/fast_480p.onnx with ONNX Runtime") from err
        gpu, capability = gpu_identity()
        check_engine(Path(engine_path), trt.__version__, gpu, capability)
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(self._logger)
        self._engine = self._runtime.deserialize_cuda_engine(Path(engine_path).read_bytes())
        if self._engine is None:
            raise SharpcamError(f"TensorRT could not deserialize {engine_path}; rebuild it with 'make engines'")
        self._context = self._engine.create_execution_context()
        if self._context is None:
            raise SharpcamError(f"TensorRT could not create an execution context for {engine_path}")
        names = [self._engine.get_tensor_name(i) for i in range(self._engine.num_io_tensors)]
        inputs = [n for n in names if self._engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        outputs = [n for n in names if self._engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT]
        if len(inputs) != 1 or len(outputs) != 1:
            raise SharpcamError(f"{engine_path}: expected one input and one output, found {inputs} and {outputs}")
        self._input, self._output = inputs[0], outputs[0]
        in_shape = tuple(self._engine.get_tensor_shape(self._input))
        out_shape = tuple(self._engine.get_tensor_shape(self._output))
        if self._engine.get_tensor_dtype(self._input) != trt.DataType.UINT8 or len(in_shape) != 3:
            raise SharpcamError(f"{engine_path}: not a frame engine (uint8 HxWx3 in); rebuild with 'make engines'")
        self.size = (in_shape[1], in_shape[0])
        self.name = f"tensorrt {trt.__version__} ({Path(engine_path).name})"
        self._device = CudaDevice()
        self._buffers = DoubleBuffer(self._device, self._launch, in_shape, out_shape, np.dtype(np.uint8))

    def _launch(self, slot: Slot, stream: Any) -> None:
        ok = (self._context.set_tensor_address(self._input, slot.dev_in.ptr)
              and self._context.set_tensor_address(self._output, slot.dev_out.ptr)
              and self._context.execute_async_v3(stream_handle=int(stream)))
        if not ok:
            raise SharpcamError("TensorRT failed to enqueue the engine")

    def submit(self, frame_bgr: np.ndarray) -> Slot:
        return self._buffers.submit(frame_bgr)

    def collect(self, slot: Slot) -> tuple[np.ndarray, dict[str, float]]:
        return self._buffers.collect(slot)

    def close(self) -> None:
        """Idempotent: free buffers, streams and events, then the TensorRT objects."""
        if self._buffers is not None:
            for slot in self._buffers.slots:
                if slot.busy:
                    self._device.synchronize(slot.events["done"])
            self._buffers.free()
            self._device.close()
            self._buffers = None
        self._context = self._engine = self._runtime = None
