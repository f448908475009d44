"""Student networks, each whole in this file.

`SeedStudent` is the report's network exactly (section 3.2): conv 3->32, conv 32->64, four residual
blocks of two 64-channel 3x3 convs, conv 64->32, conv 32->3, ReLU everywhere, output clamped to [0,1].
334,147 parameters. `residual=True` adds the input back at the end (a global skip), an option the
report does not have; it is measured separately (see README).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from runtime.errors import SharpcamError


def conv3x3(c_in: int, c_out: int) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size=3, padding=1)


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = conv3x3(channels, channels)
        self.conv2 = conv3x3(channels, channels)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.act(self.conv1(x)))


class SeedStudent(nn.Module):
    def __init__(self, residual: bool = False, blocks: int = 4) -> None:
        super().__init__()
        self.residual = residual
        self.head = nn.Sequential(
            conv3x3(3, 32), nn.ReLU(inplace=True), conv3x3(32, 64), nn.ReLU(inplace=True)
        )
        self.body = nn.Sequential(*[ResidualBlock(64) for _ in range(blocks)])
        self.tail = nn.Sequential(conv3x3(64, 32), nn.ReLU(inplace=True), conv3x3(32, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.tail(self.body(self.head(x)))
        if self.residual:
            y = y + x
        # Clamp only at inference: a saturated clamp passes no gradient and can trap training.
        return y if self.training else y.clamp(0.0, 1.0)


STUDENTS: dict[str, type[nn.Module]] = {"seed": SeedStudent}


def build_student(name: str, args: dict[str, Any] | None = None) -> nn.Module:
    """Build a student by registry name; checkpoints store (name, args) so they rebuild themselves."""
    if name not in STUDENTS:
        raise SharpcamError(f"unknown student '{name}'; known: {', '.join(sorted(STUDENTS))}")
    return STUDENTS[name](**(args or {}))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
