"""The temporal blend is written once (train.temporal.temporal_blend): every layout runs it, and the shipped
graphs it is traced into are still exported byte for byte."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import export.graphs as graphs
import train.temporal as temporal
from export.graphs import FloatGraph, FrameGraph, LeanFrameGraph, graph_inputs
from export.onnx_export import export_float, export_frame
from train.checkpoint import student_from_checkpoint
from train.student import LUMA, FastStudent
from train.temporal import TemporalConfig, TemporalFilter, temporal_blend

CFG = TemporalConfig(hold=0.6, low=2.0, high=5.0)


def _box3(a: torch.Tensor) -> torch.Tensor:  # H x W
    return F.avg_pool2d(a[None, None], 3, stride=1, padding=1, count_include_pad=False)[0, 0]


def test_the_blend_gives_the_same_frame_in_both_layouts():
    torch.manual_seed(0)
    current = torch.rand(1, 3, 24, 32, dtype=torch.float64)
    previous = current + 0.004  # one level of change: still
    previous[..., 16:] = 1 - current[..., 16:]  # the right half moved
    nchw = TemporalFilter(CFG).double()(current, previous)
    to_levels = lambda t: t[0].permute(1, 2, 0).flip(2) * 255  # noqa: E731  - H x W x 3 BGR, 8-bit levels
    hwc = temporal_blend(to_levels(current), to_levels(previous), CFG, torch.tensor(LUMA[::-1], dtype=torch.float64),
                         _box3, channel_dim=2, keepdim=False, levels=1.0)
    assert torch.allclose(hwc, to_levels(nchw), atol=1e-9)
    assert torch.allclose(nchw[..., :8], current[..., :8] + 0.6 * 0.004), "still pixels keep `hold` of the last"
    assert torch.equal(nchw[..., 20:], current[..., 20:]), "moved pixels take the new frame"


def test_every_graph_runs_the_one_blend(monkeypatch):
    calls: list[int] = []

    def counted(*args, **kwargs):
        calls.append(kwargs["channel_dim"])
        return temporal_blend(*args, **kwargs)

    monkeypatch.setattr(temporal, "temporal_blend", counted)
    monkeypatch.setattr(graphs, "temporal_blend", counted)
    student = FastStudent(channels=8, blocks=1, scale=2).eval()
    frame = torch.randint(0, 256, (16, 16, 3), dtype=torch.uint8)
    with torch.no_grad():
        FloatGraph(student)(*graph_inputs(frame.permute(2, 0, 1)[None].float() / 255))
        FrameGraph(student)(*graph_inputs(frame))
        LeanFrameGraph(student)(*graph_inputs(frame))
    assert calls == [1, 1, 2]


@pytest.mark.parametrize("name", ["webcam.onnx", "webcam_480p.onnx", "webcam_480p_fp16.onnx", "seed_480p.onnx"])
def test_exporting_the_shipped_checkpoints_gives_the_shipped_graphs_byte_for_byte(name, tmp_path):
    """The graphs' math, blend included, is unchanged: a fresh export equals the committed file."""
    student, _ = student_from_checkpoint(Path("engines") / f"{name.split('_')[0].split('.')[0]}.pt")
    out = tmp_path / name
    if name.endswith("p.onnx") or name.endswith("_fp16.onnx"):
        export_frame(student, out, (640, 480), fp16=name.endswith("_fp16.onnx"))
    else:
        export_float(student, out)
    assert out.read_bytes() == (Path("engines") / name).read_bytes()
