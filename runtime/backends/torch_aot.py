"""PyTorch engine backend: an AOTInductor package (`NAME_<res>.pt2`, export/aot_build.py) run through the
double buffer. The one runtime module that imports torch: the backend factory loads it only when a `.pt2`
engine is asked for or chosen, so the rest of the runtime stays torch-free.

Per slot, as with TensorRT: upload on the h2d stream, the model on the compute stream, download on the d2h
stream, ordered by events (runtime/backends/double_buffer.py). The temporal state and the strength live on the device
and are only touched on the compute stream, so frame N+1 reads the state frame N wrote. On CUDA each slot's
compute (the package's kernels plus the copies into the slot's output and the state) is captured once as a
CUDA graph and replayed: one launch per frame instead of one per kernel, and no allocation per frame (the
graph owns its memory). Where capture fails, the kernels run uncaptured and `cuda_graphs` says why.

On a CPU package (for tests and CPU machines with a compiler) the same code runs on `TorchDevice("cpu")`,
whose streams run their work at once.
"""
from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from runtime.backends.aot_meta import AotMeta, Here, check_aot_engine
from runtime.backends.base import check_strength
from runtime.contract import DEFAULT_STRENGTH, RESET_BYTE
from runtime.backends.double_buffer import DoubleBuffer, Handle, Slot
from runtime.errors import SharpcamError
from runtime.host_frames import HostFrames
from runtime.backends.resources import Resources


class _TorchOnFirstUse:
    """`torch`, imported when this module first uses it rather than when it is imported: the runtime keeps
    module-level torch imports out of runtime/ (the backend factory imports this module for a `.pt2` engine only,
    and a check before every stop greps for them). The first attribute read replaces this stand-in with torch."""

    def __getattr__(self, name: str):
        import torch as module
        globals()["torch"] = module
        return getattr(module, name)


torch = _TorchOnFirstUse()


def torch_here() -> Here:
    """This machine as an engine sees it: PyTorch, its CUDA, and GPU 0 (None where CUDA is unusable)."""
    gpu = capability = None
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        gpu, capability = props.name, f"{props.major}.{props.minor}"
    return Here(torch.__version__, torch.version.cuda, gpu, capability)


class TorchBuffer:
    """Pinned host or device memory held as a tensor; `.array` is a numpy view of host memory."""

    def __init__(self, tensor: torch.Tensor) -> None:
        self.tensor = tensor
        self.array = tensor.numpy() if tensor.device.type == "cpu" else None

    @property
    def ptr(self) -> int:
        return self.tensor.data_ptr()

    def free(self) -> None:
        self.tensor, self.array = None, None  # the caching allocator takes the memory back


class _Stamp:
    """A CPU 'event': the time it was recorded."""
    at = 0.0


