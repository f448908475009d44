"""The family frontier's report: tiers, the Pareto front, the table (Markdown) and the plot (SSIM against ms).

Rows are benchmarks.quality.family_frontier's shapes as dicts; the first shipped row is S, the reference every
cost ratio and tier band is taken against.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

S_BUDGET_MS = 16.0  # issue 20: S at <= 16 ms per 480p frame on one core through OpenVINO


@dataclass(frozen=True)
class Tier:
    """A tier as issue 20 writes it: a cost range in multiples of S's (multiply-adds per pixel, which do not move
    with the machine; the plot draws the same multiples of S's measured ms as its band)."""
    name: str
    low: float
    high: float
    what: str

    def holds(self, times_s: float) -> bool:
        return self.low <= times_s <= self.high

    @property
    def range_text(self) -> str:
        return f">= {self.low:g}x" if math.isinf(self.high) else f"{self.low:g}-{self.high:g}x"


TIERS = (Tier("S", 0.0, 1.25, "today's budget: <= 16 ms per 480p frame, one core, OpenVINO"),
         Tier("M", 3.0, 4.0, "~3-4x S: 720p at 30 FPS on 2 cores, or 480p with room"),
         Tier("L", 20.0, math.inf, ">= 20x S: GPUs"))


def pareto_front(points: list[tuple[str, float, float]]) -> list[str]:
    """Labels of the (label, cost, quality) points no other point beats: none as cheap or cheaper with quality
    as high or higher (and better in one of the two). Cheapest first."""
    front, best = [], -math.inf
    for label, _cost, quality in sorted(points, key=lambda p: (p[1], -p[2])):
        if quality > best:
            front.append(label)
            best = quality
    return front


def reference(rows: list[dict]) -> dict:
    return next(r for r in rows if r["shipped"])


def tier_of(row: dict, s: dict) -> str:
    times = row["macs_per_pixel"] / s["macs_per_pixel"]
    return next((t.name for t in TIERS if t.holds(times)), "-")


def front_of(rows: list[dict]) -> list[str]:
    """The front among the shapes trained for this comparison (shipped students had other budgets)."""
    return pareto_front([(r["label"], r["ms"], r["val_ssim"]["mean"]) for r in rows if not r["shipped"]])


def shape_text(model: dict) -> str:
    args = model.get("args", {})
    return f"{args.get('channels')} ch x {args.get('blocks')} blocks, unshuffle {args.get('scale')}"


def start_text(row: dict) -> str:
    return "scratch" if row["start"] == "scratch" else f"grown from {Path(row['start']).name}"


