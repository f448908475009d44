"""MOS scoring against numbers worked out by hand, and the written report (Markdown, JSON, PNG)."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from test_mos_study import fake_study

from benchmarks.mos.__main__ import main
from benchmarks.mos.answers import AnswerLog, validate
from benchmarks.mos.report import write_report
from benchmarks.mos.stats import mos, preference, t_interval
from benchmarks.mos.study import load_study
from runtime.errors import SharpcamError

CRITERIA = ["sharpness", "edges", "text", "natural"]
ROOT = Path(__file__).resolve().parents[2]


def rec(rater: str, a: dict, b: dict | None = None, preferred: str | None = None, category: str = "text") -> dict:
    scores = {"A": a} | ({"B": b} if b else {})
    return {"rater": rater, "pair": "p", "category": category, "left": "A", "right": "B", "scores": scores,
            "preferred": preferred}


def test_t_interval_matches_the_textbook_numbers():
    mean, low, high = t_interval([4.0, 3.0, 5.0])  # sd 1, n 3, t(0.975, 2) = 4.302653
    assert mean == 4.0 and high - mean == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert low == pytest.approx(2 * mean - high)
    assert math.isnan(t_interval([4.0])[1]) and t_interval([4.0])[0] == 4.0
    assert all(math.isnan(x) for x in t_interval([]))


def test_mos_averages_raters_first_so_a_busy_rater_does_not_dominate():
    records = [rec("r1", {"sharpness": 5, "edges": 5}), rec("r1", {"sharpness": 5, "edges": 5}),
               rec("r1", {"sharpness": 5, "edges": 5}), rec("r2", {"sharpness": 1, "edges": 3})]
    est = mos(records, "A", ["sharpness"])
    assert est.mean == 3.0  # (5 + 1) / 2, not (5 + 5 + 5 + 1) / 4
    assert est.raters == 2 and est.ratings == 4
    both = mos(records, "A", ["sharpness", "edges"])
    assert both.mean == (5 + 2) / 2  # r2's mean over the two criteria is 2
    assert both.high - both.mean == pytest.approx(12.706205 * math.sqrt(4.5) / math.sqrt(2), rel=1e-6)
    assert mos(records, "A", ["sharpness"], category="nature").raters == 0


def test_preference_rate_and_sign_tests():
    records = ([rec("r1", {}, {}, "A")] * 5 + [rec("r2", {}, {}, "A")] * 3 + [rec("r2", {}, {}, "B")] * 2
               + [rec("r3", {}, {}, None)] * 3)
    p = preference(records, "A", "B")
    assert (p.wins_a, p.wins_b, p.ties) == (8, 2, 3) and p.rate_a == 0.8
    assert p.p == pytest.approx(0.109375)  # 2 * P(X >= 8), X ~ Bin(10, 0.5) = 2 * 56 / 1024
    assert p.low < 0.8 < p.high and 0.4 < p.low < 0.5  # Wilson: [0.490, 0.943]
    assert (p.raters_a, p.raters_b) == (2, 0) and p.p_raters == pytest.approx(0.5)
    flipped = preference(records, "B", "A")
    assert flipped.rate_a == pytest.approx(0.2) and flipped.p == p.p
    assert math.isnan(preference(records, "A", "C").rate_a)


def _rate(study, rater: str, left_score, right_score, prefer: str) -> None:
    """Rate every pair of the study as `rater` would through the page."""
    log = AnswerLog(study)
    for pid, _ in study.order(rater):
        body = {"rater": rater, "pair": pid, "preference": prefer,
                "left": dict.fromkeys(study.criteria, left_score(pid)),
                "right": dict.fromkeys(study.criteria, right_score(pid))}
        log.append(validate(study, body))


def test_report_tables_json_and_chart(tmp_path):
    study = load_study(fake_study(tmp_path, n_images=4, raters=3))
    # r01 always gives "student" 5 and "blurred" 2; r02 gives student 4 and blurred 3; r03 rates nothing
    for rater, good, bad in (("r01", 5, 2), ("r02", 4, 3)):
        _rate(study, rater, lambda pid, r=rater, g=good, b=bad: g if study.sides(r, pid)[0] == "student" else b,
              lambda pid, r=rater, g=good, b=bad: g if study.sides(r, pid)[1] == "student" else b, "none")
    s, prefix = write_report(tmp_path)
    assert prefix == tmp_path / "report" and s["raters"] == 2 and s["answers"] == 8 and s["complete_raters"] == 2
    student = s["mos"]["student"]["average"]
    assert student["mean"] == 4.5 and student["high"] - 4.5 == pytest.approx(12.706205 * math.sqrt(0.5) / math.sqrt(2))
    assert s["mos"]["blurred"]["sharpness"]["mean"] == 2.5
    assert s["mos_by_category"]["student"]["text"]["mean"] == 4.5
    assert s["categories"] == ["text", "nature", "people", "animals"]  # the corpus's order
    text = (tmp_path / "report.md").read_text()
    assert "2 rater(s) of 3 planned (2 rated all 4 pairs), 8 answer(s)" in text
    assert "| **Average** | 2.50 [" in text and "| 4.50 [-1.85, 10.85] |" in text
    assert "| blurred vs student | all | 0 : 0 : 8 | - |" in text  # all ties: no rate, no test
    json.loads((tmp_path / "report.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    with Image.open(tmp_path / "report.png") as png:
        assert png.format == "PNG" and png.size[0] > 800


def test_one_rater_has_no_ci_and_the_last_answer_wins(tmp_path, capsys):
    study = load_study(fake_study(tmp_path, n_images=2, raters=1))
    _rate(study, "r01", lambda pid: 3, lambda pid: 1, "left")
    (first, _), (second, _) = study.order("r01")
    AnswerLog(study).append(validate(study, {"rater": "r01", "pair": first, "preference": "right",
                                             "left": dict.fromkeys(CRITERIA, 1), "right": dict.fromkeys(CRITERIA, 5)}))
    main(["report", str(tmp_path), "--out", str(tmp_path / "out" / "r")])
    assert "2 answers from 1 rater(s)" in capsys.readouterr().out
    text = (tmp_path / "out" / "r.md").read_text()
    assert "1 earlier answer(s) replaced" in text
    # what counts: `first` rated left 1 / right 5, right preferred; `second` left 3 / right 1, left preferred
    got = {v: [] for v in study.versions}
    (l1, r1), (l2, r2) = study.sides("r01", first), study.sides("r01", second)
    for version, score in ((l1, 1), (r1, 5), (l2, 3), (r2, 1)):
        got[version].append(score)
    average = next(line for line in text.splitlines() if line.startswith("| **Average**"))
    assert average == "| **Average** | " + " | ".join(
        f"{sum(got[v]) / 2:.2f} (1 rater, no CI)" for v in study.versions) + " |"
    wins = [(r1, l2).count(v) for v in study.versions]
    assert f"| blurred vs student | all | {wins[0]} : {wins[1]} : 0 |" in text


def test_report_without_answers_says_to_rate_first(tmp_path):
    fake_study(tmp_path)
    with pytest.raises(SharpcamError, match="no answers yet"):
        write_report(tmp_path)


def test_cli_help_for_each_command():
    for cmd in ("prepare", "serve", "report"):
        out = subprocess.run([sys.executable, "-m", "benchmarks.mos", cmd, "--help"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        assert "usage: sharpcam mos " + cmd in out


def test_serve_and_report_never_import_torch():
    code = ("import sys, benchmarks.mos.__main__, benchmarks.mos.server, benchmarks.mos.report, "
            "benchmarks.mos.prepare; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_not_applicable_is_accepted_only_where_allowed_and_left_out_of_the_mos(tmp_path):
    """Text readability may be N/A (a picture without text): stored as null, not averaged; other criteria
    and other values stay refused."""
    study = load_study(fake_study(tmp_path, n_images=2, raters=1))
    (first, _), _ = study.order("r01")
    body = {"rater": "r01", "pair": first, "preference": "none", "left": dict.fromkeys(CRITERIA, 4),
            "right": dict.fromkeys(CRITERIA, 2) | {"text": None}}
    saved = validate(study, body)
    left, right = study.sides("r01", first)
    assert saved["scores"][right]["text"] is None
    for bad in ({"sharpness": None}, {"text": 0}, {"text": "n/a"}):
        with pytest.raises(SharpcamError, match="from 1 to 5"):
            validate(study, body | {"right": dict.fromkeys(CRITERIA, 2) | bad})
    records = [{**saved, "category": "text", "scores": saved["scores"]}]
    assert mos(records, right, CRITERIA).mean == 2.0 and mos(records, right, CRITERIA).ratings == 3
    assert math.isnan(mos(records, right, ["text"]).mean)  # only N/A answers: no score at all
