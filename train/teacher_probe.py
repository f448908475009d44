"""Measure how the x4 teacher should serve a same-size task: SSIM of each mode on corpus crops.

    python -m train.teacher_probe --crops 10

Compares the blurred input, unsharp mask and the teacher in modes down2 / down4 / native
(see train.teacher.sharpen_same_size) on centre crops of train and validation images (never test),
taken round-robin over the categories, under the benchmark blur, and writes a Markdown table.
Slow on a CPU (native mode: ~3 s per 152x152 crop).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from runtime.files import write_text_atomic
from train.blur import benchmark_degrade
from train.corpus import load_manifest
from train.images import LoadReport, read_rgb
from train.metrics import ssim, unsharp_baseline
from train.teacher import TEACHER_MODES, sharpen_same_size
from train.teacher_weights import load_teacher
from train.tensors import to_image, to_tensor


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--crops", type=int, default=10, help="crops to score, round-robin over categories (train+val)")
    parser.add_argument("--size", type=int, default=152, help="crop side, a multiple of 4")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/teacher_modes.md"))
    args = parser.parse_args(argv)
    teacher, _ = load_teacher()
    val = [e for e in load_manifest(args.corpus) if e.split in ("val", "train")]
    by_cat = {c: [e for e in val if e.category == c] for c in dict.fromkeys(e.category for e in val)}
    # Round-robin over categories so every kind of content is in the sample.
    entries = [e for group in zip(*by_cat.values()) for e in group][: args.crops]
    scores: dict[str, list[float]] = {m: [] for m in ("blurred", "unsharp", *TEACHER_MODES)}
    seconds: dict[str, float] = {m: 0.0 for m in TEACHER_MODES}
    for e in entries:
        img = read_rgb(args.corpus / e.file, LoadReport())
        blurred, _ = benchmark_degrade(img, e.id)
        y, x = (img.shape[0] - args.size) // 2, (img.shape[1] - args.size) // 2
        sharp, lq = (a[y:y + args.size, x:x + args.size] for a in (img, blurred))
        scores["blurred"].append(ssim(lq, sharp))
        scores["unsharp"].append(ssim(unsharp_baseline(lq), sharp))
        for mode in TEACHER_MODES:
            start = time.perf_counter()
            out = to_image(sharpen_same_size(teacher, to_tensor(lq), mode))
            seconds[mode] += time.perf_counter() - start
            scores[mode].append(ssim(out, sharp))
        print(e.id, e.category, {k: round(v[-1], 4) for k, v in scores.items()})
    lines = [f"# Teacher as a same-size sharpener ({len(entries)} train/val crops of {args.size}px, benchmark blur)", "",
             "| method | mean SSIM | s/crop |", "|---|---|---|"]
    for name, vals in scores.items():
        per = f"{seconds[name] / len(entries):.2f}" if name in seconds else "-"
        lines.append(f"| {name} | {np.mean(vals):.4f} | {per} |")
    lines += ["", "Per crop: " + ", ".join(f"{e.id} ({e.category})" for e in entries)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    main()
