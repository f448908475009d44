"""benchmarks/speed/soak.py: its parsing of runtime.cam's status line, /proc sampling, the leak measure, and a
few seconds of a real soak run (the 30-minute run is a documented command, not a test)."""
from __future__ import annotations

import json
import os
import sys

import pytest

from benchmarks.speed.soak import Sample, main, parse_status, proc_memory, rss_growth_mb
from runtime.stats import LatencyStats


def test_parses_the_status_line_runtime_stats_writes():
    stats = LatencyStats()
    for ms in (10, 20, 30):
        stats.add("infer", ms / 1000)
        stats.frame_done(ms / 1000)
    stats.error()
    summary, numbers = stats.summary(), parse_status("  " + stats.line())
    e2e = summary["stages"]["end_to_end"]
    assert numbers.pop("fps") == pytest.approx(summary["fps"], abs=0.05)  # the line shows one decimal
    assert numbers == {"frames": 3, "dropped": 0, "errors": 1,
                       "e2e_p50_ms": e2e["p50_ms"], "e2e_p95_ms": e2e["p95_ms"]}
    assert parse_status("source: builtin 640x480 @ 30 fps; backend: ...") is None


def test_rss_growth_compares_the_last_quarter_with_the_first():
    flat = [Sample(i, 500.0 if i == 0 else 100.0, 9) for i in range(13)]  # start-up spike ignored
    leaking = [Sample(i, 100.0 + 10 * i, 9) for i in range(13)]
    assert rss_growth_mb(flat) == 0.0
    assert rss_growth_mb(leaking) == pytest.approx(10 * (11 - 2), abs=10)
    assert rss_growth_mb(leaking[:3]) is None  # too few samples to say


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_proc_memory_reads_this_process():
    rss, threads = proc_memory(os.getpid())
    assert rss > 10 and threads >= 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_a_short_soak_samples_the_child_and_stops_it_cleanly(tmp_path):
    result = main(["--minutes", "0.08", "--interval", "1", "--out", str(tmp_path), "--",
                   "--source", "builtin", "--loop", "--pace", "--sink", "null", "--student", "fast"])
    assert result["exit_status"] == 0, result["child_stderr_tail"]
    assert len(result["samples"]) >= 3 and all(s["rss_mb"] > 10 and s["threads"] > 1 for s in result["samples"])
    assert result["final"]["frames"] > 0 and result["final"]["stopped"] == "SIGTERM"
    assert json.loads((tmp_path / "soak.json").read_text())["samples"] == result["samples"]
    assert (tmp_path / "soak.png").stat().st_size > 0
