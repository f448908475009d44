"""OpenVINO on the CPU: the cheapest way to run a student on a machine without an NVIDIA GPU.

Three things make it cheaper than ONNX Runtime here (benchmarks/results/cpu_cost.md):
- bf16 compute where the CPU has it natively (AMX or AVX512_BF16): about half the CPU time of float32 (a
  probe, not kept: 17.5 vs 33.3 ms per 480p frame on one thread) for
  the same pictures (SSIM on the test split in the same report); float32 elsewhere, since emulated bf16 is
  slower, not faster.
- The temporal filter's state stays inside the infer request (OpenVINO's MakeStateful: `state` input and
  `state_out` output become one variable), so no 1 x 3 x H x W float array crosses into Python and back
  every frame.
- One uint8 frame graph serves every frame size: the graph is reshaped to the camera's size (padded up to the
  student's size multiple) and compiled once per size, so a 1280x720 or 641x479 camera needs no resize in
  and out and no graph exported for it.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from runtime.backends.base import check_strength
from runtime.backends.graph_io import Port, check_graph
from runtime.errors import SharpcamError
from runtime.imaging import pad_to_multiple
from runtime.optional import available, require
from runtime.contract import (DEFAULT_STRENGTH, FRAME_INPUT, SIZE_MULTIPLE, STATE_INPUT, STATE_OUTPUT,
                              STRENGTH_INPUT, reset_state)

PRECISIONS = ("auto", "bf16", "f32")


def _openvino():
    return require("openvino", "OpenVINO is not installed: pip install 'sharpcam[openvino]' "
                               "(or leave --backend on auto to use ONNX Runtime)")


def openvino_available() -> bool:
    return available("openvino")


def native_bf16(core=None) -> bool:
    """True where the CPU computes bf16 in hardware (AMX or AVX512_BF16); OpenVINO lists BF16 among the CPU
    plugin's capabilities only there."""
    core = core or _openvino().Core()
    return "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def _port(port) -> Port:
    """An OpenVINO model input or output as a Port (dynamic dimensions -> None)."""
    shape = tuple(d.get_length() if d.is_static else None for d in port.get_partial_shape())
    return Port(port.get_any_name(), np.dtype(port.get_element_type().to_dtype()).name, shape)


