"""The clean-source router's fit (benchmarks/quality/route_fit.py), the routed method of the quality benchmark,
and the contract that the fit and the shipped students' results stand behind."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks.quality.route_fit import fit
from benchmarks.quality.webcam_quality import routed_method
from runtime.artifacts import CLEAN_STUDENT, ROUTED_STUDENTS, SHIPPED_STUDENTS
from runtime.route import RouteConfig

ROOT = Path(__file__).resolve().parents[2]


def rows(condition: str, points: list[tuple[float, float]]) -> list[dict]:
    return [{"image": f"i{i}", "condition": condition, "noise": n, "blockiness": b} for i, (n, b) in enumerate(points)]


def test_the_fit_keeps_every_camera_frame_out_with_a_margin() -> None:
    clean = rows("benchmark", [(0.1, 1.0), (0.2, 1.01), (0.3, 1.02), (0.9, 1.0)])  # the last: a textured one
    camera = rows("office", [(0.5, 1.05), (1.2, 1.3)]) + rows("starved", [(0.05, 1.10), (0.6, 1.0)])
    noise, block = fit(clean + camera)
    inside = [r for r in clean + camera if r["noise"] < noise and r["blockiness"] < block]
    assert {r["condition"] for r in inside} == {"benchmark"} and len(inside) == 3
    assert 0.3 < noise < 0.5 and 1.02 < block < 1.10  # halfway to the nearest frame kept out, both ways


def test_a_corner_the_margins_would_open_is_closed_again() -> None:
    clean = rows("benchmark", [(0.1, 1.0), (0.3, 1.02)])
    # inside neither tight bound alone, inside both margins at once
    camera = rows("office", [(0.5, 1.0)]) + rows("starved", [(0.05, 1.06), (0.35, 1.035)])
    noise, block = fit(clean + camera)
    assert not any(r["noise"] < noise and r["blockiness"] < block for r in camera)
    assert all(r["noise"] < noise and r["blockiness"] < block for r in clean)


def test_the_routed_method_asks_the_router_per_picture() -> None:
    def marked(value: int):
        return lambda rgb, _sha, _p: np.full_like(rgb, value)
    method = routed_method(marked(1), marked(2))
    flat = np.full((32, 32, 3), 100, np.uint8)  # no noise, no blocks: clean
    speckled = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    assert method(flat, "", {})[0, 0, 0] == 2 and method(speckled, "", {})[0, 0, 0] == 1


def test_the_routed_students_are_those_the_clean_student_beats_on_clean_blur() -> None:
    """The contract in runtime/artifacts.py against the committed test-split results it quotes."""
    scores = {}
    for name in ("quality", "family_quality"):
        summary = json.loads((ROOT / "benchmarks" / "results" / f"{name}.json").read_text())["summary"]
        bench = summary.get("benchmark", summary)
        scores.update({m: v["all"]["ssim"] for m, v in bench.items() if isinstance(v, dict) and "all" in v})
    assert CLEAN_STUDENT in scores
    family = [s for s in SHIPPED_STUDENTS if s in scores and s not in (CLEAN_STUDENT, "seed")]
    assert set(family) >= {"webcam", "recurrent", "medium", "large"}
    assert set(ROUTED_STUDENTS) == {s for s in family if scores[s] < scores[CLEAN_STUDENT]}


def test_the_shipped_thresholds_are_the_committed_fit() -> None:
    fitted = json.loads((ROOT / "benchmarks" / "results" / "route_fit.json").read_text())
    cfg = RouteConfig()
    assert (cfg.noise_max, cfg.blockiness_max) == (fitted["noise_max"], fitted["blockiness_max"])


def test_route_fit_and_route_sharp_run_on_a_small_corpus(mini_corpus, tmp_path) -> None:
    from benchmarks.quality import route_fit, route_sharp
    route_fit.main(["--corpus", str(mini_corpus), "--draws", "1", "--out", str(tmp_path / "fit")])
    fitted = json.loads((tmp_path / "fit" / "route_fit.json").read_text())
    assert fitted["noise_max"] > 0 and fitted["blockiness_max"] > 0 and (tmp_path / "fit" / "route_fit.png").exists()
    assert set(fitted["test"]) >= {"benchmark", "office", "starved"}
    route_sharp.main(["--corpus", str(mini_corpus), "--out", str(tmp_path / "sharp.md")])
    text = (tmp_path / "sharp.md").read_text()
    assert ("| yes |" in text or "| no |" in text) and "as routed" in text

