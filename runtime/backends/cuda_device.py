"""CUDA through cuda-python, as NVIDIA's TensorRT samples do: every call's error code becomes an exception.

Implements the `GpuDevice` interface of runtime/backends/double_buffer.py: pinned host buffers (with a numpy view),
device buffers, non-blocking streams, events. Each buffer has an explicit free().
"""
from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from runtime.errors import SharpcamError
from runtime.optional import extra_install

try:
    from cuda.bindings import runtime as cudart
except ImportError:  # cuda-python < 12.6 spelled it cuda.cudart
    try:
        from cuda import cudart  # type: ignore[no-redef]
    except ImportError:
        cudart = None


def cuda_call(result: tuple) -> Any:
    """Unwrap (error, value...) from a cuda-python call, raising on any error."""
    err, *values = result
    if err != cudart.cudaError_t.cudaSuccess:
        _, name = cudart.cudaGetErrorName(err)
        raise SharpcamError(f"CUDA error {name.decode() if isinstance(name, bytes) else name}")
    return values[0] if len(values) == 1 else (values or None)


class PinnedBuffer:
    def __init__(self, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
        self.ptr = cuda_call(cudart.cudaMallocHost(self.nbytes))
        raw = np.ctypeslib.as_array(ctypes.cast(self.ptr, ctypes.POINTER(ctypes.c_uint8)), (self.nbytes,))
        self.array = raw.view(dtype).reshape(shape)

    def free(self) -> None:
        if self.ptr:
            cuda_call(cudart.cudaFreeHost(self.ptr))
            self.ptr, self.array = 0, None


class DeviceMemory:
    def __init__(self, nbytes: int) -> None:
        self.nbytes = nbytes
        self.ptr = cuda_call(cudart.cudaMalloc(nbytes))

    def free(self) -> None:
        if self.ptr:
            cuda_call(cudart.cudaFree(self.ptr))
            self.ptr = 0


class CudaDevice:
    def __init__(self) -> None:
        if cudart is None:
            raise SharpcamError(f"cuda-python is not installed: {extra_install('gpu')}")
        self._streams: list[Any] = []
        self._events: list[Any] = []

    def host_buffer(self, shape: tuple[int, ...], dtype: np.dtype) -> PinnedBuffer:
        return PinnedBuffer(shape, dtype)

    def device_buffer(self, nbytes: int) -> DeviceMemory:
        return DeviceMemory(nbytes)

    def stream(self) -> Any:
        s = cuda_call(cudart.cudaStreamCreateWithFlags(cudart.cudaStreamNonBlocking))
        self._streams.append(s)
        return s

    def event(self) -> Any:
        e = cuda_call(cudart.cudaEventCreateWithFlags(cudart.cudaEventDefault))
        self._events.append(e)
        return e

    def h2d(self, dst: DeviceMemory, src: PinnedBuffer, stream: Any) -> None:
        cuda_call(cudart.cudaMemcpyAsync(dst.ptr, src.ptr, src.nbytes,
                                         cudart.cudaMemcpyKind.cudaMemcpyHostToDevice, stream))

    def d2h(self, dst: PinnedBuffer, src: DeviceMemory, stream: Any) -> None:
        cuda_call(cudart.cudaMemcpyAsync(dst.ptr, src.ptr, dst.nbytes,
                                         cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost, stream))

    def memset(self, dst: DeviceMemory, byte: int, stream: Any) -> None:
        cuda_call(cudart.cudaMemsetAsync(dst.ptr, byte, dst.nbytes, stream))

    def record(self, event: Any, stream: Any) -> None:
        cuda_call(cudart.cudaEventRecord(event, stream))

    def wait(self, stream: Any, event: Any) -> None:
        cuda_call(cudart.cudaStreamWaitEvent(stream, event, 0))

    def synchronize(self, event: Any) -> None:
        cuda_call(cudart.cudaEventSynchronize(event))

    def elapsed_ms(self, start: Any, end: Any) -> float:
        return float(cuda_call(cudart.cudaEventElapsedTime(start, end)))

    def close(self) -> None:
        """Destroy every event and stream, even after one fails (then raise the first failure). Idempotent."""
        held = [(cudart.cudaEventDestroy, e) for e in self._events] + [(cudart.cudaStreamDestroy, s) for s in self._streams]
        self._events, self._streams = [], []
        failures = []
        for destroy, handle in held:
            try:
                cuda_call(destroy(handle))
            except SharpcamError as err:
                failures.append(err)
        if failures:
            raise failures[0]


def gpu_identity(device: int = 0) -> tuple[str, str]:
    """(GPU name, compute capability 'major.minor')."""
    if cudart is None:
        raise SharpcamError("cuda-python is not installed (pip install cuda-python)")
    err, props = cudart.cudaGetDeviceProperties(device)
    if err != cudart.cudaError_t.cudaSuccess:
        raise SharpcamError(f"no usable CUDA GPU: cudaGetDeviceProperties returned {err}")
    name = props.name.decode() if isinstance(props.name, bytes) else str(props.name)
    return name.rstrip("\x00"), f"{props.major}.{props.minor}"


def gpu_stack_problem() -> str | None:
    """None when TensorRT, cuda-python and a CUDA GPU are all usable; otherwise what is missing, in words.
    The one check the backend choice, export and the benchmarks share."""
    try:
        import tensorrt  # noqa: F401
    except (ImportError, OSError) as err:
        return f"TensorRT is not importable ({type(err).__name__}: {err})"
    try:
        gpu_identity()
    except SharpcamError as err:
        return str(err)
    return None
