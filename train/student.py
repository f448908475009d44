"""Student networks, each whole in this file.

`SeedStudent` is the report's network exactly (section 3.2): conv 3->32, conv 32->64, four residual
blocks of two 64-channel 3x3 convs, conv 64->32, conv 32->3, ReLU everywhere, output clamped to [0,1].
334,147 parameters. `residual=True` adds the input back at the end (a global skip), an option the
report does not have; it is measured separately (see README).

`FastStudent` is the CPU real-time student: it works on a pixel-unshuffled image (space-to-depth by
`scale`, as Real-ESRGAN's compact model), so every conv runs on 1/scale^2 of the positions, and predicts
a correction added to the input. `luma=True` corrects luminance only (one channel in and out of the
body, the same correction added to R, G and B). `rep=True` trains each body conv with parallel 1x1 and
identity branches (ECBSR-style structural re-parameterization) that `fuse()` folds into one 3x3 conv
for deployment, so the branches cost nothing at inference.

`RecurrentStudent` (issue 20, item 3): learned temporal stability. A FastStudent whose head also reads the
previous output frame and the change |x - previous|, still predicting a correction added to the current frame.
The previous output is exactly the graph contract's state (runtime/contract.py: the previous full-strength
output, fed back by every backend), so the runtime, the backends and the double buffer need no change:
y_t = student(x_t, y_{t-1}). Where the state is a reset (every byte RESET_BYTE: negative in float32 and
float16) the student gets previous := x, so a reset gives what a single picture gets. The head is linear, so
it could form x - previous itself but not its magnitude; with |x - previous| given, "did this pixel move" is
one layer away, which is what choosing between averaging (still: calm the noise) and taking the new frame
(moved: no trails) needs. `adopt(fast)` starts it from a trained FastStudent of the same shape with zero
weights on the previous-frame inputs: at step 0 it computes that student's output (to float rounding: the
zero products are exact, but the head's convolution may sum in another order).
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
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


class RepConv3x3(nn.Module):
    """3x3 conv + 1x1 conv + identity while training; `fuse()` returns the single equivalent 3x3 conv."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv3 = conv3x3(channels, channels)
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv3(x) + self.conv1(x) + x

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        fused = conv3x3(self.conv3.in_channels, self.conv3.out_channels).to(self.conv3.weight)
        weight = self.conv3.weight.clone()
        weight[:, :, 1, 1] += self.conv1.weight[:, :, 0, 0]
        weight[:, :, 1, 1] += torch.eye(weight.shape[0], dtype=weight.dtype, device=weight.device)
        fused.weight.copy_(weight)
        fused.bias.copy_(self.conv3.bias + self.conv1.bias)
        return fused


class FastBlock(nn.Module):
    def __init__(self, channels: int, rep: bool) -> None:
        super().__init__()
        make = (lambda: RepConv3x3(channels)) if rep else (lambda: conv3x3(channels, channels))
        self.conv1, self.conv2 = make(), make()
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.act(self.conv1(x)))


# ITU-R BT.601 luma weights, the ones video codecs and OpenCV's BGR2YUV use.
LUMA = (0.299, 0.587, 0.114)


class FastStudent(nn.Module):
    """unshuffle(scale) -> conv -> `blocks` residual blocks -> conv -> shuffle(scale), added to the input.

    Height and width must be multiples of `scale` (the runtime pads; see `size_multiple`). No ReLU right
    after the head conv: one there died during training and the model learned the identity (facts.md).
    """

    def __init__(self, channels: int = 32, blocks: int = 3, scale: int = 4, luma: bool = False,
                 rep: bool = False) -> None:
        super().__init__()
        self.scale, self.luma = scale, luma
        planes = (1 if luma else 3) * scale * scale
        self.head = nn.Conv2d(planes, channels, kernel_size=3, padding=1)
        self.body = nn.Sequential(*[FastBlock(channels, rep) for _ in range(blocks)])
        self.tail = nn.Conv2d(channels, planes, kernel_size=3, padding=1)
        self.register_buffer("luma_weights", torch.tensor(LUMA).view(1, 3, 1, 1), persistent=False)

    @property
    def size_multiple(self) -> int:
        return self.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        pad_h, pad_w = -height % self.scale, -width % self.scale
        if pad_h or pad_w:  # exports trace a multiple of `scale`, so graphs never hold this; the runtime pads
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        signal = (x * self.luma_weights.to(x.dtype)).sum(1, keepdim=True) if self.luma else x
        y = x + self.correction(signal)  # a luma correction broadcasts over R, G and B
        if pad_h or pad_w:
            y = y[..., :height, :width]
        return y if self.training else y.clamp(0.0, 1.0)

    def correction(self, signal: torch.Tensor) -> torch.Tensor:
        """What to add to the input: N x (1 or 3) x H x W in, same out; H and W multiples of `scale`."""
        z = self.tail(self.body(self.head(F.pixel_unshuffle(signal, self.scale))))
        return F.pixel_shuffle(z, self.scale)

    def fuse(self) -> "FastStudent":
        """Fold every RepConv3x3 into a plain conv, in place (for export); a no-op without them."""
        for block in self.body:
            for name in ("conv1", "conv2"):
                conv = getattr(block, name)
                if isinstance(conv, RepConv3x3):
                    setattr(block, name, conv.fuse())
        return self


GROUPS = 3  # head input groups: the current frame, the previous output, |current - previous|


