"""Write the frontier: Markdown table, JSON, and a PNG of end-to-end FPS at 480p against test SSIM."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

from benchmarks.common import write_markdown_and_json  # noqa: E402

TARGET_FPS = {"480p": 30.0, "720p": 15.0}  # issue 6: end to end, ONNX Runtime, this 2-core CPU
CATEGORIES = ("text", "nature", "people", "animals", "graphics")


def merge(rows: list[dict], path: Path, keep: bool) -> list[dict]:
    """New rows first, then (with keep) earlier rows whose labels were not measured again."""
    if not keep or not path.exists():
        return rows
    labels = {r["label"] for r in rows}
    return rows + [r for r in json.loads(path.read_text())["variants"] if r["label"] not in labels]


def meets_speed(row: dict) -> bool:
    return all(row["speed"][res]["end_to_end_fps"] >= fps for res, fps in TARGET_FPS.items())


def _architecture(row: dict) -> str:
    model = row["model"]
    args = ", ".join(f"{k}={v}" for k, v in model["args"].items())
    return f"{model['name']}({args})" + (" INT8" if row["int8"] else "")


def markdown(rows: list[dict], machine: dict, split: str, command: str = "") -> str:
    seed = next((r for r in rows if r["label"] == "seed"), None)
    lines = ["# Speed/quality frontier (CPU, ONNX Runtime)", "",
             f"Machine: {machine['cpu']}, {machine['cores']} cores. FPS: medians over rounds, variants "
             "interleaved; end to end = the real pipeline (video file source, null sink). SSIM: the "
             f"{split} split under the benchmark blur, through the deployed ONNX graph (8-bit output).",
             f"Targets (issue 6): end-to-end >= {TARGET_FPS['480p']:g} FPS at 480p and >= "
             f"{TARGET_FPS['720p']:g} at 720p, SSIM >= the seed student's"
             + (f" ({seed['test_ssim']['all']:.4f})." if seed else "."), "",
             *([f"Command: `{command}`", ""] if command else []),
             "| variant | architecture | training | best epoch | parameters | GMAC/frame 480p | 480p model-only | "
             "480p end to end | 720p model-only | 720p end to end | SSIM all | " + " | ".join(CATEGORIES)
             + " | targets |",
             "|---|---|---|---|---|---|---|---|---|---|---|" + "---|" * len(CATEGORIES) + "---|"]
    for r in sorted(rows, key=lambda r: r["speed"]["480p"]["end_to_end_fps"]):
        s480, s720, q = r["speed"]["480p"], r["speed"]["720p"], r["test_ssim"]
        quality_ok = seed is None or q["all"] >= seed["test_ssim"]["all"]
        verdict = ("speed " + ("met" if meets_speed(r) else "missed") + ", SSIM " + ("met" if quality_ok else "missed"))
        lines.append(f"| {r['label']} | {_architecture(r)} | {r.get('recipe', '-')} | {r['epochs']} | "
                     f"{r['parameters']:,} | {r['gmac_480p']} | "
                     f"{s480['model_only_fps']:.1f} | {s480['end_to_end_fps']:.1f} | {s720['model_only_fps']:.1f} | "
                     f"{s720['end_to_end_fps']:.1f} | {q['all']:.4f} | "
                     + " | ".join(f"{q[c]:.4f}" if c in q else "-" for c in CATEGORIES) + f" | {verdict} |")
    return "\n".join(lines) + "\n"


def point(row: dict) -> tuple[float, float]:
    """(end-to-end FPS at 480p, mean test SSIM): the frontier's two axes."""
    return row["speed"]["480p"]["end_to_end_fps"], row["test_ssim"]["all"]


def pareto(rows: list[dict]) -> list[dict]:
    """Variants no other variant beats on both end-to-end FPS at 480p and SSIM, fastest first."""
    best = [r for r in rows if not any(point(o)[0] >= point(r)[0] and point(o)[1] >= point(r)[1]
                                       and point(o) != point(r) for o in rows)]
    return sorted(best, key=point)


def chart(rows: list[dict], machine: dict, out: Path, split: str) -> None:
    fig, ax = plt.subplots(figsize=(9, 5.5))
    front = pareto(rows)
    ax.plot(*zip(*[point(r) for r in front]), "-", color="lightgray", zorder=0, label="frontier")
    for r in rows:
        x, y = point(r)
        color = "C2" if meets_speed(r) else "C0"
        ax.plot([x], [y], ls="none", color=color, marker="s" if r["int8"] else "o", ms=7 if r in front else 4,
                alpha=1.0 if r in front else 0.5)
        if r in front or r["label"] in ("seed", "fast", "webcam", "webcam-nobench"):  # the rest: see the table
            ax.annotate(r["label"], (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.axvline(TARGET_FPS["480p"], color="C3", ls=":", label=f"{TARGET_FPS['480p']:g} FPS target")
    seed = next((r for r in rows if r["label"] == "seed"), None)
    if seed:
        ax.axhline(seed["test_ssim"]["all"], color="gray", ls="--", label="seed student's SSIM")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator([0.5, 1, 2, 5, 10, 15, 20, 30, 50, 100, 200]))
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set(xlabel="end-to-end FPS at 640x480 (ONNX Runtime, CPU)", ylabel=f"mean SSIM, {split} split",
           title=f"Speed/quality frontier on {machine['cpu'][:40]} x{machine['cores']}")
    ax.plot([], [], "o", color="C2", label="meets both speed targets (480p and 720p)")
    ax.plot([], [], "o", color="C0", label="misses a speed target")
    ax.plot([], [], "s", color="gray", label="INT8")
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def write_frontier(rows: list[dict], machine: dict, out: Path, keep: bool, split: str, command: str = "") -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = merge(rows, out / "frontier.json", keep)
    write_markdown_and_json(out / "frontier", markdown(rows, machine, split, command),
                            {"machine": machine, "split": split, "variants": rows})
    chart(rows, machine, out / "frontier.png", split)
