"""The CPU-cost benchmarks run for real on a small scale and write what they promise."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("openvino", reason="OpenVINO is not installed (pip install 'sharpcam[openvino]')")

from benchmarks.quality import cpu_quality  # noqa: E402
from benchmarks.speed import cam_speed, stage_cpu  # noqa: E402


def test_cam_speed_measures_each_variant_and_mode(tmp_path):
    out = tmp_path / "speed"
    cam_speed.main(["--sizes", "480p", "--modes", "free,busy", "--rounds", "1", "--frames", "30",
                    "--free-frames", "30", "--variant", "ov=--backend openvino --threads 1",
                    "--variant", "ort=--backend onnxruntime", "--out", str(out)])
    rows = json.loads(out.with_suffix(".json").read_text())["rows"]
    assert {(r["mode"], r["variant"]) for r in rows} == {("free", "ov"), ("free", "ort"), ("busy", "ov"), ("busy", "ort")}
    for r in rows:
        assert r["frames"] + r["dropped"] == 30 and r["cpu_ms_per_frame"] > 0 and r["cores"] > 0
    for r in rows:  # each variant ran on the engine it asked for
        assert r["backend"].startswith("openvino-cpu" if r["variant"] == "ov" else "onnxruntime-cpu")
    assert out.with_suffix(".png").stat().st_size > 0 and "| 480p | busy | ov |" in out.with_suffix(".md").read_text()


def test_cam_speed_refuses_unknown_sizes_and_modes():
    for bad in (["--sizes", "4k"], ["--modes", "slow"], ["--variant", "no-equals-sign"]):
        with pytest.raises(SystemExit):
            cam_speed.parse_args(bad)


def test_stage_cpu_times_every_step(tmp_path):
    out = tmp_path / "stages"
    stage_cpu.main(["--sizes", "480p", "--repeats", "1", "--rounds", "1", "--threads", "1", "--out", str(out)])
    ms = json.loads(out.with_suffix(".json").read_text())["ms"]["480p"]
    assert {"capture: MJPG decode", "model: onnxruntime", "model + policy scale50: openvino"} <= set(ms)
    assert all(v > 0 for v in ms.values())


def test_cpu_quality_scores_every_engine_and_policy(mini_corpus, tmp_path):
    out = tmp_path / "quality"
    cpu_quality.main(["--corpus", str(mini_corpus), "--limit", "1", "--threads", "1", "--out", str(out)])
    summary = json.loads(out.with_suffix(".json").read_text())["summary"]
    methods = set(summary["office"])
    assert {"input", "onnxruntime", "openvino f32", "openvino bf16"} <= methods
    assert any("scale50" in m for m in methods)
    office = summary["office"]
    assert abs(office["openvino f32"]["all"]["ssim"] - office["onnxruntime"]["all"]["ssim"]) < 1e-3
