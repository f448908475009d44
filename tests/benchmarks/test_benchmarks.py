"""The benchmark measures real runs and counts multiply-adds from the graph."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.speed.flops import conv_macs
from benchmarks.speed.fps import main
from export.onnx_export import export_float
from benchmarks.quality.frontier import Variant, main as frontier_main
from benchmarks.quality.frontier_report import meets_speed, merge, pareto
from runtime.errors import SharpcamError
from runtime.artifacts import graph_path
from train.checkpoint import FORMAT, save_atomic
from train.student import FastStudent, SeedStudent


def test_conv_macs_match_the_seed_students_arithmetic(tmp_path):
    path = export_float(SeedStudent(), tmp_path / "seed.onnx")
    per_pixel = 3 * 32 * 9 + 32 * 64 * 9 + 8 * 64 * 64 * 9 + 64 * 32 * 9 + 32 * 3 * 9  # weights, not biases
    assert per_pixel == 333_504
    assert conv_macs(path, 640, 480) == 640 * 480 * per_pixel  # ~102 GMAC per 480p frame


def test_quick_benchmark_writes_a_report(tmp_path):
    report = main(["--quick", "--out", str(tmp_path), "--json", str(tmp_path / "raw.json")])
    (result,) = report["results"]
    assert "error" not in result, result
    assert result["backend"] == "ort-cpu" and result["resolution"] == "480p" and result["student"] == "webcam"
    assert result["model_only"]["fps"] > 0 and result["end_to_end"]["frames"] == 3
    assert result["end_to_end"]["stages"]["infer"]["n"] == 3
    assert result["peak_rss_mb"] > 0
    # CPU: measured per frame, and the paced run held the camera's rate while using some share of the machine
    assert result["model_only"]["cpu_ms"] > 0 and result["end_to_end"]["cpu"]["ms_per_frame"] > 0
    assert result["paced"]["frames"] + result["paced"]["dropped"] == 30 and 0 < result["paced"]["cpu"]["cores"] <= 2.5
    assert result["gmac_per_frame"] == pytest.approx(conv_macs(graph_path("webcam"), 640, 480) / 1e9, abs=0.01)
    for name in ("fps.md", "fps.json", "fps.png", "raw.json"):
        assert (tmp_path / name).stat().st_size > 0
    text = (tmp_path / "fps.md").read_text()
    assert "quoted" in text and "31.4" in text and "cores at 30 FPS" in text
    assert json.loads((tmp_path / "raw.json").read_text())["results"][0]["backend"] == "ort-cpu"


def _checkpoint(path: Path, model, name: str, args: dict) -> Path:
    save_atomic({"format": FORMAT, "model": {"name": name, "args": args}, "state_dict": model.state_dict(),
                 "epoch": 3, "best_val_ssim": 0.0, "config": {}}, path)
    return path


def test_frontier_variant_specs_are_checked(tmp_path):
    ckpt = _checkpoint(tmp_path / "a.pt", SeedStudent(blocks=1), "seed", {"blocks": 1})
    assert Variant.parse(f"a={ckpt}:int8").int8 and not Variant.parse(f"a={ckpt}").int8
    for bad, message in ((str(ckpt), "LABEL=CHECKPOINT"), (f"a={ckpt}:fp8", "unknown option"),
                         (f"a={tmp_path / 'missing.pt'}", "not found")):
        with pytest.raises(SharpcamError, match=message):
            Variant.parse(bad)


@pytest.mark.slow  # exports and times three variants (~45 s here)
def test_frontier_measures_every_variant_and_plots(mini_corpus, tmp_path):
    """Two real students (one INT8) through export, test-split SSIM and timed runs: a real, small frontier."""
    fast = _checkpoint(tmp_path / "fast.pt", FastStudent(channels=16, blocks=1, luma=True, rep=True), "fast",
                       {"channels": 16, "blocks": 1, "luma": True, "rep": True})
    seed = _checkpoint(tmp_path / "seed.pt", SeedStudent(residual=True, blocks=1), "seed", {"residual": True, "blocks": 1})
    out = tmp_path / "results"
    rows = frontier_main(["--variant", f"seed={seed}", "--variant", f"tiny-int8={fast}:int8", "--corpus",
                          str(mini_corpus), "--rounds", "1", "--repeats", "3", "--e2e-seconds", "0.3",
                          "--work", str(tmp_path / "work"), "--out", str(out)])
    assert [r["label"] for r in rows] == ["seed", "tiny-int8"]
    for r in rows:
        assert 0 < r["test_ssim"]["all"] <= 1 and r["epochs"] == 3
        for res in ("480p", "720p"):
            assert r["speed"][res]["model_only_fps"] > 0 and r["speed"][res]["end_to_end_fps"] > 0
    assert rows[1]["gmac_480p"] < rows[0]["gmac_480p"] / 10  # the point of the fast student
    table = (out / "frontier.md").read_text()
    assert "tiny-int8" in table and "INT8" in table and (out / "frontier.png").stat().st_size > 0
    saved = json.loads((out / "frontier.json").read_text())["variants"]
    assert [r["label"] for r in saved] == ["seed", "tiny-int8"]


def test_frontier_keeps_earlier_variants_only_when_asked(tmp_path):
    old = tmp_path / "frontier.json"
    old.write_text(json.dumps({"variants": [{"label": "a", "v": 1}, {"label": "b", "v": 1}]}))
    new = [{"label": "b", "v": 2}]
    assert merge(new, old, keep=True) == [{"label": "b", "v": 2}, {"label": "a", "v": 1}]
    assert merge(new, old, keep=False) == new
    fast = {"speed": {"480p": {"end_to_end_fps": 31.0}, "720p": {"end_to_end_fps": 14.9}}}
    assert not meets_speed(fast)
    fast["speed"]["720p"]["end_to_end_fps"] = 15.0
    assert meets_speed(fast)


def test_frontier_is_the_set_nothing_beats_on_both_axes():
    row = lambda label, fps, ssim: {"label": label, "test_ssim": {"all": ssim},  # noqa: E731
                                    "speed": {"480p": {"end_to_end_fps": fps}}}
    a, b, c = row("a", 10, 0.90), row("b", 20, 0.80), row("c", 5, 0.85)  # c: slower and worse than a
    assert pareto([c, b, a]) == [a, b]


def test_torch_reference_backend_carries_the_graph_state():
    """The PyTorch reference runs the same graph as the export, state and strength included."""
    import numpy as np
    from benchmarks.speed.worker import open_backend as worker_backend
    backend = worker_backend("torch-cpu", "480p", "webcam")
    frame = np.full((48, 64, 3), 128, np.uint8)
    first, _ = backend.collect(backend.submit(frame))
    again, _ = backend.collect(backend.submit(frame))
    assert first.shape == frame.shape and first.dtype == np.uint8 and backend._state is not None
    backend.reset()
    assert np.array_equal(backend.collect(backend.submit(frame))[0], first)


def test_openvino_is_measured_beside_onnx_runtime(tmp_path):
    pytest.importorskip("openvino", reason="OpenVINO is not installed (pip install 'sharpcam[openvino]')")
    report = main(["--backends", "ov-cpu", "--resolutions", "480p", "--students", "webcam", "--repeats", "2",
                   "--frames", "3", "--paced-frames", "30", "--out", str(tmp_path)])
    (result,) = report["results"]
    assert "error" not in result, result
    assert result["name"].startswith("openvino-cpu") and result["end_to_end"]["frames"] == 3
    assert "ov-cpu" in (tmp_path / "fps.md").read_text()
