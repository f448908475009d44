"""The family's cost benchmark: real backends, interleaved rounds, ratios to the first student."""
from __future__ import annotations

import json

import pytest

from benchmarks.speed import family_cost
from runtime.artifacts import RESOLUTIONS, graph_path
from runtime.backends.factory import cpu_graph_name


def test_it_times_each_student_and_reports_ratios_to_the_first(tmp_path):
    out = tmp_path / "cost"
    family_cost.main(["--students", "webcam,fast", "--backends", "onnxruntime", "--threads", "1",
                      "--sizes", "480p", "--rounds", "2", "--frames", "1", "--out", str(out)])
    data = json.loads(out.with_suffix(".json").read_text())
    rows = {r["student"]: r for r in data["results"]}
    assert set(rows) == {"webcam", "fast"}
    assert rows["webcam"]["ratio"] == 1.0
    assert all(len(r["rounds_ms"]) == 2 and r["median_ms"] > 0 for r in rows.values())
    assert "| fast | onnxruntime | 1 | 480p |" in out.with_suffix(".md").read_text()


def test_a_missing_student_says_how_to_export_it(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        family_cost.main(["--students", "nosuch", "--folder", str(tmp_path), "--out", str(tmp_path / "x")])
    assert exit_.value.code == 2
    assert "python -m export --students nosuch" in capsys.readouterr().err


@pytest.mark.parametrize("backend", family_cost.BACKENDS)
@pytest.mark.parametrize("resolution", list(RESOLUTIONS))
def test_it_times_the_graph_the_runtime_opens_for_the_backend_and_size(tmp_path, backend, resolution):
    """Every graph of every size is there: the one timed is the factory's choice, not a rule of its own."""
    for size in [None, *RESOLUTIONS]:
        graph_path("webcam", size, folder=tmp_path).touch()
    chosen = family_cost.graph_for("webcam", family_cost.Config("webcam", backend, 1, resolution), tmp_path)
    assert chosen == tmp_path / cpu_graph_name("webcam", backend, resolution)