def markdown(rows: list[dict], meta: dict) -> str:
    s, front = reference(rows), front_of(rows)
    conditions = meta["conditions"]
    lines = ["# Shapes per tier on the cost/quality frontier (issue 20)\n", f"Command: `{meta['command']}`\n",
             f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores; load average before "
             f"{meta['load_before']:.2f}, after {meta['load_after']:.2f} (other work shares these cores).\n",
             f"Cost: model ms per 480p frame of the deployed frame graph, OpenVINO, one thread; median over "
             f"{meta['rounds']} interleaved rounds of the median of {meta['frames']} frames "
             f"(benchmarks.speed.family_cost); ratios to {s['label']} in the same round. Multiply-adds per pixel: "
             "counted from the graph. Quality: validation SSIM per condition by the trainer's validation "
             f"({meta['val_max']} val images, {meta['val_size']} px centre crops); 'mean' is the trainer's val "
             "SSIM, 'recorded' what the trainer saved with the checkpoint (the two agree when the crops match).\n",
             f"Tiers by multiply-adds per pixel against {s['label']}: " +
             "; ".join(f"{t.name} {t.range_text} ({t.what})" for t in TIERS) + ". "
             "Front: the Pareto front of ms against mean val SSIM among the shapes (shipped students, marked *, "
             "trained for other budgets, are shown beside it).\n",
             "| shape | architecture | start | epoch (of run) | parameters | MAC/px | MAC vs S | ms/480p (range) "
             "| ms vs S | " + " | ".join(conditions) + " | mean | recorded | tier | on front |",
             "|---|---|---|---|---|---|---|---|---|" + "---|" * len(conditions) + "---|---|---|---|"]
    for r in rows:
        recorded = f"{r['recorded_val_ssim']:.4f}" if r["recorded_val_ssim"] is not None else "-"
        run = f" (of {r['epochs_run']})" if r["epochs_run"] else ""
        lines.append(
            f"| {r['label']}{' *' if r['shipped'] else ''} | {shape_text(r['model'])} | {start_text(r)} | "
            f"{r['epoch']}{run} | {r['parameters']:,} | {r['macs_per_pixel'] / 1e3:.1f}k | "
            f"{r['macs_per_pixel'] / s['macs_per_pixel']:.2f}x | {r['ms']:.1f} ({min(r['ms_rounds']):.1f}-"
            f"{max(r['ms_rounds']):.1f}) | {r['cost_vs_s']:.2f}x | "
            + " | ".join(f"{r['val_ssim'][c]:.4f}" for c in conditions)
            + f" | {r['val_ssim']['mean']:.4f} | {recorded} | {tier_of(r, s)} | {'yes' if r['label'] in front else ''} |")
    curves = [r for r in rows if r["curve"]]
    if curves:
        lines += ["", "Validation SSIM (mean of the conditions) by epoch, as the runs recorded it: how fast each learns.",
                  "", "| shape | " + " | ".join(f"e{i + 1}" for i in range(max(len(r["curve"]) for r in curves))) + " |",
                  "|---|" + "---|" * max(len(r["curve"]) for r in curves)]
        lines += [f"| {r['label']} | " + " | ".join(f"{v:.4f}" for v in r["curve"]) + " |" for r in curves]
    lines += ["", "## The front per tier", ""]
    for tier in TIERS:
        shapes = [r for r in rows if not r["shipped"] and tier_of(r, s) == tier.name]
        on = [r["label"] for r in shapes if r["label"] in front]
        lines.append(f"- {tier.name}: " + (f"{len(shapes)} shape(s) measured; on the front: {', '.join(on) or 'none'}"
                                           if shapes else "no shape of this tier in this run"))
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    s, front = reference(rows), front_of(rows)
    fig, ax = plt.subplots(figsize=(8, 5))
    for tier, colour in zip(TIERS, ("tab:green", "tab:blue", "tab:purple")):
        high = tier.high * s["ms"] if math.isfinite(tier.high) else 40 * s["ms"]
        ax.axvspan(max(tier.low * s["ms"], 1.0), high, color=colour, alpha=0.08,
                   label=f"{tier.name} band ({tier.range_text} {s['label']}'s ms)")
    ax.axvline(S_BUDGET_MS, color="tab:green", linestyle="--", linewidth=1, label="S budget (16 ms)")
    for i, r in enumerate(sorted(rows, key=lambda r: r["ms"])):
        marker = dict(marker="*", markersize=14, color="black") if r["shipped"] else dict(marker="o", color="tab:orange")
        ax.plot(r["ms"], r["val_ssim"]["mean"], linestyle="none", **marker)
        ax.annotate(r["label"], (r["ms"], r["val_ssim"]["mean"]), textcoords="offset points",
                    xytext=(5, 4 if i % 2 else -11), fontsize=8)  # alternate sides by cost: one tier's shapes crowd
    by_label = {r["label"]: r for r in rows}
    ax.plot([by_label[f]["ms"] for f in front], [by_label[f]["val_ssim"]["mean"] for f in front],
            color="tab:red", drawstyle="steps-post", label="Pareto front (shapes)")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks([10, 16, 25, 50, 100, 200, 500, 1000])
    ax.set_xlim(min(S_BUDGET_MS, *(r["ms"] for r in rows)) / 1.5, 30 * s["ms"])  # the S budget line in view
    ax.set_xlabel("model ms per 480p frame, OpenVINO, one thread (log)")
    ax.set_ylabel("validation SSIM, mean of conditions")
    ax.set_title("Shapes per tier: quality against cost (* shipped)")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
