"""The contract between export, runtime and benchmarks: artifact names and paths, the engines' sizes, the
shipped students, graph tensor names, the state reset, metadata keys.

Written once here (torch-free, no project imports) and imported by export/, runtime/, train/ and benchmarks/.

Artifacts, for a student NAME in engines/ (or an export's --out folder):
- NAME.pt: the checkpoint; NAME.onnx: the float graph; NAME_<res>.onnx, NAME_<res>_fp16.onnx: frame graphs;
  NAME_<res>.plan: a TensorRT engine built from the fp16 graph, with its sidecar NAME_<res>.json
  (runtime/engine_meta.py); NAME_<res>.pt2: an ahead-of-time compiled PyTorch engine, with its sidecar
  NAME_<res>.pt2.json (runtime/aot_meta.py); NAME_onnx_report.json: export's parity report.

Every graph takes (picture, state, strength) and gives (picture, state):
- float graph `NAME.onnx`: `image` N x 3 x H x W RGB float32 in [0,1], any size (a multiple of the
  `size_multiple` metadata); `sharpened` the same.
- frame graphs `NAME_<res>[_fp16].onnx` and TensorRT engines: `frame_bgr` H x W x 3 uint8 BGR in,
  `sharpened_bgr` out, at a fixed size.
- `state` / `state_out`: the temporal filter's memory, 1 x 3 x H x W (N for the float graph) in the graph's
  compute type (float32, or float16 for _fp16 graphs). Feed each frame's `state_out` back as the next
  frame's `state`; a state whose every byte is RESET_BYTE resets the filter (train/temporal.py).
- `strength`: float32 of shape (1,), 0..1; 0 returns the input exactly, 1 the full correction.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from runtime.models import CHECKOUT_ENGINES, aot_name, graph_name, plan_name

ENGINES = CHECKOUT_ENGINES  # a checkout's engines/: where export writes and the shipped students live
# The sizes frame graphs and engines are built for, (width, height).
RESOLUTIONS: dict[str, tuple[int, int]] = {"480p": (640, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
RESOLUTION_NAMES = {size: name for name, size in RESOLUTIONS.items()}
# Shipped students, each as engines/<name>.pt plus its graphs. "webcam" (the default everywhere) cleans,
# deblocks and sharpens real webcam frames; "fast" is the clean-blur CPU student and "seed" the report's
# architecture, both kept for the report's benchmark.
STUDENTS = ("webcam", "fast", "seed")
DEFAULT_STUDENT = "webcam"

FLOAT_INPUT, FLOAT_OUTPUT = "image", "sharpened"
FRAME_INPUT, FRAME_OUTPUT = "frame_bgr", "sharpened_bgr"
STATE_INPUT, STATE_OUTPUT = "state", "state_out"
STRENGTH_INPUT = "strength"
RESET_BYTE = 0xC0  # negative in float32 (-6.0) and float16 (-2.4), and what cudaMemset can write

# ONNX metadata keys written by export, read by the runtime.
SIZE_MULTIPLE = "size_multiple"  # pixel-unshuffle students need H and W multiples of this
TEMPORAL = "temporal"  # JSON of the temporal filter's settings

DEFAULT_STRENGTH = 1.0


def checkpoint_path(student: str, folder: Path = ENGINES) -> Path:
    return folder / f"{student}.pt"


def graph_path(student: str, resolution: str | None = None, fp16: bool = False, folder: Path = ENGINES) -> Path:
    """engines/fast.onnx (float, any size) or engines/fast_480p[_fp16].onnx (uint8 frames, fixed size); the
    names are runtime/models.py's, which also finds them in the user cache and the installed package."""
    return folder / graph_name(student, resolution, fp16)


def plan_path(student: str, resolution: str, folder: Path = ENGINES) -> Path:
    return folder / plan_name(student, resolution)


def aot_path(student: str, resolution: str, folder: Path = ENGINES, batch: int | None = None) -> Path:
    """An ahead-of-time compiled PyTorch engine (export/aot_build.py), sidecar NAME_<res>.pt2.json beside it;
    `batch`: the engine for up to that many streams per call (benchmarks/gpu/streams.py)."""
    return folder / aot_name(student, resolution, batch)


def sidecar_path(engine: Path) -> Path:
    """What a TensorRT engine was built for (TensorRT version, GPU, sha256): NAME_<res>.json beside it."""
    return engine.with_suffix(".json")


def onnx_report_path(student: str, folder: Path = ENGINES) -> Path:
    return folder / f"{student}_onnx_report.json"


def state_shape(picture_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The state's shape for a picture: 1 x 3 x H x W for an H x W x 3 frame, the image's own N x 3 x H x W."""
    return (1, 3, *picture_shape[:2]) if len(picture_shape) == 3 else tuple(picture_shape)


def first_frame_feeds(picture_name: str, picture: np.ndarray, state_dtype=np.float32) -> dict[str, np.ndarray]:
    """Inputs for a stream's first picture (reset state, full strength): an HxWx3 frame or an NCHW image."""
    return {picture_name: picture, STATE_INPUT: reset_state(state_shape(picture.shape), state_dtype),
            STRENGTH_INPUT: np.ones(1, np.float32)}


def reset_state(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A state array that resets the temporal filter."""
    dtype = np.dtype(dtype)
    return np.full(int(np.prod(shape)) * dtype.itemsize, RESET_BYTE, np.uint8).view(dtype).reshape(shape)
