"""The scene-cut bound's measurement (benchmarks/stability/cut_fit.py) on a small corpus."""
from __future__ import annotations


def test_cut_fit_runs_on_a_small_corpus(mini_corpus, tmp_path) -> None:
    from benchmarks.stability import cut_fit
    out = tmp_path / "cuts.md"
    cut_fit.main(["--corpus", str(mini_corpus), "--split", "test", "--limit", "2", "--out", str(out)])
    text = out.read_text()
    assert "| still |" in text and "built-in clip: its 2 cuts | 2 |" in text
