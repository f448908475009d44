"""Evaluate students against the teacher, the blurred input and unsharp mask, per category.

    python -m train.evaluate --model engines/fast.pt
    python -m train.evaluate --model distilled=runs/default/best.pt --model l1-only=runs/alpha1/best.pt

Every image of the split gets the report's benchmark blur (seeded by its id); SSIM is computed as the
report does (RGB in [0,1], scikit-image defaults). Prints a table like the report's Table 5.2 and writes
it as Markdown and JSON. Teacher outputs are cached (they take ~20 s per 640x480 image on a 2-core CPU).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from runtime.entry import check_writable_file, exit_on_user_error, path_arg
from runtime.files import write_text_atomic
from train.corpus import CATEGORIES
from train.evaluation import Method, evaluate, identity, student_method, summarize, teacher_method
from train.metrics import unsharp_baseline
from train.teacher import TEACHER_MODES


def markdown(summary: dict[str, dict[str, dict]], title: str) -> str:
    methods = list(summary)
    cats = [c for c in [*CATEGORIES, "all"] if c in summary[methods[0]]]
    lines = [f"# {title}", "", "Mean SSIM (images with SSIM > 0.9) and mean PSNR in dB, per category.", "",
             "| category | images | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for cat in cats:
        cells = [f"{s['ssim']:.4f} ({s['above_0_9']}/{s['n']}), {s['psnr']:.2f} dB"
                 for s in (summary[m][cat] for m in methods)]
        best = max(methods, key=lambda m: summary[m][cat]["ssim"])
        cells = [f"**{c}**" if m == best else c for m, c in zip(methods, cells)]
        name = "**all**" if cat == "all" else cat
        lines.append(f"| {name} | {summary[methods[0]][cat]['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _parse_student(spec: str) -> tuple[str, Path]:
    label, sep, path = spec.partition("=")
    if not (path if sep else spec).strip():
        raise argparse.ArgumentTypeError(f"{spec!r} names no checkpoint; give [LABEL=]PATH, e.g. mine=runs/x/best.pt")
    if sep and not label.strip():
        raise argparse.ArgumentTypeError(f"{spec!r} has an empty LABEL; drop the '=' or name the column")
    return (label, Path(path)) if sep else (Path(spec).parent.name or "student", Path(spec))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=_parse_student, action="append", default=[],
                        metavar="[LABEL=]PATH", help="a student checkpoint (.pt); repeat to compare several")
    parser.add_argument("--corpus", type=path_arg("--corpus"), default=Path("data/corpus"))
    parser.add_argument("--split", default="test", choices=("train", "val", "test"))
    parser.add_argument("--no-teacher", action="store_true", help="skip the (slow) teacher column")
    parser.add_argument("--teacher", help="teacher weights (default: the offline ncnn Real-ESRGAN x4plus)")
    parser.add_argument("--teacher-mode", choices=TEACHER_MODES, default="down2")
    parser.add_argument("--cache", type=Path, default=Path("data/cache/teacher-eval"))
    parser.add_argument("--out", type=path_arg("--out"), default=Path("runs/results/quality"),
                        help="writes OUT.md and OUT.json ('make results' promotes runs/results) "
                             "(default: %(default)s)")
    args = parser.parse_args(argv)
    exit_on_user_error(lambda: run(args))


def run(args: argparse.Namespace) -> None:
    check_writable_file(args.out.with_suffix(".md"), "--out")  # before the (long) evaluation
    methods: dict[str, Method] = {"blurred input": identity, "unsharp mask": lambda b, _s, _p: unsharp_baseline(b)}
    if not args.no_teacher:
        methods["teacher (RRDB)"] = teacher_method(args.teacher, args.teacher_mode, args.cache)
    for label, path in args.model:
        methods[label] = student_method(path)
    rows = evaluate(args.corpus, args.split, methods)  # the benchmark blur only
    summary = summarize(rows, count_above_0_9=True)["benchmark"]
    images = [{k: v for k, v in row.items() if k != "condition"} for row in rows]
    text = markdown(summary, f"Quality on the {args.split} split ({args.corpus}), benchmark blur")
    print(text)
    write_text_atomic(args.out.with_suffix(".md"), text)
    write_text_atomic(args.out.with_suffix(".json"), json.dumps({"summary": summary, "images": images}, indent=1))


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    main()
