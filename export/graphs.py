"""The graphs we export, as small torch modules around a student (the contract: runtime/contract.py).

- `FloatGraph`: NCHW RGB float32 in [0,1], dynamic batch and size, for ONNX Runtime.
- `FrameGraph`: one camera frame, uint8 BGR HxWx3 in and out, static size. The frame conversion lives
  inside the graph so the runtime moves one byte per channel each way and does no per-pixel work in
  Python. TensorRT allows UINT8 only at network inputs/outputs and only cast to/from FLOAT/HALF, so the
  graph casts first (then reorders), and on the way out clips, adds 0.5 (Cast truncates) and casts last.
- `LeanFrameGraph`: FrameGraph's math for the pixel-unshuffle students (FastStudent), laid out for CPUs
  (-10% CPU per frame at 480p, -19% at 1080p through OpenVINO: benchmarks/results/lean_graph.md). The
  generic graph spends more time outside the network than in it, on full-size 3-channel NCHW tensors that
  CPU plugins pad to 16 channels, and on BGR<->RGB gathers and layout transposes. Here every full-size tensor
  stays H x W x 3 (or H x W), the BGR/RGB flip and the 255 scale are folded into the first and last
  convolutions' weights (and the 1/255 too in float32; in float16 a sixth of the first conv's weights
  would turn subnormal, benchmarks/results/cpu_probes.md, so the input is scaled instead), and pixel
  (un)shuffle reads and writes H x W x 3 directly: one transpose each way, at the network's half
  resolution. The temporal filter's state is H x W x 3 BGR in [0,1], stored in the contract's 1 x 3 x H x W
  buffer (the runtime never looks inside a state; a reset still resets).
Both carry the temporal filter's state in and out and the strength knob (train/temporal.py). A recurrent
student (train/student.py RecurrentStudent) reads that state, its previous output, as its second input; its
graphs leave the hand-made gate out by default (`default_temporal`), its learned stability replacing it.
"""
from __future__ import annotations

import torch
from torch import nn

from runtime.artifacts import RESOLUTIONS  # noqa: F401 - re-exported for export/
from runtime.contract import state_shape
from train.student import LUMA, FastStudent, is_recurrent
from train.temporal import TemporalConfig, TemporalFilter, reset_state, temporal_blend


def default_temporal(student: nn.Module) -> TemporalConfig:
    """The gate a graph gets unless told: off for a recurrent student (its stability is learned), else the tuned one."""
    return TemporalConfig(hold=0.0) if is_recurrent(student) else TemporalConfig()


