"""How much a luma-only sharpener can give up: SSIM of a perfect luma correction on the test split.

    python -m benchmarks.quality.luma_oracle     # -> benchmarks/results/luma_oracle.md (seconds; needs `make corpus`)

The oracle takes each blurred test image, replaces its BT.601 luma by the sharp image's (the same
correction added to R, G and B, as the fast student does) and keeps the blurred chroma.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


from benchmarks.common import ROOT
from runtime.files import write_text_atomic
from train.corpus import CATEGORIES, load_manifest
from train.blur import benchmark_degrade
from train.images import LoadReport, read_rgb
from train.metrics import ssim
from train.student import LUMA


def main(corpus: Path = ROOT / "data" / "corpus", out: Path = ROOT / "benchmarks" / "results" / "luma_oracle.md") -> None:
    rows: dict[str, list[tuple[float, float]]] = {}
    for e in (e for e in load_manifest(corpus) if e.split == "test"):
        sharp = read_rgb(corpus / e.file, LoadReport())
        if sharp is None:
            continue
        blurred = benchmark_degrade(sharp, e.id)[0] / 255.0
        delta = (sharp / 255.0 - blurred) @ np.asarray(LUMA)
        oracle = np.clip(blurred + delta[..., None], 0, 1)
        rows.setdefault(e.category, []).append((ssim(oracle, sharp / 255.0), ssim(blurred, sharp / 255.0)))
    rows["all"] = [v for c in list(rows) for v in rows[c]]
    lines = ["# Luma-only oracle (test split, benchmark blur)", "",
             "| category | images | perfect luma correction | blurred input |", "|---|---|---|---|"]
    for cat in [*CATEGORIES, "all"]:
        if cat in rows:
            oracle, blurred = np.mean(rows[cat], axis=0)
            lines.append(f"| {cat} | {len(rows[cat])} | {oracle:.4f} | {blurred:.4f} |")
    write_text_atomic(out, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
