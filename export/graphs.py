"""The graphs we export, as small torch modules around a student.

- `FloatGraph`: NCHW RGB float32 in [0,1], dynamic batch and size, for ONNX Runtime.
- `FrameGraph`: one camera frame, uint8 BGR HxWx3 in and out, static size. The frame conversion lives
  inside the graph so the runtime moves one byte per channel each way and does no per-pixel work in
  Python. TensorRT allows UINT8 only at network inputs/outputs and only cast to/from FLOAT/HALF, so the
  graph casts first (then reorders), and on the way out clips, adds 0.5 (Cast truncates) and casts last.
"""
from __future__ import annotations

import torch
from torch import nn

from runtime.select import RESOLUTIONS  # noqa: F401 - re-exported for export/

FLOAT_INPUT, FLOAT_OUTPUT = "image", "sharpened"
FRAME_INPUT, FRAME_OUTPUT = "frame_bgr", "sharpened_bgr"


class FloatGraph(nn.Module):
    def __init__(self, student: nn.Module) -> None:
        super().__init__()
        self.student = student.eval()

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.student(image)


class FrameGraph(nn.Module):
    def __init__(self, student: nn.Module, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.student = student.eval().to(dtype)
        self.dtype = dtype
        self.register_buffer("bgr_to_rgb", torch.tensor([2, 1, 0]), persistent=False)

    def forward(self, frame_bgr: torch.Tensor) -> torch.Tensor:
        x = frame_bgr.to(self.dtype)  # Cast before any reordering (TensorRT's UINT8 rule)
        x = x.index_select(2, self.bgr_to_rgb).permute(2, 0, 1).unsqueeze(0) * (1.0 / 255.0)
        y = self.student(x)[0].permute(1, 2, 0).index_select(2, self.bgr_to_rgb)
        return (y * 255.0 + 0.5).clamp(0.0, 255.0).to(torch.uint8)
