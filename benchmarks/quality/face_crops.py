"""Faces up close: does a student leave skin waxy? Crops of every people image, each condition, each method.

    python -m benchmarks.quality.face_crops --model S=engines/webcam.onnx --model M=engines/medium.onnx
    python -m benchmarks.quality.face_crops --split train --out runs/results/face_crops_train

SSIM over a whole photo hides what people look at first: a face that came out smooth as wax reads as "beauty
filter", whatever the number. For each image of the people category in the split, the square with the most
skin-coloured pixels (the centre where there is none) is cropped from the degraded input, each method's output
and the clean image, per condition, and laid out in one PNG row per (image, condition), enlarged without
smoothing. The crop's SSIM and its high-frequency energy
relative to the clean crop's (the standard deviation of a Laplacian: 1.0 keeps the skin's texture, well
under 1.0 is wax, over 1.0 is added noise or ringing) go in the Markdown beside it.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.common import command_line, write_markdown_and_json
from benchmarks.quality.webcam_quality import model_spec, methods_for
from runtime.entry import exit_on_user_error
from runtime.errors import SharpcamError
from runtime.imaging import opencv
from train.conditions import CONDITIONS, condition_params
from train.corpus import load_manifest
from train.degrade import apply
from train.images import LoadReport, read_rgb
from train.metrics import ssim

CROP = 128


def face_box(rgb: np.ndarray, side: int = CROP) -> tuple[int, int, int]:
    """(y, x, side) of the square holding the most skin-coloured pixels (Cr 133-173, Cb 77-127 in YCrCb, the
    classic skin range), else the image's centre. OpenCV 5 ships no face detector without a model file, and
    skin is what this report is about, so the crop goes where most skin is."""
    cv2 = opencv()
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    skin = cv2.inRange(ycrcb, (0, 133, 77), (255, 173, 127)).astype(np.float32) / 255
    h, w = skin.shape
    side = min(side, h, w)
    density = cv2.boxFilter(skin, -1, (side, side), normalize=True, borderType=cv2.BORDER_CONSTANT)
    if density.max() < 0.05:  # no skin to speak of: the centre
        cy, cx = h // 2, w // 2
    else:
        cy, cx = np.unravel_index(int(np.argmax(density)), density.shape)
    return int(np.clip(cy - side // 2, 0, h - side)), int(np.clip(cx - side // 2, 0, w - side)), side


def texture(rgb: np.ndarray) -> float:
    """High-frequency energy: the standard deviation of the Laplacian of the luma."""
    cv2 = opencv()
    return float(cv2.Laplacian(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32), cv2.CV_32F).std())


def crops(corpus: Path, split: str, methods: dict, conditions: list[str]) -> tuple[list[dict], list[list]]:
    people = [e for e in load_manifest(corpus) if e.split == split and e.category == "people"]
    if not people:
        raise SharpcamError(f"no people images in the '{split}' split of {corpus}; try another --split")
    rows, panels, report = [], [], LoadReport()
    for entry in people:
        img = read_rgb(corpus / entry.file, report)
        if img is None:
            continue
        y, x, side = face_box(img)
        cut = lambda a: a[y:y + side, x:x + side]  # noqa: E731
        clean_texture = texture(cut(img))
        for condition in conditions:
            degraded = apply(img, condition_params(condition, entry.id))
            outs = {name: method(degraded, "", {}) for name, method in methods.items()}
            panel = [(name, cut(out)) for name, out in outs.items()] + [("clean", cut(img))]
            panels.append([f"{entry.id[:28]} / {condition}", panel])
            for name, out in outs.items():
                rows.append({"image": entry.id, "condition": condition, "method": name, "box": [y, x, side],
                             "crop_ssim": ssim(cut(out), cut(img)), "texture": texture(cut(out)) / clean_texture})
    report.warn()
    return rows, panels


def plot(panels: list[list], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cols = len(panels[0][1])
    fig, axes = plt.subplots(len(panels), cols, figsize=(2.2 * cols, 2.4 * len(panels)), squeeze=False)
    for r, (title, panel) in enumerate(panels):
        for c, (name, crop) in enumerate(panel):
            ax = axes[r][c]
            ax.imshow(crop, interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_title(name, fontsize=8)
            if c == 0:
                ax.set_ylabel(title, fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(rows: list[dict], command: str, png: str) -> str:
    methods = list(dict.fromkeys(r["method"] for r in rows))
    keys = list(dict.fromkeys((r["image"], r["condition"]) for r in rows))
    by = {(r["image"], r["condition"], r["method"]): r for r in rows}
    lines = ["# Faces up close: crop SSIM / texture vs the clean crop\n", f"Command: `{command}`\n",
             "Texture: the Laplacian's standard deviation over the clean crop's (1.0 keeps skin texture; well under "
             f"1.0 reads as wax; over 1.0 is noise or ringing). Crops: `{png}`.\n",
             "| image | condition | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for image, condition in keys:
        cells = [f"{by[image, condition, m]['crop_ssim']:.3f} / {by[image, condition, m]['texture']:.2f}"
                 for m in methods]
        lines.append(f"| {image[:36]} | {condition} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    def run() -> None:
        p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--model", action="append", type=model_spec, default=[], metavar="LABEL=PATH",
                       help="a student's .onnx graph or .pt checkpoint; repeat for several")
        p.add_argument("--corpus", type=Path, default=Path("data/corpus"))
        p.add_argument("--split", default="test", choices=("train", "val", "test"))
        p.add_argument("--conditions", default=",".join(CONDITIONS), help="comma-separated")
        p.add_argument("--out", type=Path, default=Path("runs/results/face_crops"))
        args = p.parse_args(argv)
        conditions = [c for c in args.conditions.split(",") if c]
        unknown = [c for c in conditions if c not in CONDITIONS]
        if unknown:
            p.error(f"--conditions: {', '.join(unknown)} not in {', '.join(CONDITIONS)}")
        methods = {name: fn for name, fn in methods_for(args.model, teacher=False, cache=Path()).items()
                   if name in ("input", "nlm+unsharp") or name in dict(args.model)}
        rows, panels = crops(args.corpus, args.split, methods, conditions)
        png = args.out.with_suffix(".png")
        plot(panels, png)
        command = command_line("benchmarks.quality.face_crops", argv)
        write_markdown_and_json(args.out, markdown(rows, command, png.name), {"command": command, "rows": rows})
        print(f"wrote {args.out.with_suffix('.md')}, .json and {png}")
    exit_on_user_error(run)


if __name__ == "__main__":
    main()
