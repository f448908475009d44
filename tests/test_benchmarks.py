"""The benchmark measures real runs and counts multiply-adds from the graph."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.flops import conv_macs
from benchmarks.fps import main
from export.onnx_export import export_float
from train.student import SeedStudent


def test_conv_macs_match_the_seed_students_arithmetic(tmp_path):
    path = export_float(SeedStudent(), tmp_path / "seed.onnx")
    per_pixel = 3 * 32 * 9 + 32 * 64 * 9 + 8 * 64 * 64 * 9 + 64 * 32 * 9 + 32 * 3 * 9  # weights, not biases
    assert per_pixel == 333_504
    assert conv_macs(path, 640, 480) == 640 * 480 * per_pixel  # ~102 GMAC per 480p frame


def test_quick_benchmark_writes_a_report(tmp_path):
    report = main(["--quick", "--out", str(tmp_path), "--json", str(tmp_path / "raw.json")])
    (result,) = report["results"]
    assert "error" not in result, result
    assert result["backend"] == "ort-cpu" and result["resolution"] == "480p"
    assert result["model_only"]["fps"] > 0 and result["end_to_end"]["frames"] == 3
    assert result["end_to_end"]["stages"]["infer"]["n"] == 3
    assert result["peak_rss_mb"] > 0 and result["gmac_per_frame"] == pytest.approx(102.45, abs=0.01)
    for name in ("fps.md", "fps.json", "fps.png", "raw.json"):
        assert (tmp_path / name).stat().st_size > 0
    text = (tmp_path / "fps.md").read_text()
    assert "quoted" in text and "31.4" in text and "cores" in text
    assert json.loads((tmp_path / "raw.json").read_text())["results"][0]["backend"] == "ort-cpu"