class RecurrentStudent(FastStudent):
    """y = x + correction(x, previous, |x - previous|); `previous` None or a reset state: previous := x.

    `gate=True` adds a learned blend: the body's features also give a per-pixel weight g in [0, 1] (one
    more convolution, clamped), and the output is y + g * (previous - y): averaging with the previous output
    is then one multiplication away instead of something the ReLU body must approximate. It starts at zero
    weights (g = 0: the correction alone), and a reset pixel never blends."""

    def __init__(self, channels: int = 16, blocks: int = 4, scale: int = 2, luma: bool = False,
                 rep: bool = False, gate: bool = False) -> None:
        super().__init__(channels, blocks, scale, luma, rep)
        self.head = nn.Conv2d(GROUPS * self.head.in_channels, channels, kernel_size=3, padding=1)
        self.gate = nn.Conv2d(channels, scale * scale, kernel_size=3, padding=1) if gate else None
        if self.gate is not None:
            nn.init.zeros_(self.gate.weight)
            nn.init.zeros_(self.gate.bias)

    @property
    def frame_planes(self) -> int:
        """Input planes per group after unshuffling: (1 or 3) * scale^2."""
        return self.head.in_channels // GROUPS

    def forward(self, x: torch.Tensor, previous: torch.Tensor | None = None) -> torch.Tensor:
        fresh = None if previous is None else previous[:, :1] < 0  # a reset: no previous frame
        previous = x if previous is None else torch.where(previous < 0, x, previous)
        height, width = x.shape[-2:]
        pad_h, pad_w = -height % self.scale, -width % self.scale
        if pad_h or pad_w:  # as FastStudent: exported graphs never hold this; the runtime pads
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
            previous = F.pad(previous, (0, pad_w, 0, pad_h), mode="replicate")
            fresh = None if fresh is None else F.pad(fresh.float(), (0, pad_w, 0, pad_h), mode="replicate") > 0.5
        correction, blend = self.recurrent_outputs(self._signal(x), self._signal(previous))
        y = x + correction
        if blend is not None and fresh is not None:  # no previous frame (None, or a reset pixel): nothing to blend
            y = y + torch.where(fresh, torch.zeros_like(blend), blend) * (previous - y)
        if pad_h or pad_w:
            y = y[..., :height, :width]
        return y if self.training else y.clamp(0.0, 1.0)

    def _signal(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.luma_weights.to(x.dtype)).sum(1, keepdim=True) if self.luma else x

    def recurrent_outputs(self, current: torch.Tensor,
                          previous: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(correction, blend weight N x 1 x H x W in [0, 1] or None without the gate)."""
        inputs = (current, previous, (current - previous).abs())
        planes = torch.cat([F.pixel_unshuffle(t, self.scale) for t in inputs], 1)
        features = self.body(self.head(planes))
        blend = None if self.gate is None else F.pixel_shuffle(self.gate(features), self.scale).clamp(0.0, 1.0)
        return F.pixel_shuffle(self.tail(features), self.scale), blend

    def correction(self, signal: torch.Tensor) -> torch.Tensor:
        """A single picture's correction (no previous frame), as FastStudent's."""
        return self.recurrent_outputs(signal, signal)[0]

    @torch.no_grad()
    def adopt(self, fast: FastStudent) -> "RecurrentStudent":
        """Take a FastStudent's weights (same channels, blocks, scale, luma) with zero weights on the
        previous-frame inputs: this student then computes `fast`'s output. Returns self."""
        mine = (self.head.out_channels, len(self.body), self.scale, self.luma)
        theirs = (fast.head.out_channels, len(fast.body), fast.scale, fast.luma)
        if mine != theirs:
            raise SharpcamError(f"a recurrent student of (channels, blocks, scale, luma) {mine} cannot start from a "
                                f"fast student of {theirs}: grow that one to this shape first (train/grow.py)")
        state = {k: v for k, v in fast.state_dict().items() if not k.startswith("head.")}
        missing, _ = self.load_state_dict(state, strict=False)
        if any(not k.startswith(("head.", "gate.")) for k in missing):  # rep branches on one side only
            raise SharpcamError(f"the fast student's blocks do not fit this one's ({missing}); fuse() it or match rep")
        self.head.weight.zero_()
        self.head.weight[:, :self.frame_planes] = fast.head.weight
        self.head.bias.copy_(fast.head.bias)
        if self.gate is not None:  # no blending yet
            self.gate.weight.zero_()
            self.gate.bias.zero_()
        return self


def is_recurrent(student: nn.Module) -> bool:
    return isinstance(student, RecurrentStudent)


# Student architectures by name (`--arch`, a checkpoint's "model" entry). Not the shipped students
# (webcam, fast, seed: runtime.contract.STUDENTS), which are trained instances of these.
ARCHITECTURES: dict[str, type[nn.Module]] = {"seed": SeedStudent, "fast": FastStudent,
                                               "recurrent": RecurrentStudent}


def build_student(name: str, args: dict[str, Any] | None = None) -> nn.Module:
    """Build a student of architecture `name`; checkpoints store (name, args) so they rebuild themselves."""
    if name not in ARCHITECTURES:
        raise SharpcamError(f"unknown student architecture '{name}'; known: {', '.join(sorted(ARCHITECTURES))}")
    return ARCHITECTURES[name](**(args or {}))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
