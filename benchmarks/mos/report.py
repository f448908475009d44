"""`mos report`: the answers as the report's tables (Markdown), a JSON record and a PNG chart."""
from __future__ import annotations

import io
import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from runtime.errors import SharpcamError  # noqa: E402
from runtime.files import write_bytes_atomic, write_text_atomic  # noqa: E402

from benchmarks.mos.answers import load_answers  # noqa: E402
from benchmarks.mos.stats import summarize  # noqa: E402
from benchmarks.mos.study import CRITERIA, load_study  # noqa: E402


def cell(e: dict) -> str:
    if e["raters"] == 0:
        return "-"
    if math.isnan(e["low"]):
        return f"{e['mean']:.2f} (1 rater, no CI)"
    return f"{e['mean']:.2f} [{e['low']:.2f}, {e['high']:.2f}]"


def _p(p: float) -> str:
    return "-" if math.isnan(p) else f"{p:.2g}"


def _mos_tables(s: dict) -> list[str]:
    head = "| " + " | ".join(s["versions"]) + " |"
    rule = "|---" * (len(s["versions"]) + 1) + "|"
    lines = ["## MOS per criterion", "", "| criterion " + head, rule]
    for c in [*s["criteria"], "average"]:
        name = "**Average**" if c == "average" else CRITERIA[c]
        lines.append(f"| {name} | " + " | ".join(cell(s["mos"][v][c]) for v in s["versions"]) + " |")
    lines += ["", "## MOS per category (average of the criteria)", "", "| category (images) " + head, rule]
    for cat in s["categories"]:
        row = " | ".join(cell(s["mos_by_category"][v][cat]) for v in s["versions"])
        lines.append(f"| {cat} ({s['images'][cat]}) | {row} |")
    return lines


def _preference_table(s: dict) -> list[str]:
    lines = ["## Preference", "",
             "Ties (no preference) are left out of the rate. p: exact two-sided binomial (sign) test of a 50% rate, "
             "over answers and, more conservatively, over raters (each rater counts once, for the version they "
             "preferred more often).", "",
             "| A vs B | category | A : B : no preference | A's rate [95% CI] | p (answers) | raters A : B | p (raters) |",
             "|---|---|---|---|---|---|---|"]
    for p in s["preference"]:
        if p["category"] != "all" and not p["wins_a"] + p["wins_b"] + p["ties"]:
            continue  # a category no one has rated on this comparison yet
        rate = "-" if math.isnan(p["rate_a"]) else f"{p['rate_a']:.0%} [{p['low']:.0%}, {p['high']:.0%}]"
        lines.append(f"| {p['a']} vs {p['b']} | {p['category']} | {p['wins_a']} : {p['wins_b']} : {p['ties']} | "
                     f"{rate} | {_p(p['p'])} | {p['raters_a']} : {p['raters_b']} | {_p(p['p_raters'])} |")
    return lines


def markdown(s: dict) -> str:
    notes = []
    if s["replaced"]:
        notes.append(f"{s['replaced']} earlier answer(s) replaced by a re-submission of the same pair (last wins)")
    if s["unreadable_lines"] or s["unknown_lines"] or s["invalid_lines"]:
        notes.append(f"{s['unreadable_lines']} unreadable, {s['unknown_lines']} unknown and {s['invalid_lines']} "
                     "invalid line(s) skipped")
    lines = [f"# Subjective study: {s['study']}", "",
             f"{s['raters']} rater(s) of {s['planned_raters']} planned ({s['complete_raters']} rated all "
             f"{s['pairs_per_rater']} pairs), {s['answers']} answer(s)" + (f"; {'; '.join(notes)}" if notes else "") + ".",
             "Blind side-by-side, random order and sides per rater; each side rated 1 (Poor) to 5 (Excellent).",
             "Cells: MOS [95% CI]. MOS is the mean of per-rater means; the CI is a t-interval over raters "
             "(n = raters, so it reflects disagreement between raters, not only the number of ratings).", ""]
    return "\n".join(lines + _mos_tables(s) + [""] + _preference_table(s)) + "\n"


def _bars(ax: plt.Axes, s: dict, table: str, keys: list[str], labels: list[str], title: str) -> None:
    width = 0.8 / len(s["versions"])
    for i, v in enumerate(s["versions"]):
        ests = [s[table][v][k] for k in keys]
        means = [e["mean"] if e["raters"] else 0.0 for e in ests]
        err = [[0.0 if math.isnan(e["low"]) else e["mean"] - e["low"] for e in ests],
               [0.0 if math.isnan(e["high"]) else e["high"] - e["mean"] for e in ests]]
        ax.bar([j + (i - (len(s["versions"]) - 1) / 2) * width for j in range(len(keys))], means, width,
               yerr=err, capsize=3, label=v)
    ax.set_xticks(range(len(keys)), labels, rotation=20, ha="right")
    ax.set_ylim(1, 5.2)
    ax.set_ylabel("MOS (1-5), 95% CI")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)


def chart(s: dict, path: Path) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    crits = [*s["criteria"], "average"]
    _bars(left, s, "mos", crits, [CRITERIA.get(c, "Average") for c in crits], "per criterion")
    _bars(right, s, "mos_by_category", s["categories"], s["categories"], "per category")
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncol=len(s["versions"]))
    fig.suptitle(f"{s['study']}: {s['raters']} rater(s), {s['answers']} answer(s)")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    write_bytes_atomic(path, buffer.getvalue())


def _finite(obj: object) -> object:
    """nan (no CI with one rater) as null, so the JSON is strict."""
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def write_report(study_dir: Path, out: Path | None = None) -> tuple[dict, Path]:
    """report.md, report.json and report.png next to the answers (or at the prefix `out`): (summary, prefix)."""
    study = load_study(study_dir)
    answers = load_answers(study)
    if not answers.latest:
        raise SharpcamError(f"no answers yet in {study.answers_path}: rate some pairs with "
                            f"'sharpcam mos serve {study_dir}' first")
    s = summarize(study, answers)
    prefix = out or study.root / "report"
    prefix.parent.mkdir(parents=True, exist_ok=True)
    # whole or not at all: a full disk must not leave a truncated report under its final name
    write_text_atomic(Path(f"{prefix}.md"), markdown(s))
    write_text_atomic(Path(f"{prefix}.json"), json.dumps(_finite(s), indent=1))
    chart(s, Path(f"{prefix}.png"))
    return s, prefix
