"""The family of students on one page: what each costs on this CPU against what it gives, and the issue's targets.

    python -m benchmarks.quality.family_report --quality runs/results/family_quality.json \
        --cost runs/results/family_cost.json --teacher benchmarks/results/webcam_quality_teacher.json

Reads a `benchmarks.quality.webcam_quality` JSON (the students as methods, test split) and a
`benchmarks.speed.family_cost` JSON, and the teacher's scores where given (the committed teacher run scored the
same test images under the same seeded conditions: the conditions are fixed per image id). Writes OUT.md (a
table: cost per frame, SSIM per condition, the mean of the webcam conditions, each tier's targets met or not
and by how much) and OUT.png (SSIM against model milliseconds per 480p frame, one point per student and
condition group).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.common import command_line
from runtime.entry import exit_on_user_error
from runtime.errors import SharpcamError
from runtime.files import write_text_atomic

WEBCAM_CONDITIONS = ("office", "lowlight", "starved")
# Issue 20's targets per tier (test split SSIM), and today's S (the webcam student before the family) they
# are judged against: benchmarks/results/webcam_quality.md.
TODAY_S = {"benchmark": 0.8808, "office": 0.8970, "lowlight": 0.8082, "starved": 0.8334}
FAST_BENCHMARK = 0.9004


def load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise SharpcamError(f"cannot read {path}: {err}") from None


def scores(quality: dict, method: str) -> dict[str, float]:
    """Per condition SSIM over all images, for `method`, plus the mean of the webcam conditions."""
    out = {c: quality["summary"][c][method]["all"]["ssim"] for c in quality["summary"] if method in quality["summary"][c]}
    if all(c in out for c in WEBCAM_CONDITIONS):
        out["webcam mean"] = sum(out[c] for c in WEBCAM_CONDITIONS) / len(WEBCAM_CONDITIONS)
    return out


def targets(tier: str, s: dict[str, float], teacher: dict[str, float]) -> list[tuple[str, float, float]]:
    """(what, measured, needed) for the tier's targets in issue 20. An S variant (`S-video`: the recurrent S,
    measured here frame by frame from a reset state) is held to S's targets."""
    if tier.startswith("S"):
        return [(f"{c} >= today's S", s.get(c, float("nan")), TODAY_S[c]) for c in TODAY_S] + \
            [("benchmark >= fast", s.get("benchmark", float("nan")), FAST_BENCHMARK)]
    if tier == "M":
        return [("lowlight >= teacher", s.get("lowlight", float("nan")), teacher.get("lowlight", 0.865)),
                ("webcam mean >= teacher", s.get("webcam mean", float("nan")), teacher.get("webcam mean", 0.858)),
                ("benchmark >= 0.91", s.get("benchmark", float("nan")), 0.91)]
    return [(f"{c} >= teacher", s.get(c, float("nan")), v) for c, v in teacher.items() if c != "webcam mean"] + \
        [("benchmark >= 0.92", s.get("benchmark", float("nan")), 0.92)]


def cost_ms(cost: dict, student: str, backend: str = "openvino", threads: int = 1, size: str = "480p") -> float | None:
    for row in cost["results"]:
        if (row["student"], row["backend"], row["threads"], row["resolution"]) == (student, backend, threads, size):
            return row["median_ms"]
    return None


def report(quality: dict, cost: dict, family: list[tuple[str, str, str]], teacher: dict[str, float],
           command: str) -> str:
    conditions = ["benchmark", *WEBCAM_CONDITIONS, "webcam mean"]
    lines = ["# The family of students: cost and quality\n", f"Command: `{command}`\n",
             "Model ms: OpenVINO, one thread, 480p (family_cost, medians of interleaved rounds); SSIM: test split, "
             "each student's deployed ONNX graph (webcam_quality).\n",
             "| tier | student | ms/480p (1 thread) | ms/720p (2 threads) | " + " | ".join(conditions) + " |",
             "|---|---|---|---|" + "---|" * len(conditions)]
    for tier, student, method in family:
        s = scores(quality, method)
        ms1, ms2 = cost_ms(cost, student), cost_ms(cost, student, threads=2, size="720p")
        cells = [f"{s[c]:.4f}" if c in s else "-" for c in conditions]
        lines.append(f"| {tier} | {method} | {ms1:.1f} | {ms2:.1f} | " if ms1 and ms2 else f"| {tier} | {method} | - | - | ")
        lines[-1] += " | ".join(cells) + " |"
    if teacher:
        lines.append("| teacher | RRDB (committed run) | - | - | " + " | ".join(
            f"{teacher[c]:.4f}" if c in teacher else "-" for c in conditions) + " |")
    lines += ["", "## Targets (issue 20)", ""]
    for tier, _student, method in family:
        for what, got, need in targets(tier, scores(quality, method), teacher):
            # at the 4 decimals the targets are written in: today's S scored against itself is met, not "missed by 0"
            verdict = "met" if round(got, 4) >= round(need, 4) else f"missed by {need - got:.4f}"
            lines.append(f"- {tier} ({method}): {what}: {got:.4f} vs {need:.4f} -> {verdict}")
    return "\n".join(lines) + "\n"


def plot(quality: dict, cost: dict, family: list[tuple[str, str, str]], teacher: dict[str, float], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for condition, marker in (("benchmark", "s"), ("webcam mean", "o"), ("lowlight", "^")):
        xs, ys = [], []
        for tier, student, method in family:
            ms, s = cost_ms(cost, student), scores(quality, method)
            if ms and condition in s:
                xs.append(ms), ys.append(s[condition])
                ax.annotate(tier, (ms, s[condition]), textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.plot(xs, ys, marker=marker, label=condition)
        if condition in teacher:
            ax.axhline(teacher[condition], linestyle=":", linewidth=1, color=ax.lines[-1].get_color())
    ax.set_xscale("log")
    ax.set_xlabel("model ms per 480p frame, OpenVINO, one thread (log)")
    ax.set_ylabel("SSIM, test split")
    ax.set_title("Family of students: quality against cost (dotted: the teacher)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    def run() -> None:
        p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--quality", type=Path, required=True, help="a webcam_quality JSON with the students")
        p.add_argument("--cost", type=Path, required=True, help="a family_cost JSON")
        p.add_argument("--teacher", type=Path, help="a webcam_quality JSON with the teacher column")
        p.add_argument("--family", default="S=webcam=webcam,M=medium=medium,L=large=large",
                       help="TIER=STUDENT=METHOD,...: the cost's student name and the quality's method label")
        p.add_argument("--out", type=Path, default=Path("runs/results/family"))
        args = p.parse_args(argv)
        family = [tuple(item.split("=")) for item in args.family.split(",")]
        if any(len(f) != 3 for f in family):
            p.error("--family takes TIER=STUDENT=METHOD items, comma-separated")
        quality, cost = load(args.quality), load(args.cost)
        teacher = scores(load(args.teacher), "teacher (RRDB)") if args.teacher else {}
        md = report(quality, cost, family, teacher, command_line("benchmarks.quality.family_report", argv))
        write_text_atomic(args.out.with_suffix(".md"), md)
        plot(quality, cost, family, teacher, args.out.with_suffix(".png"))
        print(md)
        print(f"wrote {args.out.with_suffix('.md')} and {args.out.with_suffix('.png')}")
    exit_on_user_error(run)


if __name__ == "__main__":
    main()
