"""`sharpcam cam --student auto` (the default) end to end: the built-in clip, stand-in graphs for two of the
family's students in a SHARPCAM_ENGINES folder of their own (the shipped webcam graphs under both names)."""
from __future__ import annotations

import json

import pytest

import runtime.artifacts as artifacts
from runtime.artifacts import FAMILY, graph_name
from runtime.cam import cli, parse_args

S = FAMILY[0]  # the family's smallest (the recurrent student)


@pytest.fixture
def two_students(tmp_path, monkeypatch):
    """The smallest student and medium found, large not: only this folder is searched."""
    named = tmp_path / "engines"
    named.mkdir()
    for student in (S, "medium"):
        for res in (None, "480p"):
            (named / graph_name(student, res)).symlink_to(artifacts.CHECKOUT_ENGINES / graph_name("webcam", res))
    monkeypatch.setenv(artifacts.ENV_FOLDER, str(named))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(artifacts, "in_checkout", lambda: False)
    monkeypatch.setattr(artifacts, "PACKAGED", tmp_path / "no-package")
    return named


def test_auto_is_the_default_and_its_choice_is_printed_and_in_stats(two_students, tmp_path, capsys):
    stats = tmp_path / "stats.json"
    cli(parse_args(["--source", "builtin", "--sink", "null", "--frames", "3", "--stats", str(stats)]))
    student = json.loads(stats.read_text())["student"]
    assert set(student) == {"chosen", "reason", "budget_ms", "candidates_ms", "skipped", "running"}
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("student: ")]
    assert lines == [f"student: {student['reason']}"]
    assert student["budget_ms"] == pytest.approx(1000 / 30, abs=0.01)  # the built-in clip's 30 FPS
    assert student["skipped"]["large"] == "no graphs" and "large (no graphs)" in student["reason"]
    # the rule, on what this machine measured: the largest within 60% of the budget, else the smallest
    timed = student["candidates_ms"]
    assert S in timed and set(timed) | set(student["skipped"]) == set(FAMILY)
    fits = [name for name in FAMILY if name in timed and timed[name] <= 0.6 * student["budget_ms"]]
    assert student["chosen"] == (fits[-1] if fits else S)
    assert student["running"] in (S, "medium")


def test_a_pinned_student_is_not_probed(two_students, tmp_path, capsys):
    stats = tmp_path / "stats.json"
    cli(parse_args(["--student", "medium", "--source", "builtin", "--sink", "null", "--frames", "2",
                    "--stats", str(stats)]))
    summary = json.loads(stats.read_text())
    assert "student" not in summary and "medium_480p.onnx" in summary["backend"]
    assert "student: " not in capsys.readouterr().err
