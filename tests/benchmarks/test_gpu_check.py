"""`make gpu-check`'s CPU-side logic: the overlap read from CUDA event times, result folder names, argument
checks, and the clean skip on a machine without CUDA (the GPU steps themselves run only there)."""
from __future__ import annotations

import pytest

from benchmarks.gpu.gpu_check import cuda_problem, folder_name, main, overlap


def _frames(step: float, upload: float, compute: float, download: float, n: int = 4) -> list[dict]:
    """Event times of n frames issued every `step` ms, each: upload, then compute, then download."""
    out = []
    for i in range(n):
        t = i * step
        out.append({"start": t, "uploaded": t + upload, "computing": t + upload, "inferred": t + upload + compute,
                    "downloading": t + upload + compute, "done": t + upload + compute + download})
    return out


def test_overlap_is_seen_when_the_next_upload_runs_during_this_compute():
    # frames issued every 2 ms, each 1 + 2 + 1 ms: frame N+1 uploads while N computes
    result = overlap(_frames(step=2, upload=1, compute=2, download=1))
    assert result["pairs"] == 3 and result["upload_during_compute"] == 3 and result["download_during_compute"] == 3
    assert result["serial_ms"] == 16 and result["span_ms"] == 10 and result["speedup"] == 1.6


def test_no_overlap_when_frames_run_one_after_another():
    result = overlap(_frames(step=4, upload=1, compute=2, download=1))
    assert result["upload_during_compute"] == result["download_during_compute"] == 0
    assert result["speedup"] == 1.0


def test_result_folder_is_one_safe_path_component():
    assert folder_name("NVIDIA H100 80GB HBM3") == "NVIDIA-H100-80GB-HBM3"
    assert "/" not in folder_name("a/b") and folder_name("") == "unknown-gpu"


def test_bad_steps_are_refused_at_parse_time(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--steps", "tests,benchmark-everything"])
    assert stop.value.code == 2 and "choose from tests, double_buffer" in capsys.readouterr().err


@pytest.mark.skipif(cuda_problem() is None, reason="a CUDA GPU is here: gpu-check would run")
def test_without_cuda_it_skips_cleanly_and_writes_nothing(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    assert "gpu-check skipped:" in capsys.readouterr().err and not any(tmp_path.iterdir())
