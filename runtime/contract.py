"""The graph I/O contract between export, runtime and benchmarks: tensor names, the state and its reset,
the strength input, metadata keys. Torch-free, and no project imports; export/, runtime/, train/ and
benchmarks/ import it. Artifact names and paths are runtime/artifacts.py's.

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

import numpy as np

FLOAT_INPUT, FLOAT_OUTPUT = "image", "sharpened"
FRAME_INPUT, FRAME_OUTPUT = "frame_bgr", "sharpened_bgr"
STATE_INPUT, STATE_OUTPUT = "state", "state_out"
STRENGTH_INPUT = "strength"
RESET_BYTE = 0xC0  # negative in float32 (-6.0) and float16 (-2.4), and what cudaMemset can write

# ONNX metadata keys written by export, read by the runtime.
SIZE_MULTIPLE = "size_multiple"  # pixel-unshuffle students need H and W multiples of this
TEMPORAL = "temporal"  # JSON of the temporal filter's settings

DEFAULT_STRENGTH = 1.0


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
