"""Write the benchmark report: Markdown + JSON + a PNG chart."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from runtime.files import write_text_atomic  # noqa: E402
from runtime.stats import STAGES as PIPELINE_STAGES  # noqa: E402

ALL_STAGES = (*PIPELINE_STAGES, "end_to_end")


def _who(r: dict) -> str:
    return f"{r.get('student', 'seed')} | {r['backend']}"


def _stage_cell(stage: dict | None) -> str:
    return f"{stage['p50_ms']:.0f} / {stage['p95_ms']:.0f} / {stage['p99_ms']:.0f}" if stage else "-"


def _paced_cell(paced: dict | None) -> str:
    """Cores busy at 30 FPS, with the frame rate held (a paced run that could not keep up says so)."""
    if not paced:
        return "-"
    return f"{paced['cpu']['cores']:.2f} ({paced['fps']:.0f} FPS, {paced['dropped']} dropped)"


def markdown(report: dict, quality: Path | None) -> str:
    m = report["machine"]
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items())
    lines = ["# Speed and latency", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, GPU: {m['gpu'] or 'none'}; "
             f"Python {m['python']}; {libs}.", "",
             f"Model-only: median of {report['settings']['repeats']} runs after {report['settings']['warmup']} "
             "warm-up, one uint8 frame in and out (transfers included). End to end: the real pipeline "
             f"(video file source, null sink), {report['settings']['frames']} frames. CPU: process user+sys time "
             "(every thread) per frame, model-only and end to end; cores at 30 FPS: CPU time over wall time with the "
             f"clip paced like a camera ({report['settings'].get('paced_frames', 0)} frames), the share of the "
             "machine a video-call app no longer has.", "",
             "| student | backend | resolution | model-only FPS | end-to-end FPS | CPU ms/frame model / end to end "
             "| cores at 30 FPS | GMAC/frame | achieved GFLOP/s | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["results"]:
        if "error" in r:
            lines.append(f"| {_who(r)} | {r['resolution']} | error: {' '.join(r['error'])} | | | | | | | |")
            continue
        cpu = f"{r['model_only'].get('cpu_ms', float('nan')):.1f} / {r['end_to_end']['cpu']['ms_per_frame']:.1f}"
        paced = _paced_cell(r.get("paced"))
        lines.append(f"| {_who(r)} | {r['resolution']} | {r['model_only']['fps']:.2f} | "
                     f"{r['end_to_end']['fps']:.2f} | {cpu} | {paced} | {r['gmac_per_frame']} | "
                     f"{r['achieved_gflops']} | {r['peak_rss_mb']} |")
    for res, fps in report["quoted_report_fps"].items():
        lines.append(f"| seed | report (quoted, GPU not named) | {res} | {fps} | - | - | - | - | - | - |")
    measured = {s for r in report["results"] if "error" not in r for s in r["end_to_end"]["stages"]}
    stage_names = [s for s in ALL_STAGES if s in measured]  # the columns some backend has
    lines += ["", "Per-stage latency, p50 / p95 / p99 ms. The file source uses lossless queues, so end-to-end "
              "latency here includes time spent waiting behind earlier frames; a live camera drops the oldest "
              "frame instead.", "",
              "| student | backend | resolution | " + " | ".join(stage_names) + " |", "|---|---|---|" + "---|" * len(stage_names)]
    for r in report["results"]:
        if "error" not in r:
            stages = r["end_to_end"]["stages"]
            lines.append(f"| {_who(r)} | {r['resolution']} | " +
                         " | ".join(_stage_cell(stages.get(s)) for s in stage_names) + " |")
    if quality and quality.exists():
        lines += ["", "## Quality (from benchmarks/results/quality.md)", "",
                  *quality.read_text().splitlines()[2:]]
    return "\n".join(lines) + "\n"


def chart(report: dict, out: Path) -> None:
    results = [r for r in report["results"] if "error" not in r]
    resolutions = list(dict.fromkeys(r["resolution"] for r in results))
    backends = list(dict.fromkeys(_who(r).replace(" | ", " ") for r in results))
    fig, ax = plt.subplots(figsize=(8, 4.2))
    width = 0.8 / (len(backends) + 1)
    for i, backend in enumerate(backends):
        values = [next((r["end_to_end"]["fps"] for r in results
                             if _who(r).replace(" | ", " ") == backend and r["resolution"] == res), 0)
                  for res in resolutions]
        ax.bar([x + i * width for x in range(len(resolutions))], values, width, label=f"{backend} (end to end)")
    quoted = [report["quoted_report_fps"].get(res, 0) for res in resolutions]
    ax.bar([x + len(backends) * width for x in range(len(resolutions))], quoted, width, color="lightgray",
           hatch="//", label="report (quoted)")
    ax.axhline(30, color="C3", ls=":", label="30 FPS")
    ax.set_xticks([x + width * len(backends) / 2 for x in range(len(resolutions))], resolutions)
    ax.set(ylabel="frames per second", title=f"sharpcam on {report['machine']['cpu'][:40]}")
    ax.set_yscale("log")
    ax.set_ylim(0.05, 100)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def write_report(report: dict, out: Path, quality: Path | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "fps.json", json.dumps(report, indent=1))
    write_text_atomic(out / "fps.md", markdown(report, quality))
    if any("error" not in r for r in report["results"]):
        chart(report, out / "fps.png")
