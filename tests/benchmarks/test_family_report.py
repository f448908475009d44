"""The family report joins cost and quality, and says per tier which targets are met and by how much not."""
from __future__ import annotations

import json

from benchmarks.quality import family_report


def quality(methods: dict[str, dict[str, float]]) -> dict:
    conditions = {c for scores in methods.values() for c in scores}
    return {"summary": {c: {m: {"all": {"n": 25, "ssim": s[c]}} for m, s in methods.items() if c in s}
                        for c in conditions}}


def test_the_report_lists_costs_scores_and_verdicts(tmp_path):
    s = {"benchmark": 0.8808, "office": 0.89699, "lowlight": 0.8082, "starved": 0.8334}
    m = {"benchmark": 0.905, "office": 0.905, "lowlight": 0.870, "starved": 0.84}
    (tmp_path / "q.json").write_text(json.dumps(quality({"webcam": s, "medium": m})))
    (tmp_path / "t.json").write_text(json.dumps(quality({"teacher (RRDB)": {"office": 0.885, "lowlight": 0.865,
                                                                           "starved": 0.8243}})))
    rows = [{"student": st, "backend": "openvino", "threads": t, "resolution": r, "median_ms": ms * (3 if r == "720p" else 1)}
            for st, ms in (("webcam", 5.0), ("medium", 15.0)) for t in (1, 2) for r in ("480p", "720p")]
    (tmp_path / "c.json").write_text(json.dumps({"results": rows}))
    out = tmp_path / "family"
    family_report.main(["--quality", str(tmp_path / "q.json"), "--cost", str(tmp_path / "c.json"), "--teacher",
                        str(tmp_path / "t.json"), "--family", "S=webcam=webcam,M=medium=medium", "--out", str(out)])
    md = out.with_suffix(".md").read_text()
    assert "| S | webcam | 5.0 | 15.0 | 0.8808 |" in md and "| M | medium | 15.0 | 45.0 | 0.9050 |" in md
    assert "- S (webcam): benchmark >= fast: 0.8808 vs 0.9004 -> missed by 0.0196" in md
    assert "- S (webcam): office >= today's S: 0.8970 vs 0.8970 -> met" in md  # itself, to 4 decimals
    assert "- M (medium): lowlight >= teacher: 0.8700 vs 0.8650 -> met" in md
    assert "- M (medium): benchmark >= 0.91: 0.9050 vs 0.9100 -> missed by 0.0050" in md
    assert out.with_suffix(".png").stat().st_size > 5000
