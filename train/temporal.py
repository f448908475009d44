"""Temporal stability by design: a motion-gated recursive blend of the student's output, and the strength knob.

A webcam's sensor noise is fresh in every frame; a per-frame network, however good, leaves some of it, and
a sharpener amplifies it: the picture shimmers. Camera ISPs calm it with temporal noise reduction: where
the picture did not change, average over time; where it moved, take the new frame. Here:

    d     = current - previous output                   (RGB, [0,1])
    m     = 3x3 mean of | luma(d) |                     (noise stays small; motion, even of fine texture, not)
    keep  = hold * (1 - clamp((m - low) / (high - low), 0, 1))
    out   = current - keep * d                          (keep 0: the current frame exactly)

`hold` is how much of the previous output a still pixel keeps (0.6: the noise of a still scene falls to
sqrt((1-0.6)/(1+0.6)) = 0.5 of the per-frame output's); `low`/`high` (8-bit levels) bound the change
that counts as noise. The absolute value is taken before the mean: a signed mean cancels on moving
fine texture (+ and - side by side) and would blend it with the previous frame: trails. The previous output is the state: one frame, in the graph's layout, fed back by the
runtime (state in, state out) and kept on the GPU by the TensorRT backend. A state whose every byte is
0xC0 (negative in float32 and float16 alike: -6.0 and -2.4) makes every pixel "moved", which resets the
filter: new stream, scene cut, or a single image. Settings chosen by measurement on validation clips.
`temporal_blend` is this math, written once: `TemporalFilter` runs it on N x 3 x H x W RGB in [0,1] (PyTorch
and the generic graphs), export/graphs.py's LeanFrameGraph on H x W x 3 BGR in 8-bit levels.

The strength knob is applied last, in 8-bit units so that strength 0 returns the input exactly:
    shown = input + strength * (out - input)
The state keeps the full-strength output, so turning the knob never disturbs the recursion.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from runtime import contract
from train.student import LUMA


@dataclass(frozen=True)
class TemporalConfig:
    # Chosen on the validation split (benchmarks/results/temporal_tune.md): of the settings tried, the one
    # that calms still scenes most while costing moving scenes nothing measurable (pan SSIM -0.0004).
    hold: float = 0.6  # 0 disables the filter
    low: float = 2.0  # 8-bit levels of (3x3-averaged absolute) luma change still treated as noise
    high: float = 5.0  # above this much change a pixel is "moved" and takes the new frame

    def to_dict(self) -> dict:
        return asdict(self)


def temporal_blend(current: torch.Tensor, previous: torch.Tensor, cfg: TemporalConfig, luma: torch.Tensor,
                   box_mean: Callable[[torch.Tensor], torch.Tensor], channel_dim: int, keepdim: bool,
                   levels: float) -> torch.Tensor:
    """The filter's math (the formula above), written once for every layout that runs it.

    current, previous: the frame and the last output in one layout whose colour axis is `channel_dim`;
    luma: the colour weights in that axis's colour order, shaped to broadcast along it; box_mean: the 3x3
    mean (count_include_pad=False) of the luma change, taken with that axis kept (`keepdim`) or removed;
    levels: 8-bit levels per unit of the tensors (255 for [0,1], 1 for levels). The exported graphs trace
    exactly these operations, so their arguments pick the layout, never the math.
    """
    d = current - previous
    change = box_mean((d * luma).sum(channel_dim, keepdim=keepdim).abs())
    low, high = cfg.low / levels, cfg.high / levels
    moved = ((change - low) * (1.0 / (high - low))).clamp(0.0, 1.0)
    keep = cfg.hold * (1.0 - moved)
    return current - (keep if keepdim else keep.unsqueeze(channel_dim)) * d


class TemporalFilter(nn.Module):
    """The filter on N x 3 x H x W RGB in [0,1]: the training side, and the generic exported graphs."""

    def __init__(self, cfg: TemporalConfig = TemporalConfig()) -> None:
        super().__init__()
        self.cfg = cfg
        self.register_buffer("luma", torch.tensor(LUMA).view(1, 3, 1, 1), persistent=False)

    def forward(self, current: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        """previous: the last output, or a reset state; returns the blended frame. Hold 0 returns `current`
        exactly (keep is 0) but still reads `previous`, so an exported graph keeps its state input (exporters drop
        unused inputs, and every backend feeds a state)."""
        return temporal_blend(current, previous, self.cfg, self.luma.to(current.dtype), _avg_pool3,
                              channel_dim=1, keepdim=True, levels=255)


def _avg_pool3(a: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(a, 3, stride=1, padding=1, count_include_pad=False)


def reset_state(shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A state that resets the filter: every byte RESET_BYTE (what cudaMemset writes on the GPU)."""
    np_dtype = {torch.float32: np.float32, torch.float16: np.float16}[dtype]
    return torch.from_numpy(contract.reset_state(shape, np_dtype))
