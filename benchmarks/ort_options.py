"""ONNX Runtime CPU options for the shipped fast student: intra-op threads and thread spinning.

    python benchmarks/ort_options.py            # -> benchmarks/results/ort_options.md (about a minute)

Model-only and end-to-end FPS (the real pipeline: video file source, null sink) for every combination,
interleaved over rounds so machine noise hits all alike; medians reported.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python benchmarks/ort_options.py` from a checkout

from benchmarks.machine import describe  # noqa: E402
from benchmarks.worker import end_to_end, model_only  # noqa: E402
from runtime.backends import OnnxBackend  # noqa: E402
from runtime.contract import DEFAULT_STUDENT, RESOLUTIONS, graph_path  # noqa: E402
from runtime.sources import BuiltinClip  # noqa: E402


def measure(res: str, threads: int, spinning: bool, frames: int) -> tuple[float, float]:
    size = RESOLUTIONS[res]
    backend = OnnxBackend(graph_path(DEFAULT_STUDENT, res), threads, device="cpu", spinning=spinning)
    fps = model_only(backend, BuiltinClip(size).read(), 2, 40)["fps"], end_to_end(backend, size, frames)["fps"]
    backend.close()
    return fps


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--frames", type=int, default=150, help="end-to-end frames per measurement")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "results" / "ort_options.md",
                   help="(default: %(default)s)")
    args = p.parse_args(argv)
    combos = list(itertools.product(("480p", "720p"), (1, 2), (True, False)))
    runs: dict[tuple, list[tuple[float, float]]] = {c: [] for c in combos}
    for _ in range(args.rounds):
        for combo in combos:
            runs[combo].append(measure(*combo, args.frames))
    m = describe()
    lines = [f"# ONNX Runtime CPU options, {DEFAULT_STUDENT} student", "",
             f"Machine: {m['cpu']}, {m['cores']} cores. Medians of {args.rounds} interleaved rounds; end to end: "
             f"{args.frames} frames through the pipeline (video file, null sink).", "",
             "| resolution | intra-op threads | spinning | model-only FPS | end-to-end FPS |", "|---|---|---|---|---|"]
    for (res, threads, spinning), values in runs.items():
        lines.append(f"| {res} | {threads} | {'on' if spinning else 'off'} | "
                     f"{statistics.median(v[0] for v in values):.1f} | {statistics.median(v[1] for v in values):.1f} |")
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