class OpenVinoBackend:
    """A uint8 frame graph (`NAME_<res>.onnx`, any of its sizes) through OpenVINO's CPU plugin.

    `threads`: inference threads (0: OpenVINO's choice, one per core). `precision`: "auto" (bf16 where
    native, else f32), "bf16" or "f32". Compiling for a new frame size takes ~0.1-0.5 s, once per size.
    """

    def __init__(self, path: Path, threads: int = 0, precision: str = "auto",
                 strength: float = DEFAULT_STRENGTH) -> None:
        ov = _openvino()
        if precision not in PRECISIONS:
            raise SharpcamError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        if not Path(path).exists():
            raise SharpcamError(f"ONNX model {path} not found; export one with 'make engines'")
        self._ov, self._core = ov, ov.Core()
        try:
            self._model = self._core.read_model(str(path))
        except Exception as err:  # OpenVINO raises RuntimeError subclasses of its own for bad graphs
            raise SharpcamError(f"OpenVINO cannot read {path}: {err}") from err
        names = {i.get_any_name() for i in self._model.inputs}
        if names != {FRAME_INPUT, STATE_INPUT, STRENGTH_INPUT}:
            raise SharpcamError(f"{path} is not a frame graph with a temporal state (inputs {sorted(names)}); "
                                "OpenVINO runs the NAME_<res>.onnx graphs that 'make engines' exports")
        inputs = sorted(self._model.inputs, key=lambda port: port.get_any_name() != FRAME_INPUT)  # picture first
        check_graph(path, [_port(i) for i in inputs], [_port(o) for o in self._model.outputs])
        # ONNX metadata props land in the model's rt_info under "framework"
        key = ["framework", SIZE_MULTIPLE]
        self.multiple = int(self._model.get_rt_info(key).astype(str)) if self._model.has_rt_info(key) else 1
        if precision == "auto":
            precision = "bf16" if native_bf16(self._core) else "f32"
        self.precision = precision
        self._config = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY",
                        "NUM_STREAMS": 1}
        self.threads = int(threads)  # may change between frames (the adaptive load policy does)
        self._compiled: dict[tuple[int, int, int], tuple] = {}  # (height, width, threads) -> (request, state)
        self._request, self._state_var = None, None
        self._key: tuple[int, int, int] | None = None  # what the current request was compiled for
        self._needs_reset = True
        self.strength = check_strength(strength)
        self.size = None  # any frame size: compiled for each new one
        self.compiles_per_size = True
        self.in_flight = 1  # all the work happens in submit()
        self.name = f"openvino-cpu-{precision} ({Path(path).name})"

    def _compile(self, height: int, width: int, threads: int) -> None:
        """Reshape the graph to this (padded) size, keep the state inside, compile (~0.1-0.5 s)."""
        from openvino import passes
        try:  # OpenVINO raises its own RuntimeError subclasses for a graph it cannot reshape or compile
            model = self._model.clone()
            model.reshape({FRAME_INPUT: [height, width, 3], STATE_INPUT: [1, 3, height, width]})
            manager = passes.Manager()
            manager.register_pass(passes.MakeStateful({STATE_INPUT: STATE_OUTPUT}))
            manager.run_passes(model)
            config = {**self._config, **({"INFERENCE_NUM_THREADS": threads} if threads else {})}
            compiled = self._core.compile_model(model, "CPU", config)
            request = compiled.create_infer_request()
            states = request.query_state()
        except Exception as err:
            raise SharpcamError(f"OpenVINO cannot compile the graph for {width}x{height}: {err}") from err
        if len(states) != 1:
            raise SharpcamError(f"OpenVINO found {len(states)} temporal states in the graph for {width}x{height}, "
                                f"not one ({STATE_INPUT} fed back from {STATE_OUTPUT}); export it with 'make engines'")
        (state_var,) = states
        self._compiled[(height, width, threads)] = (request, state_var)

    @property
    def compiled_sizes(self) -> set[tuple[int, int]]:
        """(height, width) of every frame size compiled so far: each cost a compile once."""
        return {key[:2] for key in self._compiled}

    def reset(self) -> None:
        self._needs_reset = True

    def _reset_now(self) -> None:
        height, width, _ = self._key
        dtype = self._state_var.state.data.dtype  # float32, or float16 for an _fp16 graph
        self._state_var.state = self._ov.Tensor(reset_state((1, 3, height, width), dtype))
        self._needs_reset = False

    def submit(self, frame_bgr: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        start = time.perf_counter()
        if self.strength == 0.0:  # "off": the input exactly, no CPU spent on the model
            self._needs_reset = True
            return frame_bgr, {"infer": 0.0}
        height, width = frame_bgr.shape[:2]
        frame = np.ascontiguousarray(pad_to_multiple(frame_bgr, self.multiple))
        key = (*frame.shape[:2], self.threads)
        if self._key != key:
            # kept per size and thread count: the adaptive load policy moves between a few and must not
            # stall to recompile; a new request starts from a reset state
            if key not in self._compiled:
                self._compile(*key)
            self._request, self._state_var = self._compiled[key]
            self._key, self._needs_reset = key, True
        if self._needs_reset:
            self._reset_now()
        self._request.infer({FRAME_INPUT: frame, STRENGTH_INPUT: np.array([self.strength], np.float32)})
        # the output tensor's memory belongs to the request and is rewritten by the next frame: copy it out
        out = self._request.get_output_tensor(0).data[:height, :width].copy()
        return out, {"infer": time.perf_counter() - start}

    def collect(self, handle: tuple[np.ndarray, dict[str, float]]) -> tuple[np.ndarray, dict[str, float]]:
        return handle

    def close(self) -> None:
        self._compiled.clear()
        self._request = self._state_var = None
