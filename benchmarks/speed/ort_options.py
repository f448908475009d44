"""ONNX Runtime CPU options for the default student: intra-op threads and thread spinning.

    python -m benchmarks.speed.ort_options            # -> runs/results/ort_options.md (a few minutes)

Model-only and end-to-end FPS (the real pipeline: video file source, null sink), and the cores busy when the
clip is paced at 30 FPS like a camera (what spinning threads cost a video call), for every combination,
interleaved over rounds so machine noise hits all alike; medians reported.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
from pathlib import Path


from benchmarks.common import ROOT, describe, write_report
from benchmarks.speed.worker import end_to_end, model_only
from runtime.backends.onnxruntime import OnnxBackend
from runtime.artifacts import DEFAULT_STUDENT, RESOLUTIONS, graph_path
from runtime.sources import BuiltinClip


def measure(res: str, threads: int, spinning: bool, frames: int) -> tuple[float, float, float, float]:
    """(model-only FPS, end-to-end FPS, paced FPS, cores busy when paced)."""
    size = RESOLUTIONS[res]
    backend = OnnxBackend(graph_path(DEFAULT_STUDENT, res), threads, device="cpu", spinning=spinning)
    fps = model_only(backend, BuiltinClip(size).read(), 2, 40)["fps"], end_to_end(backend, size, frames)["fps"]
    backend.reset()
    paced = end_to_end(backend, size, 60, pace=True)
    backend.close()
    return (*fps, paced["fps"], paced["cpu"]["cores"])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--frames", type=int, default=150, help="end-to-end frames per measurement")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "results" / "ort_options.md",
                   help="(default: %(default)s)")
    args = p.parse_args(argv)
    combos = list(itertools.product(("480p", "720p"), (1, 2), (True, False)))
    runs: dict[tuple, list[tuple[float, ...]]] = {c: [] for c in combos}
    for _ in range(args.rounds):
        for combo in combos:
            runs[combo].append(measure(*combo, args.frames))
    m = describe()
    lines = [f"# ONNX Runtime CPU options, {DEFAULT_STUDENT} student", "",
             f"Machine: {m['cpu']}, {m['cores']} cores. Medians of {args.rounds} interleaved rounds; end to end: "
             f"{args.frames} frames through the pipeline (video file, null sink); paced: 60 frames at 30 FPS "
             "like a camera, cores = process CPU time over wall time.", "",
             "| resolution | intra-op threads | spinning | model-only FPS | end-to-end FPS | paced FPS | "
             "cores busy paced |", "|---|---|---|---|---|---|---|"]
    for (res, threads, spinning), values in runs.items():
        cells = " | ".join(f"{statistics.median(v[i] for v in values):.{2 if i == 3 else 1}f}" for i in range(4))
        lines.append(f"| {res} | {threads} | {'on' if spinning else 'off'} | {cells} |")
    write_report(args.out, lines)


if __name__ == "__main__":
    main()