class TorchDevice:
    """The double buffer's `Device` through PyTorch: CUDA streams and timing events on a GPU; on the CPU,
    streams that run their work at once and events that are timestamps."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.cuda = kind == "cuda"
        self._torch_device = torch.device(kind)

    def on(self, stream: Any):
        return torch.cuda.stream(stream) if self.cuda else nullcontext()

    def host_buffer(self, shape: tuple[int, ...], dtype: np.dtype) -> TorchBuffer:
        tensor = torch.from_numpy(np.zeros(shape, dtype))
        return TorchBuffer(tensor.pin_memory() if self.cuda else tensor)

    def device_buffer(self, nbytes: int) -> TorchBuffer:
        return TorchBuffer(torch.zeros(nbytes, dtype=torch.uint8, device=self._torch_device))

    def stream(self) -> Any:
        return torch.cuda.Stream() if self.cuda else None

    def event(self) -> Any:
        return torch.cuda.Event(enable_timing=True) if self.cuda else _Stamp()

    def h2d(self, dst: TorchBuffer, src: TorchBuffer, stream: Any) -> None:
        with self.on(stream):
            dst.tensor.copy_(src.tensor.reshape(-1).view(torch.uint8), non_blocking=True)

    def d2h(self, dst: TorchBuffer, src: TorchBuffer, stream: Any) -> None:
        with self.on(stream):
            dst.tensor.reshape(-1).view(torch.uint8).copy_(src.tensor, non_blocking=True)

    def memset(self, dst: TorchBuffer, byte: int, stream: Any) -> None:
        with self.on(stream):
            dst.tensor.view(torch.uint8).fill_(byte)

    def record(self, event: Any, stream: Any) -> None:
        if self.cuda:
            event.record(stream)
        else:
            event.at = time.perf_counter()

    def wait(self, stream: Any, event: Any) -> None:
        if self.cuda:
            stream.wait_event(event)

    def synchronize(self, event: Any) -> None:
        if self.cuda:
            event.synchronize()

    def elapsed_ms(self, start: Any, end: Any) -> float:
        return start.elapsed_time(end) if self.cuda else (end.at - start.at) * 1000

    def close(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()


class TorchAotBackend:
    """`submit`/`collect` through two slots; `in_flight` 2 lets the pipeline overlap upload and compute.

    `streams`: with a batched engine (export/aot_build.py `batch`), that many independent streams per call:
    submit takes N x H x W x 3 frames, each stream keeps its own state row and strength
    (`set_stream_strength`, `reset_stream`). None: one H x W x 3 frame per call, as the pipeline uses it."""

    def __init__(self, engine: Path, strength: float = DEFAULT_STRENGTH, cuda_graphs: bool = True,
                 streams: int | None = None) -> None:
        engine = Path(engine)
        self.meta: AotMeta = check_aot_engine(engine, torch_here())
        if streams is not None and not 1 <= streams <= (self.meta.batch or 0):
            raise SharpcamError(f"{engine} takes {self.meta.batch or 'one frame, not batches of'} streams per call, "
                                f"not {streams}; build a batched engine with export/aot_build.py's batch")
        self.streams = streams
        self._owner, self._buffers, self._graphs = Resources(), None, {}
        try:
            self._open(engine, strength, cuda_graphs)
        except BaseException:
            self.close()
            raise

    def _open(self, engine: Path, strength: float, cuda_graphs: bool) -> None:
        meta = self.meta
        try:
            self._runner = torch._inductor.aoti_load_package(str(engine))
        except Exception as err:  # a package that passed its sidecar check but will not load
            raise SharpcamError(f"PyTorch could not load {engine} ({type(err).__name__}: {err}); rebuild it "
                                "with 'sharpcam export --aot' on this machine") from err
        self.size = meta.size
        self.name = f"pytorch-aot {meta.device} {meta.precision} ({engine.name})"
        own = self._owner.own
        self._device = own(TorchDevice(meta.device), lambda d: d.close(), "PyTorch device")  # released last
        width, height = meta.size
        rows = self.streams or 1
        self._frame_shape = (height, width, 3) if self.streams is None else (rows, height, width, 3)
        state_bytes = rows * 3 * height * width * (2 if meta.state_dtype == "float16" else 4)
        self._state = own(self._device.device_buffer(state_bytes), _free, "temporal state")
        self._state_view = self._state.tensor.view(getattr(torch, meta.state_dtype)).view(rows, 3, height, width)
        self._strength_host = own(self._device.host_buffer((rows,), np.dtype(np.float32)), _free, "strength (host)")
        self._strength_dev = own(self._device.device_buffer(4 * rows), _free, "strength (device)")
        frame = self._frame_shape
        self._buffers = own(DoubleBuffer(self._device, self._launch, frame, frame, np.dtype(np.uint8)),
                            lambda b: b.free(), "frame buffers")  # released first: waits for frames in flight
        self.strength = strength
        self.cuda_graphs = self._capture() if cuda_graphs and self._device.cuda else "off"
        self.reset()

    # the model on the compute stream ------------------------------------------------------------------
    def _compute(self, slot: Slot) -> None:
        """The package on slot's input; its frame and state copied into the slot's output and the state."""
        strength = self._strength_dev.tensor.view(torch.float32)
        with torch.no_grad():
            out, state = self._runner(slot.dev_in.tensor.view(self._frame_shape), self._state_view, strength)
            slot.dev_out.tensor.view(self._frame_shape).copy_(out)
            # copied, never fed back as returned: the package may hand its state back channels-last, and it
            # reads every input with the (contiguous) strides it was traced with
            self._state_view.copy_(state)

    def _launch(self, slot: Slot, stream: Any) -> None:
        with self._device.on(stream):
            graph = self._graphs.get(slot.index)
            if graph is not None:
                graph.replay()
            else:
                self._compute(slot)

    def _capture(self) -> str:
        """One CUDA graph per slot (each reads and writes its own buffers). Returns how it went, in words."""
        try:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for slot in self._buffers.slots:  # warm-up outside capture: lazy initialisation happens here
                    self._compute(slot)
            torch.cuda.current_stream().wait_stream(side)
            for slot in self._buffers.slots:
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    self._compute(slot)
                self._graphs[slot.index] = graph
            torch.cuda.synchronize()
            return "on"
        except Exception as err:  # noqa: BLE001 - run uncaptured, and say why
            self._graphs = {}
            torch.cuda.synchronize()
            return f"off ({type(err).__name__}: {err})"

    # the Backend interface ---------------------------------------------------------------------------
    @property
    def strength(self) -> float:
        return float(self._strength_host.array[0])

    @strength.setter
    def strength(self, value: float) -> None:
        # enqueued on the compute stream: frames launched after this call see the new value
        self._strength_host.array[:] = check_strength(value)
        self._device.h2d(self._strength_dev, self._strength_host, self._buffers.streams["compute"])

    def set_stream_strength(self, stream: int, value: float) -> None:
        self._strength_host.array[stream] = check_strength(value)
        self._device.h2d(self._strength_dev, self._strength_host, self._buffers.streams["compute"])

    def reset(self) -> None:
        self._device.memset(self._state, RESET_BYTE, self._buffers.streams["compute"])

    def reset_stream(self, stream: int) -> None:
        """Forget one stream's temporal state (its source cut or reconnected); the others keep theirs."""
        with self._device.on(self._buffers.streams["compute"]):
            self._state_view[stream].view(torch.uint8).fill_(RESET_BYTE)

    @property
    def in_flight(self) -> int:
        return self._buffers.in_flight

    def next_input(self) -> np.ndarray:
        """The pinned input the next submit() reads: decode into it and pass it to submit (no host copy)."""
        return self._buffers.next_input()

    def lend_frames(self, count: int) -> tuple[HostFrames, HostFrames]:
        """Pinned frames for a pipeline that reads into them and gives outputs back (runtime/host_frames.py)."""
        return self._buffers.lend_frames(count)

    def submit(self, frame_bgr: np.ndarray) -> Handle:
        return self._buffers.submit(frame_bgr)

    def collect(self, handle: Handle, copy: bool = True) -> tuple[np.ndarray, dict[str, float]]:
        """copy=False: the pinned output itself, valid until `in_flight` more submits. Once lend_frames() was
        called: a lent output frame, the caller's until it gives it back."""
        return self._buffers.collect(handle, copy)

    def mark(self) -> Any:
        """The double buffer's mark(): a zero for timeline() (benchmarks/gpu: did copies overlap compute?)."""
        return self._buffers.mark()

    def timeline(self, handle: Any, since: Any) -> dict[str, float]:
        return self._buffers.timeline(handle, since)

    def close(self) -> None:
        """Idempotent: wait for frames in flight, drop the graphs, free every buffer, then the package."""
        self._graphs = {}
        self._owner.release_all()
        self._buffers = None
        self._runner = None


def _free(buffer: TorchBuffer) -> None:
    buffer.free()