def run_student(student: nn.Module, picture: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
    """The student's output: a recurrent student reads the state (its previous output, or a reset), others not."""
    return student(picture, state) if is_recurrent(student) else student(picture)


def hand_gate(temporal: TemporalFilter, student: nn.Module, y: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
    """The hand-made gate on the student's output; skipped when off for a recurrent student, which reads the
    state itself (any other graph runs it even at hold 0, so that its state stays an input)."""
    return y if is_recurrent(student) and temporal.cfg.hold <= 0 else temporal(y, state)


class FloatGraph(nn.Module):
    def __init__(self, student: nn.Module, temporal: TemporalConfig | None = None) -> None:
        super().__init__()
        self.student = student.eval()
        self.temporal = TemporalFilter(temporal or default_temporal(student))

    def forward(self, image: torch.Tensor, state: torch.Tensor,
                strength: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = hand_gate(self.temporal, self.student, run_student(self.student, image, state), state)
        return image + strength.clamp(0.0, 1.0) * (y - image), y


class FrameGraph(nn.Module):
    def __init__(self, student: nn.Module, dtype: torch.dtype = torch.float32,
                 temporal: TemporalConfig | None = None) -> None:
        super().__init__()
        self.student = student.eval().to(dtype)
        self.temporal = TemporalFilter(temporal or default_temporal(student)).to(dtype)
        self.dtype = dtype
        self.register_buffer("bgr_to_rgb", torch.tensor([2, 1, 0]), persistent=False)

    def forward(self, frame_bgr: torch.Tensor, state: torch.Tensor,
                strength: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One H x W x 3 frame (state 1 x 3 x H x W, strength (1,)), or N independent streams' frames at once
        (N x H x W x 3, state N x 3 x H x W, strength (N,)): the batched engines of benchmarks/gpu/streams.py."""
        single = frame_bgr.dim() == 3  # (one frame: the same ops, in the same order, as the shipped graphs)
        x = frame_bgr.to(self.dtype)  # Cast before any reordering (TensorRT's UINT8 rule)
        channels = x.dim() - 1  # (ONNX's Transpose takes no negative axes: each rank spelled out)
        rgb = x.index_select(channels, self.bgr_to_rgb)
        rgb = (rgb.permute(2, 0, 1).unsqueeze(0) if single else rgb.permute(0, 3, 1, 2)) * (1.0 / 255.0)
        y = hand_gate(self.temporal, self.student, run_student(self.student, rgb, state), state)
        y_bgr = (y[0].permute(1, 2, 0) if single else y.permute(0, 2, 3, 1)).index_select(channels, self.bgr_to_rgb)
        y_bgr = y_bgr * 255.0
        # The knob in 8-bit units: strength 0 gives x + 0 exactly, so the input comes back bit for bit.
        knob = strength.to(self.dtype).clamp(0.0, 1.0)
        shown = x + (knob if single else knob.reshape(-1, 1, 1, 1)) * (y_bgr - x)
        return (shown + 0.5).clamp(0.0, 255.0).to(torch.uint8), y


class LeanFrameGraph(nn.Module):
    """The same function as FrameGraph(student) for a FastStudent (RGB, not luma), cheaper on CPUs; a
    RecurrentStudent's head reads three such frames (current, previous output, their absolute difference)."""

    def __init__(self, student: FastStudent, dtype: torch.dtype = torch.float32,
                 temporal: TemporalConfig | None = None) -> None:
        super().__init__()
        if not lean_graph_fits(student):
            raise ValueError("LeanFrameGraph needs an RGB FastStudent")
        self.student, self.scale, self.dtype = student.eval(), student.scale, dtype
        self.recurrent = is_recurrent(student)
        # its settings; forward() runs its math in this layout
        self.temporal = TemporalFilter(temporal or default_temporal(student))
        planes = self.scale * self.scale
        # The student's unshuffled channel c*s*s + dy*s + dx holds RGB colour c at offset (dy, dx). Here channel
        # (dy*s + dx)*3 + c holds BGR colour c: the order in which an H x W x 3 frame already lies in memory.
        # A recurrent head reads `groups` such frames one after the other, each in that order.
        s, groups = self.scale, student.head.in_channels // (3 * planes)
        flip = torch.tensor([(2 - c) * planes + dy * s + dx for dy in range(s) for dx in range(s) for c in range(3)])
        head_flip = torch.cat([flip + g * 3 * planes for g in range(groups)])
        self.head = nn.Conv2d(groups * 3 * planes, student.head.out_channels, 3, padding=1)
        self.tail = nn.Conv2d(student.tail.in_channels, 3 * planes, 3, padding=1)
        # 8-bit levels in: folded into the weights in float32; float16 scales the input (weights / 255 fall
        # below float16's normal range)
        self.input_scale = 1.0 if dtype == torch.float32 else 1.0 / 255.0
        with torch.no_grad():
            self.head.weight.copy_(student.head.weight[:, head_flip] / 255.0 / self.input_scale)
            self.head.bias.copy_(student.head.bias)
            self.tail.weight.copy_(student.tail.weight[flip] * 255.0)  # 8-bit levels out
            self.tail.bias.copy_(student.tail.bias[flip] * 255.0)
        self.body = student.body
        self.gate = getattr(student, "gate", None)  # a gated recurrent student's blend weights (student order)
        self.to(dtype)
        self.register_buffer("luma_bgr", torch.tensor(LUMA[::-1], dtype=dtype), persistent=False)

    def forward(self, frame_bgr: torch.Tensor, state: torch.Tensor,
                strength: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        height, width, s = frame_bgr.shape[0], frame_bgr.shape[1], self.scale
        x = frame_bgr.to(self.dtype)  # H x W x 3 BGR, 8-bit levels; cast first (TensorRT's UINT8 rule)
        h, w = height // s, width // s
        # pixel unshuffle as a swap of (dy) and (w) that moves whole runs of s*3 values; the last permute to
        # NCHW is what a CPU convolution reads as channels-last for free
        if self.recurrent:  # the head reads the frame, the previous output (or the frame, after a reset), |change|
            previous = state.reshape(height, width, 3) * 255.0
            previous = torch.where(previous < 0, x, previous)
            unshuffled = torch.cat([f.reshape(h, s, w, s * 3).permute(0, 2, 1, 3).reshape(1, h, w, 3 * s * s)
                                    for f in (x, previous, (x - previous).abs())], 3).permute(0, 3, 1, 2)
        else:
            unshuffled = x.reshape(h, s, w, s * 3).permute(0, 2, 1, 3).reshape(1, h, w, 3 * s * s).permute(0, 3, 1, 2)
        if self.input_scale != 1.0:
            unshuffled = unshuffled * self.input_scale
        features = self.body(self.head(unshuffled))
        z = self.tail(features).permute(0, 2, 3, 1)  # 1 x h x w x (s*s*3)
        correction = z.reshape(h, w, s, s * 3).permute(0, 2, 1, 3).reshape(height, width, 3)
        y = x + correction
        if self.gate is not None:  # the learned blend with the previous output (none where the state is a reset)
            blend = self.gate(features).permute(0, 2, 3, 1).reshape(h, w, s, s).permute(0, 2, 1, 3)
            blend = blend.reshape(height, width, 1)
            fresh = state.reshape(height, width, 3)[:, :, :1] < 0
            blend = torch.where(fresh, torch.zeros_like(blend), blend.clamp(0.0, 1.0))
            y = y + blend * (previous - y)
        y = y.clamp(0.0, 255.0)  # the student's output, in levels
        # the temporal filter (train/temporal.py) in levels, on H x W x 3 BGR tensors
        # (a recurrent student without the gate skips it; the others keep it even at hold 0, which keeps their
        # state an input of the graph: exporters drop unused inputs)
        out = y if self.recurrent and self.temporal.cfg.hold <= 0 else temporal_blend(
            y, state.reshape(height, width, 3) * 255.0, self.temporal.cfg, self.luma_bgr, _box3_mean, channel_dim=2,
            keepdim=False, levels=1.0)
        shown = x + strength.to(self.dtype).clamp(0.0, 1.0) * (out - x)
        return (shown + 0.5).clamp(0.0, 255.0).to(torch.uint8), (out * (1.0 / 255.0)).reshape(1, 3, height, width)


def _box3_mean(a: torch.Tensor) -> torch.Tensor:
    """3x3 mean of an H x W map over the neighbours inside it (avg_pool2d's count_include_pad=False), as
    shifted adds: CPU plugins run a 1-channel avg_pool padded out to 16 channels."""
    p = torch.nn.functional.pad(a.unsqueeze(0), (1, 1, 1, 1))[0]
    rows = p[:, :-2] + p[:, 1:-1] + p[:, 2:]
    total = rows[:-2] + rows[1:-1] + rows[2:]
    ones_h, ones_w = torch.ones_like(a[:, :1]), torch.ones_like(a[:1, :])  # H x 1, 1 x W
    count_h = torch.nn.functional.pad(ones_h.T.unsqueeze(0), (1, 1))[0].T
    count_w = torch.nn.functional.pad(ones_w.unsqueeze(0), (1, 1))[0]
    count_h = count_h[:-2] + count_h[1:-1] + count_h[2:]
    count_w = count_w[:, :-2] + count_w[:, 1:-1] + count_w[:, 2:]
    return total / (count_h * count_w)


def lean_graph_fits(student: nn.Module) -> bool:
    return isinstance(student, FastStudent) and not student.luma


def state_as_rgb(state: torch.Tensor, lean: bool) -> torch.Tensor:
    """A frame graph's state in FrameGraph's layout (1 x 3 x H x W RGB): LeanFrameGraph keeps H x W x 3 BGR."""
    if not lean:
        return state
    height, width = state.shape[2:]
    return state.reshape(height, width, 3).flip(2).permute(2, 0, 1).unsqueeze(0)


def frame_graph(student: nn.Module, dtype: torch.dtype = torch.float32,
                temporal: TemporalConfig | None = None, lean: bool = True) -> nn.Module:
    """The frame graph to export for this student: the lean layout where it applies (and `lean`)."""
    return (LeanFrameGraph if lean and lean_graph_fits(student) else FrameGraph)(student, dtype, temporal)


def graph_inputs(example: torch.Tensor, dtype: torch.dtype = torch.float32) -> tuple:
    """(picture, reset state, strength 1) for an H x W x 3 frame or N x 3 x H x W image tensor: what a
    graph's first call receives."""
    return example, reset_state(state_shape(tuple(example.shape)), dtype), torch.ones(1)
