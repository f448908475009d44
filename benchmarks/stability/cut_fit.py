"""The scene-cut test's bound (runtime/scene_cut.py): what stills, pans and cuts measure, on validation clips.

    python -m benchmarks.stability.cut_fit          # -> runs/cut_fit.md (~1 min)

For `--limit` photos spread over the split, through the camera model in office light and low light: a still
clip (fresh noise per frame), diagonal pans of 3, 8, 16 and 32 px per frame, and a cut to the next photo;
plus the built-in clip (pans over a face, detail and text, two cuts). Each frame-to-frame step is measured
as the runtime measures it (the histograms' total variation) and the table says how many steps the shipped
bound calls cuts.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, write_report
from benchmarks.stability.scenes import STILL_SIZE, cover
from benchmarks.stability.stability import spread_photos
from runtime.imaging import grey_thumbnail
from runtime.entry import exit_on_user_error
from runtime.scene_cut import CutConfig, histogram
from runtime.sources import BuiltinClip
from train.conditions import condition_params
from train.degrade import apply_clip

PAN_STEPS = (3, 8, 16, 32)


def distances(frames_rgb: list[np.ndarray], cfg: CutConfig) -> list[float]:
    hists = [histogram(grey_thumbnail(np.ascontiguousarray(f[..., ::-1]), cfg.divisor), cfg.bins) for f in frames_rgb]
    return [0.5 * float(np.abs(a - b).sum()) for a, b in zip(hists[1:], hists)]


def diagonal_pan(img: np.ndarray, step: int, frames: int = 6) -> list[np.ndarray]:
    w, h = STILL_SIZE
    big = cover(img, (w + step * frames, h + step * frames))
    return [np.ascontiguousarray(big[step * t:step * t + h, step * t:step * t + w]) for t in range(frames)]


def measure(corpus: Path, split: str, limit: int, cfg: CutConfig) -> dict[str, list[float]]:
    photos = spread_photos(corpus, split, limit)
    out: dict[str, list[float]] = {}
    for i, (ident, img) in enumerate(photos):
        still = [cover(img, STILL_SIZE)] * 6
        other = cover(photos[(i + 1) % len(photos)][1], STILL_SIZE)
        for condition in ("office", "lowlight"):
            params = condition_params(condition, ident)
            out.setdefault("still", []).extend(distances(apply_clip(still, params), cfg))
            for step in PAN_STEPS:
                pan = apply_clip(diagonal_pan(img, step), params)
                out.setdefault(f"pan {step} px/frame", []).extend(distances(pan, cfg))
            out.setdefault("cut to the next photo", []).extend(distances(apply_clip([still[0], other], params), cfg))
    clip, frames = BuiltinClip(), []
    while (frame := clip.read()) is not None:
        frames.append(frame[..., ::-1])
    steps = distances(frames, cfg)
    cut_at = {len(frames) // 3 - 1, 2 * len(frames) // 3 - 1}  # its three stills' boundaries
    out["built-in clip: pans"] = [d for i, d in enumerate(steps) if i not in cut_at]
    out["built-in clip: its 2 cuts"] = [d for i, d in enumerate(steps) if i in cut_at]
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    p.add_argument("--split", default="val", choices=("train", "val", "test"))
    p.add_argument("--limit", type=int, default=12, help="photos spread over the split (default: %(default)s)")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "cut_fit.md")
    args = p.parse_args(argv)
    cfg = CutConfig()
    lines = [f"# Scene-cut test: histogram distance per frame step ({args.split} split, {args.limit} photos)", "",
             f"Command: `python -m benchmarks.stability.cut_fit --split {args.split} --limit {args.limit}`. "
             f"Bound: a cut above {cfg.distance}.", "",
             "| steps | n | min | median | max | called cuts |", "|---|---|---|---|---|---|"]
    for name, values in measure(args.corpus, args.split, args.limit, cfg).items():
        v = np.array(values)
        lines.append(f"| {name} | {len(v)} | {v.min():.3f} | {np.median(v):.3f} | {v.max():.3f} | "
                     f"{int((v > cfg.distance).sum())} |")
    write_report(args.out, lines)


if __name__ == "__main__":
    exit_on_user_error(main)
