"""Quality under webcam conditions: every method side by side, per condition and per category.

    python -m benchmarks.quality.webcam_quality --model webcam=engines/webcam.onnx --model fast=engines/fast.onnx
    python -m benchmarks.quality.webcam_quality --no-teacher --out runs/quality-quick --limit 6

Conditions (train/conditions.py CONDITIONS, fixed per test image): the report's benchmark blur, office light,
low light, starved bitrate. Methods: the degraded input, unsharp mask, AMD CAS (a port of ffmpeg's `cas`,
strength 0.8), OpenCV fastNlMeans + mild unsharp, the RRDB teacher (down2; ~20 s per 640x480 image on a
2-core CPU, cached under --cache), and each student: an .onnx graph runs through the runtime's ONNX
Runtime backend (the deployed path: padding, 8-bit output, reset temporal state), a .pt checkpoint through
PyTorch. SSIM (scikit-image defaults, RGB) and PSNR against the clean image.
Writes OUT.md, OUT.json and OUT.png (default benchmarks/results/webcam_quality).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


from benchmarks.quality.baselines import BASELINES
from runtime.entry import exit_on_user_error
from runtime.files import write_text_atomic
from runtime.errors import SharpcamError
from train.conditions import CONDITION_NOTES, CONDITIONS
from train.corpus import CATEGORIES
from train.evaluation import Method, evaluate, identity, student_method, summarize, teacher_method


def onnx_method(path: Path, strength: float = 1.0) -> Method:
    from runtime.sharpen import RealTimeSharpener
    sharpener = RealTimeSharpener(path, tile=1024, strength=strength)  # test images are at most 640x480: one tile, one call
    return lambda rgb, _sha, _p: sharpener.sharpen(np.ascontiguousarray(rgb[..., ::-1]))[..., ::-1]


def routed_method(camera: Method, clean: Method) -> Method:
    """`--clean-source auto` on one picture: the clean student where runtime/route.py calls the frame clean."""
    from runtime.route import is_clean

    def run(rgb: np.ndarray, sha: str, params: dict) -> np.ndarray:
        chosen = clean if is_clean(np.ascontiguousarray(rgb[..., ::-1])) else camera
        return chosen(rgb, sha, params)
    return run


def methods_for(students: list[tuple[str, Path]], teacher: bool, cache: Path,
                strengths: tuple[float, ...] = (1.0,), routed: list[tuple[str, Path]] = ()) -> dict[str, Method]:
    methods: dict[str, Method] = {"input": identity}
    for name, fn in BASELINES.items():
        methods[name] = (lambda f: lambda rgb, _s, _p: f(rgb))(fn)
    if teacher:
        methods["teacher (RRDB)"] = teacher_method(None, "down2", cache)
    for label, path in students:
        if not path.exists():
            raise SharpcamError(f"student {label}: {path} not found")
        if path.suffix != ".onnx":
            methods[label] = student_method(path)
            continue
        for s in strengths:
            methods[label if s == 1.0 else f"{label} @{s:g}"] = onnx_method(path, s)
    for label, spec in routed:
        camera, _, clean = str(spec).partition(",")
        for path in (Path(camera), Path(clean)):
            if path.suffix != ".onnx" or not path.exists():
                raise SharpcamError(f"--routed {label}: give CAMERA.onnx,CLEAN.onnx (existing graphs), not {spec}")
        methods[label] = routed_method(onnx_method(Path(camera)), onnx_method(Path(clean)))
    return methods


def markdown(summary: dict, title: str) -> str:
    conds = list(summary)
    methods = list(summary[conds[0]])
    lines = [f"# {title}", "", "Mean SSIM / PSNR (dB) over all images of the split; best SSIM per row in bold.", "",
             "| condition | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for cond in conds + ["mean of webcam conditions"]:
        if cond == "mean of webcam conditions":
            webcam = [c for c in conds if c != "benchmark"]
            if not webcam:
                continue
            vals = {m: (np.mean([summary[c][m]["all"]["ssim"] for c in webcam]),
                        np.mean([summary[c][m]["all"]["psnr"] for c in webcam])) for m in methods}
        else:
            vals = {m: (summary[cond][m]["all"]["ssim"], summary[cond][m]["all"]["psnr"]) for m in methods}
        best = max(methods, key=lambda m: vals[m][0])
        cells = [f"{'**' if m == best else ''}{vals[m][0]:.4f}{'**' if m == best else ''} / {vals[m][1]:.2f}"
                 for m in methods]
        lines.append(f"| {cond} | " + " | ".join(cells) + " |")
    lines += ["", "## SSIM per category", ""]
    for cond in conds:
        cats = [c for c in [*CATEGORIES] if c in summary[cond][methods[0]]]
        lines += [f"### {cond}", "", "| category | images | " + " | ".join(methods) + " |",
                  "|---|---|" + "---|" * len(methods)]
        for cat in cats:
            row = summary[cond]
            best = max(methods, key=lambda m: row[m][cat]["ssim"])
            cells = [f"{'**' if m == best else ''}{row[m][cat]['ssim']:.4f}{'**' if m == best else ''}"
                     for m in methods]
            lines.append(f"| {cat} | {row[methods[0]][cat]['n']} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def plot(summary: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    conds = list(summary)
    methods = list(summary[conds[0]])
    fig, ax = plt.subplots(figsize=(11, 4.8))
    width = 0.8 / len(methods)
    for i, m in enumerate(methods):
        ys = [summary[c][m]["all"]["ssim"] for c in conds]
        ax.bar(np.arange(len(conds)) + (i - (len(methods) - 1) / 2) * width, ys, width, label=m)
    ax.set_xticks(np.arange(len(conds)), conds)
    ax.set_ylabel("SSIM to the clean image (test split)")
    lows = [summary[c][m]["all"]["ssim"] for c in conds for m in methods]
    ax.set_ylim(max(0.0, min(lows) - 0.05), 1.0)
    ax.legend(ncol=min(4, len(methods)), fontsize=8, loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title("Webcam conditions: every method side by side")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def model_spec(spec: str) -> tuple[str, Path]:
    label, sep, path = spec.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("students are given as LABEL=PATH (.onnx or .pt)")
    return label, Path(path)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=model_spec, action="append", default=[], metavar="LABEL=PATH",
                   help="a student's .onnx graph (the deployed path) or .pt checkpoint; repeat for several")
    p.add_argument("--routed", type=model_spec, action="append", default=[], metavar="LABEL=CAMERA,CLEAN",
                   help="two .onnx graphs as --clean-source auto runs them: the clean one on pictures "
                        "runtime/route.py calls clean, the camera one on the others; repeat for several")
    p.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--conditions", default=",".join(CONDITIONS), help="comma-separated (default: %(default)s)")
    p.add_argument("--no-teacher", action="store_true", help="skip the slow teacher column")
    p.add_argument("--cache", type=Path, default=Path("data/cache/teacher-eval"), help="teacher outputs")
    p.add_argument("--limit", type=int, help="only the first N images (a quick look)")
    p.add_argument("--strengths", default="1", type=lambda t: tuple(float(v) for v in t.split(",")),
                   help="strengths to run each .onnx student at, e.g. 0.5,0.75,1 (default: 1)")
    p.add_argument("--out", type=Path, default=Path("runs/webcam_quality"),
                   help="writes OUT.md, OUT.json, OUT.png (default: %(default)s)")
    args = p.parse_args(argv)
    conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        p.error(f"unknown condition(s) {unknown}; choose from {list(CONDITIONS)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    methods = methods_for(args.model, not args.no_teacher, args.cache, args.strengths, args.routed)
    rows = evaluate(args.corpus, args.split, methods, conditions, args.limit, desc="webcam quality")
    summary = summarize(rows)
    text = markdown(summary, f"Quality under webcam conditions, {args.split} split ({args.corpus})")
    write_outputs(args.out, text, summary, {"conditions": {c: CONDITION_NOTES[c] for c in conditions},
                                            "summary": summary, "images": rows})


def write_outputs(out: Path, text: str, summary: dict, payload: dict) -> None:
    """OUT.md (printed too), OUT.json and OUT.png."""
    print(text)
    write_text_atomic(out.with_suffix(".md"), text)
    write_text_atomic(out.with_suffix(".json"), json.dumps(payload, indent=1))
    plot(summary, out.with_suffix(".png"))
    print(f"wrote {out}.md/.json/.png")


if __name__ == "__main__":
    exit_on_user_error(main)
