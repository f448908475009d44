"""Tables, pictures and report files of the stability suite (stability.py) and its tuner (still_tune.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.common import write_markdown_and_json
from train.evaluation import nest

METRICS = {"std_ratio": "temporal std / input's", "ssim": "SSIM to clean", "warp_error": "warp error (levels)",
           "moved_error": "error where it moved (levels)", "recovery": "frames to recover from the cut"}


def summarize(rows: list[dict]) -> dict:
    """{scene: {method: {metric: mean over photos, n}}}."""
    def means(sel: list[dict]) -> dict:
        return {**{k: float(np.mean([r[k] for r in sel])) for k in METRICS if k in sel[0]}, "n": len(sel)}
    return nest(rows, ("scene", "method"), means)


def markdown(rows: list[dict], what: str, command: str = "") -> tuple[str, dict]:
    """The report's text (scenes' means) and the summary it shows."""
    summary = summarize(rows)
    methods = list(next(iter(summary.values())))
    lines = [f"# Temporal stability ({what})", "", *([f"Command: `{command}`", ""] if command else []),
             "Through `python -m runtime.cam` (folder source, lossless folder sink). Still scenes: temporal std",
             "of each pixel over frames 4-23, over the input's (1.0 = as noisy as the camera; lower is calmer).",
             "Moving scenes: warping error beyond the clean clip's, in 8-bit levels (0 = no added flicker or",
             "trails). Local motion: mean error to the clean frames where they changed, in levels (trails raise",
             "it). SSIM to the clean frames, averaged over frames 4-23. Scene cut: frames after an unannounced",
             "cut until the output is as good as a stream started there (0 = at once), averaged over photos.", "",
             "| scene | measure | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for scene, per in summary.items():
        for metric, label in METRICS.items():
            if metric not in per[methods[0]]:
                continue
            form = {"warp_error": "+.2f", "moved_error": ".2f", "recovery": ".1f"}.get(metric, ".3f")
            cells = [f"{per[m][metric]:{form}}" for m in methods]
            lines.append(f"| {scene} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n", summary


def plot_numbers(summary: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    scenes = list(summary)
    methods = list(summary[scenes[0]])
    still = [s for s in scenes if "std_ratio" in summary[s][methods[0]]]
    moving = [s for s in scenes if "warp_error" in summary[s][methods[0]]]
    local = [s for s in scenes if "moved_error" in summary[s][methods[0]]]
    panels = [(still, "std_ratio", "still scenes: temporal std / input's"),
              (moving, "warp_error", "moving camera: added warping error"),
              (local, "moved_error", "local motion: error where it moved")]
    panels = [panel for panel in panels if panel[0]]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    axes = axes[0]
    for ax, (group, metric, title) in zip(axes, panels):
        width = 0.8 / len(methods)
        for i, m in enumerate(methods):
            ax.bar(np.arange(len(group)) + (i - (len(methods) - 1) / 2) * width,
                   [summary[s][m][metric] for s in group], width, label=m)
        ax.set_xticks(np.arange(len(group)), group)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].axhline(1.0, color="k", lw=0.8, ls="--")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_frames(examples: dict, path: Path, crop: int = 192) -> None:
    """Rows: clean, input, each model; columns: three frames of the pan (a crop at the centre, actual pixels)."""
    if not examples:
        return
    n = len(examples["clean"])
    frames = (n // 3, 2 * n // 3, n - 1)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = list(examples)
    fig, axes = plt.subplots(len(labels), len(frames), figsize=(3 * len(frames), 3 * len(labels)))
    axes = np.atleast_2d(axes)
    for r, label in enumerate(labels):
        for c, t in enumerate(frames):
            img = examples[label][t]
            h, w = img.shape[:2]
            y, x = (h - crop) // 2, (w - crop) // 2
            axes[r, c].imshow(img[y:y + crop, x:x + crop], interpolation="nearest")
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if c == 0:
                axes[r, c].set_ylabel(label)
            if r == 0:
                axes[r, c].set_title(f"frame {t} (pan 3 px/frame)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def per_photo_table(rows: list[dict]) -> str:
    """Each method's still-scene temporal std over the input's, per photo (office / low light): a markdown table."""
    photos = sorted({r["image"] for r in rows})
    methods = list(dict.fromkeys(r["method"] for r in rows))
    ratio = {(r["image"], r["scene"], r["method"]): r["std_ratio"] for r in rows if "std_ratio" in r}
    lines = ["| method | " + " | ".join(photos) + " |", "|---|" + "---|" * len(photos)]
    for m in methods:
        cells = [f"{ratio.get((ph, 'still office', m), float('nan')):.3f} / "
                 f"{ratio.get((ph, 'still lowlight', m), float('nan')):.3f}" for ph in photos]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_stability_report(rows: list[dict], out: Path, what: str, command: str, extra: dict | None = None) -> dict:
    """OUT.md (the scenes' means, then each photo's still scenes), OUT.json (`extra`, the summary and every row)
    and OUT.png; returns the summary."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text, summary = markdown(rows, what, command)
    text += "\n## Still scenes per photo: temporal std / input's (office, low light)\n\n" + per_photo_table(rows)
    write_markdown_and_json(out, text, {**(extra or {}), "summary": summary, "rows": rows})
    plot_numbers(summary, out.with_suffix(".png"))
    return summary
