"""ONNX Runtime: the uint8 frame graphs (fixed size) and the float graph (any size), on the CPU or on CUDA."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from runtime.backends.base import check_strength
from runtime.backends.graph_io import Port, check_graph, free
from runtime.errors import SharpcamError
from runtime.imaging import pad_to_multiple
from runtime.optional import require
from runtime.contract import (DEFAULT_STRENGTH, SIZE_MULTIPLE, STATE_INPUT, STATE_OUTPUT, STRENGTH_INPUT,
                              reset_state, state_shape)


def blend(frame: np.ndarray, out: np.ndarray, strength: float) -> np.ndarray:
    """input + strength * (out - input) in 8-bit units, for graphs without a strength input."""
    if strength >= 1.0:
        return out
    mixed = frame.astype(np.float32) + np.float32(strength) * (out.astype(np.float32) - frame)
    return (mixed + 0.5).clip(0, 255).astype(np.uint8)


def _onnxruntime():
    return require("onnxruntime", "ONNX Runtime is not installed: pip install onnxruntime "
                                  "(or onnxruntime-gpu instead of it on an NVIDIA machine)")


def _port(arg) -> Port:
    """ONNX Runtime's NodeArg as a Port ("tensor(uint8)" -> "uint8"; named dimensions -> None)."""
    onnx_name = arg.type.removeprefix("tensor(").removesuffix(")")
    dtype = {"float": "float32", "double": "float64"}.get(onnx_name, onnx_name)
    return Port(arg.name, dtype, tuple(free(d) for d in (arg.shape or [])))


class OnnxBackend:
    """ONNX Runtime: the uint8 frame graphs (static size) or the float graph (any size).

    device "auto": CUDA when onnxruntime-gpu finds a GPU, else the CPU; "cpu" or "cuda" to insist.
    `threads`: CPU intra-op threads (0: ORT's choice). `spinning`: whether idle ORT threads busy-wait for
    work (ORT's default is on). Off here: 3% fewer FPS free-running, 18% less CPU paced at 30 FPS (480p, 2
    threads: 1.45 instead of 1.77 cores; benchmarks/results/ort_options.md), which the video call needs.
    """

    def __init__(self, path: Path, threads: int = 0, device: str = "auto", spinning: bool = False,
                 strength: float = DEFAULT_STRENGTH) -> None:
        ort = _onnxruntime()
        self.in_flight = 1  # all the work happens in submit()
        self.threads = None  # fixed when the session is made
        self.compiles_per_size = False  # the float graph takes each size as it comes
        if not Path(path).exists():
            raise SharpcamError(f"ONNX model {path} not found; export one with 'make engines'")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        available = ort.get_available_providers()
        if device == "cuda" and "CUDAExecutionProvider" not in available:
            raise SharpcamError("ONNX Runtime has no CUDA provider here: install onnxruntime-gpu (not beside onnxruntime)")
        wanted = {"auto": ("CUDAExecutionProvider", "CPUExecutionProvider"), "cpu": ("CPUExecutionProvider",),
                  "cuda": ("CUDAExecutionProvider",)}[device]
        providers = [p for p in wanted if p in available]
        try:
            self._session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as err:  # ORT raises its own exception types for malformed graphs
            raise SharpcamError(f"ONNX Runtime cannot load {path}: {err}") from err
        # every input's and output's type and shape, before the first frame would find out
        check_graph(path, [_port(i) for i in self._session.get_inputs()], [_port(o) for o in self._session.get_outputs()])
        inputs = {i.name: i for i in self._session.get_inputs()}
        inp = self._session.get_inputs()[0]
        self._input, self._output = inp.name, self._session.get_outputs()[0].name
        # Graphs exported since the temporal filter carry a state and a strength input (runtime/contract.py);
        # older or foreign graphs have neither, and get the strength blended here instead.
        self._stateful = STATE_INPUT in inputs
        self._knob = STRENGTH_INPUT in inputs
        self._state_dtype = np.float16 if self._stateful and inputs[STATE_INPUT].type == "tensor(float16)" \
            else np.float32
        self._state: np.ndarray | None = None
        self.strength = check_strength(strength)
        self._frame_graph = inp.type == "tensor(uint8)"
        if self._frame_graph:
            height, width = inp.shape[0], inp.shape[1]
            self.size = (width, height) if isinstance(width, int) and isinstance(height, int) else None
        else:
            self.size = None
        # Pixel-unshuffle students need sizes that are multiples of their scale (export records it).
        self.multiple = int(self._session.get_modelmeta().custom_metadata_map.get(SIZE_MULTIPLE, "1"))
        device = "CUDA" if self._session.get_providers()[0] == "CUDAExecutionProvider" else "CPU"
        self.name = f"onnxruntime-{device.lower()} ({Path(path).name})"

    def reset(self) -> None:
        self._state = None

    def _run(self, picture: np.ndarray, state_shape: tuple[int, ...]) -> np.ndarray:
        """One call of the graph, feeding the state back; returns the picture output."""
        feeds = {self._input: picture}
        if self._knob:
            feeds[STRENGTH_INPUT] = np.array([self.strength], np.float32)
        if not self._stateful:
            return self._session.run([self._output], feeds)[0]
        if self._state is None or self._state.shape != state_shape:
            self._state = reset_state(state_shape, self._state_dtype)
        feeds[STATE_INPUT] = self._state
        out, self._state = self._session.run([self._output, STATE_OUTPUT], feeds)
        return out

    def submit(self, frame_bgr: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        start = time.perf_counter()
        if self.strength == 0.0:  # "off": the input exactly, and no CPU spent on the model
            self._state = None
            return frame_bgr, {"infer": 0.0}
        if self._frame_graph:
            out = self._run(frame_bgr, state_shape(frame_bgr.shape))
            if not self._knob:
                out = blend(frame_bgr, out, self.strength)
            return out, {"infer": time.perf_counter() - start}
        height, width = frame_bgr.shape[:2]
        padded = pad_to_multiple(frame_bgr, self.multiple)
        x = np.ascontiguousarray(padded[..., ::-1].transpose(2, 0, 1)[None], dtype=np.float32) * (1 / 255)
        converted = time.perf_counter()
        y = self._run(x, state_shape(x.shape))[0, :, :height, :width]
        inferred = time.perf_counter()
        out = np.ascontiguousarray((np.clip(y, 0, 1) * 255 + 0.5).astype(np.uint8).transpose(1, 2, 0)[..., ::-1])
        if not self._knob:
            out = blend(frame_bgr, out, self.strength)
        return out, {"convert_in": converted - start, "infer": inferred - converted,
                     "convert_out": time.perf_counter() - inferred}

    def collect(self, handle: tuple[np.ndarray, dict[str, float]]) -> tuple[np.ndarray, dict[str, float]]:
        return handle

    def close(self) -> None:
        self._session = None
