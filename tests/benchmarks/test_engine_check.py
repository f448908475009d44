"""`make gpu-check`'s engine steps, run on the CPU with the session's CPU packages: the script a lent GPU
runs for 15 minutes must not fail on its own plumbing (the CUDA-only parts, building and the engine forms,
run there)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.gpu import engine_check
from runtime.artifacts import sidecar_path

pytestmark = pytest.mark.slow


def _place(engine: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(engine, target)
    shutil.copy(sidecar_path(engine), sidecar_path(target))


def test_pipeline_step_runs_cam_on_the_engine_from_an_uncompressed_clip(aot_engine, tmp_path):
    result = engine_check.pipeline({"tiny": aot_engine}, tmp_path, free_frames=30, paced_frames=15)
    assert result["ok"], result
    row = result["rows"][0]
    assert row["free"]["frames"] == 30 and row["paced"]["frames"] == 15
    assert row["free"]["backend"].startswith("PyTorch AOT engine")
    assert {"upload", "infer", "download", "end_to_end"} <= set(row["free"]["stages"])
    assert row["overlap"]["pairs"] == 22 and row["overlap"]["cuda_graphs"] == "off"
    # the clip is at the engine's size: decoded into lent pinned frames, output read from them, no host copy
    assert row["free"]["pinned_frames"]["inputs"]["misses"] == row["free"]["pinned_frames"]["outputs"]["misses"] == 0
    table = "\n".join(engine_check.markdown({"pipeline": result}))
    assert "| tiny |" in table and "inputs lent (0 misses), outputs lent (0 misses)" in table


def test_streams_step_finds_a_count_for_both_modes(aot_engine, aot_batched_engine, tmp_path):
    folder = tmp_path / "engines"
    _place(aot_engine, engine_check.engine_path(folder, "480p"))
    _place(aot_batched_engine, engine_check.engine_path(folder, "480p", batched=True))
    result = engine_check.streams(folder, tmp_path, seconds=0.3, resolutions=("480p",), max_streams=2)
    assert result["ok"], result
    found = result["rows"]["480p"]["max_streams"]
    assert set(found) == {"concurrent", "batched"} and all(0 <= n <= 2 for n in found.values())
    assert "Streams at 480p" in "\n".join(engine_check.markdown({"streams": result}))
