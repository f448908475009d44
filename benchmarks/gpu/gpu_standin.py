"""A stand-in for the TensorRT engine in the double buffer's device check (benchmarks/gpu/gpu_check.py).

With CuPy: an elementwise kernel with enough arithmetic per byte to outlast the host's work per frame,
launched on the double buffer's compute stream, reading the slot's input and writing its output.
Without CuPy: a device-to-device copy (real, but too short to show overlap clearly).
Returns (launch(slot, stream), reference(frame) -> expected output on the host, description).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

# Multiply-adds per byte: ~7 ms per 1080p frame on an H200 (3000 gave 0.7 ms, less than the host's ~4 ms of
# copies per frame, so each frame finished before the next was submitted and nothing could overlap).
ITERATIONS = 30000
SOURCE = ("float v = x; for (int i = 0; i < n; ++i) { v = v * 0.9995f + 0.1f; } "
          "y = (unsigned char)fminf(v, 255.0f);")


def standin_launch() -> tuple[Callable[[Any, Any], None], Callable[[np.ndarray], np.ndarray], str]:
    try:
        import cupy as cp
    except ImportError:
        return _copy_launch(), lambda frame: frame, "device-to-device copy (no CuPy)"
    kernel = cp.ElementwiseKernel("uint8 x, int32 n", "uint8 y", SOURCE, "sharpcam_standin")

    def view(buffer: Any) -> Any:
        memory = cp.cuda.UnownedMemory(int(buffer.ptr), buffer.nbytes, owner=buffer)
        return cp.ndarray((buffer.nbytes,), cp.uint8, cp.cuda.MemoryPointer(memory, 0))

    def launch(slot: Any, stream: Any) -> None:
        with cp.cuda.ExternalStream(int(stream)):
            kernel(view(slot.dev_in), np.int32(ITERATIONS), view(slot.dev_out))

    def reference(frame: np.ndarray) -> np.ndarray:
        out = cp.empty(frame.size, cp.uint8)
        kernel(cp.asarray(frame.reshape(-1)), np.int32(ITERATIONS), out)
        return cp.asnumpy(out).reshape(frame.shape)

    return launch, reference, f"CuPy elementwise kernel, {ITERATIONS} multiply-adds per byte"


def _copy_launch() -> Callable[[Any, Any], None]:
    from runtime.backends.cuda_device import cuda_call, cudart

    def launch(slot: Any, stream: Any) -> None:
        cuda_call(cudart.cudaMemcpyAsync(slot.dev_out.ptr, slot.dev_in.ptr, slot.dev_in.nbytes,
                                         cudart.cudaMemcpyKind.cudaMemcpyDeviceToDevice, stream))
    return launch
