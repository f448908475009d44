"""The RRDB teacher (BSRGAN / Real-ESRGAN x4plus architecture) and how it serves a same-size task.

RRDBNet: 23 residual-in-residual dense blocks, 64 features, growth 32, x4 upsampling by two nearest x2
steps, LeakyReLU 0.2, residual scale 0.2, unscaled global skip, no output clamp: 16,697,987 parameters.
Names follow BasicSR (conv_first, body.N.rdbK.convJ, conv_body, conv_up1, conv_up2, conv_hr, conv_last).

The teacher is a x4 super-resolver; our task keeps the size. `sharpen_same_size` downscales the blurred
image by `pre_scale`, runs x4 and downscales the result back (see README for the measurement that
chose the default).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResidualDenseBlock(nn.Module):
    def __init__(self, features: int = 64, growth: int = 32) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(features, growth, 3, 1, 1)
        self.conv2 = nn.Conv2d(features + growth, growth, 3, 1, 1)
        self.conv3 = nn.Conv2d(features + 2 * growth, growth, 3, 1, 1)
        self.conv4 = nn.Conv2d(features + 3 * growth, growth, 3, 1, 1)
        self.conv5 = nn.Conv2d(features + 4 * growth, features, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.lrelu(self.conv1(x))
        x2 = self.lrelu(self.conv2(torch.cat((x, x1), 1)))
        x3 = self.lrelu(self.conv3(torch.cat((x, x1, x2), 1)))
        x4 = self.lrelu(self.conv4(torch.cat((x, x1, x2, x3), 1)))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x5 * 0.2 + x


class RRDB(nn.Module):
    def __init__(self, features: int = 64, growth: int = 32) -> None:
        super().__init__()
        self.rdb1 = ResidualDenseBlock(features, growth)
        self.rdb2 = ResidualDenseBlock(features, growth)
        self.rdb3 = ResidualDenseBlock(features, growth)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x


class RRDBNet(nn.Module):
    def __init__(self, blocks: int = 23, features: int = 64, growth: int = 32) -> None:
        super().__init__()
        self.conv_first = nn.Conv2d(3, features, 3, 1, 1)
        self.body = nn.Sequential(*[RRDB(features, growth) for _ in range(blocks)])
        self.conv_body = nn.Conv2d(features, features, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(features, features, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(features, features, 3, 1, 1)
        self.conv_hr = nn.Conv2d(features, features, 3, 1, 1)
        self.conv_last = nn.Conv2d(features, 3, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        feat = self.lrelu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")))
        feat = self.lrelu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(self.lrelu(self.conv_hr(feat)))


TEACHER_MODES = ("down2", "down4", "native")


@torch.no_grad()
def sharpen_same_size(teacher: nn.Module, x: torch.Tensor, mode: str = "down2") -> torch.Tensor:
    """Use the x4 teacher as a same-size sharpener; x is NCHW RGB in [0,1], H and W divisible by 4.

    down2:  area-downscale by 2, x4, area-downscale by 2 (body at 1/4 of the pixels).
    down4:  area-downscale by 4, x4 (body at 1/16 of the pixels; loses real detail).
    native: x4 at full size, area-downscale by 4 (16x the cost of down2).
    """
    if mode not in TEACHER_MODES:
        raise ValueError(f"teacher mode must be one of {TEACHER_MODES}, got {mode!r}")
    h, w = x.shape[-2:]
    pre = {"down2": 2, "down4": 4, "native": 1}[mode]
    small = F.interpolate(x, scale_factor=1 / pre, mode="area") if pre > 1 else x
    big = teacher(small)
    return F.interpolate(big, size=(h, w), mode="area").clamp(0.0, 1.0)
