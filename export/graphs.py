"""The graphs we export, as small torch modules around a student (the contract: runtime/contract.py).

- `FloatGraph`: NCHW RGB float32 in [0,1], dynamic batch and size, for ONNX Runtime.
- `FrameGraph`: one camera frame, uint8 BGR HxWx3 in and out, static size. The frame conversion lives
  inside the graph so the runtime moves one byte per channel each way and does no per-pixel work in
  Python. TensorRT allows UINT8 only at network inputs/outputs and only cast to/from FLOAT/HALF, so the
  graph casts first (then reorders), and on the way out clips, adds 0.5 (Cast truncates) and casts last.
Both carry the temporal filter's state in and out and the strength knob (train/temporal.py).
"""
from __future__ import annotations

import torch
from torch import nn

from runtime.contract import RESOLUTIONS  # noqa: F401 - re-exported for export/
from runtime.contract import state_shape
from train.temporal import TemporalConfig, TemporalFilter, reset_state


class FloatGraph(nn.Module):
    def __init__(self, student: nn.Module, temporal: TemporalConfig = TemporalConfig()) -> None:
        super().__init__()
        self.student = student.eval()
        self.temporal = TemporalFilter(temporal)

    def forward(self, image: torch.Tensor, state: torch.Tensor,
                strength: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = self.temporal(self.student(image), state)
        return image + strength.clamp(0.0, 1.0) * (y - image), y


class FrameGraph(nn.Module):
    def __init__(self, student: nn.Module, dtype: torch.dtype = torch.float32,
                 temporal: TemporalConfig = TemporalConfig()) -> None:
        super().__init__()
        self.student = student.eval().to(dtype)
        self.temporal = TemporalFilter(temporal).to(dtype)
        self.dtype = dtype
        self.register_buffer("bgr_to_rgb", torch.tensor([2, 1, 0]), persistent=False)

    def forward(self, frame_bgr: torch.Tensor, state: torch.Tensor,
                strength: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = frame_bgr.to(self.dtype)  # Cast before any reordering (TensorRT's UINT8 rule)
        rgb = x.index_select(2, self.bgr_to_rgb).permute(2, 0, 1).unsqueeze(0) * (1.0 / 255.0)
        y = self.temporal(self.student(rgb), state)
        y_bgr = y[0].permute(1, 2, 0).index_select(2, self.bgr_to_rgb) * 255.0
        # The knob in 8-bit units: strength 0 gives x + 0 exactly, so the input comes back bit for bit.
        shown = x + strength.to(self.dtype).clamp(0.0, 1.0) * (y_bgr - x)
        return (shown + 0.5).clamp(0.0, 255.0).to(torch.uint8), y


def graph_inputs(example: torch.Tensor, dtype: torch.dtype = torch.float32) -> tuple:
    """(picture, reset state, strength 1) for an H x W x 3 frame or N x 3 x H x W image tensor: what a
    graph's first call receives."""
    return example, reset_state(state_shape(tuple(example.shape)), dtype), torch.ones(1)
