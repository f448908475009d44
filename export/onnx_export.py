"""Export a student to ONNX, check every graph, and compare it with PyTorch on real images.

Like timm's exporter: eval mode, named inputs and outputs, `onnx.checker`, then a numeric comparison
against ONNX Runtime. Written graphs, for a student named e.g. fast: `fast.onnx` (float, dynamic) and per
resolution `fast_480p.onnx` / `fast_480p_fp16.onnx` (uint8 BGR frames in and out).
"""
from __future__ import annotations

import copy
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from export.graphs import FloatGraph, FrameGraph, frame_graph, graph_inputs
from runtime.errors import SharpcamError
from runtime.contract import (FLOAT_INPUT, FLOAT_OUTPUT, FRAME_INPUT, FRAME_OUTPUT, SIZE_MULTIPLE, STATE_INPUT,
                              STATE_OUTPUT, STRENGTH_INPUT, TEMPORAL, first_frame_feeds)
from runtime.artifacts import graph_path
from train.temporal import TemporalConfig

OPSET = 17


@dataclass
class Parity:
    graph: str
    max_abs: float  # float graphs: in [0,1] units; frame graphs: in 8-bit levels
    within: float  # fraction of values within the tolerance
    tolerance: float

    def __str__(self) -> str:
        return f"{self.graph}: max |diff| {self.max_abs:.3g}, {100 * self.within:.3f}% within {self.tolerance:g}"


def export_float(student: nn.Module, path: Path, temporal: TemporalConfig | None = None) -> Path:
    example = graph_inputs(torch.rand(1, 3, 64, 64))
    axes = {0: "batch", 2: "height", 3: "width"}
    _export(FloatGraph(_copy(student), temporal), example, path, [FLOAT_INPUT, STATE_INPUT, STRENGTH_INPUT],
            [FLOAT_OUTPUT, STATE_OUTPUT], {FLOAT_INPUT: axes, STATE_INPUT: axes, FLOAT_OUTPUT: axes,
                                          STATE_OUTPUT: axes})
    return path


def export_frame(student: nn.Module, path: Path, size: tuple[int, int], fp16: bool,
                 temporal: TemporalConfig | None = None, lean: bool = True) -> Path:
    """A static (height, width, 3) uint8 graph, with its state (1, 3, height, width); `lean=False` keeps the
    generic layout even for a student the lean one fits (benchmarks/speed/lean_graph.py compares them).

    Traced on a small frame with symbolic height and width, then pinned to the target size: tracing runs
    the model once, and FP16 convolutions at 1080p take minutes on a CPU.
    """
    width, height = size
    dtype = torch.float16 if fp16 else torch.float32
    graph = frame_graph(_copy(student), dtype, temporal, lean)
    example = graph_inputs(torch.zeros(64, 64, 3, dtype=torch.uint8), dtype)
    frame_axes, state_axes = {0: "height", 1: "width"}, {2: "height", 3: "width"}
    _export(graph, example, path, [FRAME_INPUT, STATE_INPUT, STRENGTH_INPUT], [FRAME_OUTPUT, STATE_OUTPUT],
            {FRAME_INPUT: frame_axes, FRAME_OUTPUT: frame_axes, STATE_INPUT: state_axes, STATE_OUTPUT: state_axes})
    _pin_frame_shape(path, height, width)
    return path


def _pin_frame_shape(path: Path, height: int, width: int) -> None:
    model = onnx.load(str(path))
    shapes = {FRAME_INPUT: (height, width, 3), FRAME_OUTPUT: (height, width, 3),
              STATE_INPUT: (1, 3, height, width), STATE_OUTPUT: (1, 3, height, width)}
    for value in (*model.graph.input, *model.graph.output):
        if value.name not in shapes:
            continue
        for dim, size in zip(value.type.tensor_type.shape.dim, shapes[value.name]):
            dim.Clear()
            dim.dim_value = size
    del model.graph.value_info[:]  # stale symbolic shapes; re-inferred below
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))


def _copy(student: nn.Module) -> nn.Module:
    """A deployment copy: re-parameterized branches folded (`fuse`); FrameGraph may cast it to FP16.
    The caller's student is never touched."""
    deployed = copy.deepcopy(student).eval()
    return deployed.fuse() if hasattr(deployed, "fuse") else deployed


def _export(graph: nn.Module, example: tuple, path: Path, inputs: list[str], outputs: list[str],
            axes: dict | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(graph.eval(), example, str(path), input_names=inputs, output_names=outputs,
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False, do_constant_folding=True)
    model = onnx.load(str(path))
    multiple = getattr(graph.student, "size_multiple", 1)
    # Recorded in the graph so the runtime, which never imports torch, knows to pad odd frame sizes.
    # The filter's settings are read from the graph itself, so the metadata cannot disagree with it.
    onnx.helper.set_model_props(model, {SIZE_MULTIPLE: str(multiple),
                                        TEMPORAL: json.dumps(graph.temporal.cfg.to_dict())})
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))


def ort_session(path: Path):
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise SharpcamError("onnxruntime is needed to verify graphs: pip install onnxruntime (part of every sharpcam install)") from err
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def check_float_graph(student: nn.Module, path: Path, images: list[np.ndarray], atol: float = 1e-4) -> Parity:
    """Max abs difference to PyTorch over real RGB uint8 images (any sizes), first frame of a stream."""
    session, diffs = ort_session(path), []
    for img in images:
        x = torch.from_numpy(img.copy()).permute(2, 0, 1)[None].float() / 255
        with torch.no_grad():
            ref = student.eval()(x).numpy()
        got = session.run([FLOAT_OUTPUT], first_frame_feeds(FLOAT_INPUT, x.numpy()))[0]
        diffs.append(np.abs(got - ref).ravel())
    d = np.concatenate(diffs)
    return Parity(path.name, float(d.max()), float((d <= atol).mean()), atol)


def reference_frames(student: nn.Module, frames_bgr: list[np.ndarray]) -> list[np.ndarray]:
    """The FP32 PyTorch student's output for each BGR frame, through the same frame conversion (a reset
    state, so the temporal filter passes the student's output through)."""
    reference = FrameGraph(_copy(student), torch.float32)
    with torch.no_grad():
        return [reference(*graph_inputs(torch.from_numpy(f)))[0].numpy() for f in frames_bgr]


def check_frame_graph(path: Path, frames_bgr: list[np.ndarray], references: list[np.ndarray],
                      levels: int) -> Parity:
    """8-bit level differences between ONNX Runtime on the graph and the reference outputs."""
    session, diffs = ort_session(path), []
    state = next(i for i in session.get_inputs() if i.name == STATE_INPUT)
    dtype = np.float16 if state.type == "tensor(float16)" else np.float32
    for frame, ref in zip(frames_bgr, references):
        got = session.run([FRAME_OUTPUT], first_frame_feeds(FRAME_INPUT, frame, dtype))[0]
        if got.dtype != np.uint8 or got.shape != frame.shape:
            raise SharpcamError(f"{path}: output {got.dtype} {got.shape}, expected uint8 {frame.shape}")
        diffs.append(np.abs(got.astype(np.int16) - ref.astype(np.int16)).ravel())
    d = np.concatenate(diffs)
    return Parity(path.name, float(d.max()), float((d <= levels).mean()), levels)


def frame_graph_names(student: str, resolution: str) -> tuple[str, str]:
    return graph_path(student, resolution).name, graph_path(student, resolution, fp16=True).name

