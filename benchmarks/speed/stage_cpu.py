"""CPU time of each step a frame takes through runtime.cam, one step at a time, per frame size.

    python -m benchmarks.speed.stage_cpu --out runs/stage_cpu
    python -m benchmarks.speed.stage_cpu --sizes 720p --repeats 50

The pipeline's threads overlap, so its status line gives wall-clock latency per stage but cannot say which
stage burns the CPU (the inference engine's own threads do most of it). Here each step runs alone, many
times, on a frame of the built-in clip, and the process CPU time (user+sys, every thread) per call is
recorded: what a webcam's MJPG decode costs, what the model costs per engine, what the load policies add
around it, and what the virtual camera's colour conversion costs. Medians over --rounds rounds, the
steps interleaved. Writes OUT.md and OUT.json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np


from benchmarks.common import command_line, describe, write_markdown_and_json
from runtime.backends.adaptive import AdaptiveBackend, SkipConfig
from runtime.imaging import grey_thumbnail
from runtime.entry import positive_int, resolutions, threads
from runtime.backends.onnxruntime import OnnxBackend
from runtime.artifacts import DEFAULT_STUDENT, RESOLUTION_NAMES, RESOLUTIONS, graph_path
from runtime.sources import BuiltinClip


def steps_for(frame: np.ndarray, student: str, threads: int) -> dict[str, Callable[[], object]]:
    """Name -> one call of that step on `frame` (BGR)."""
    res = RESOLUTION_NAMES[(frame.shape[1], frame.shape[0])]
    jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1]
    steps: dict[str, Callable[[], object]] = {
        "capture: MJPG decode": lambda: cv2.imdecode(jpeg, cv2.IMREAD_COLOR),
        "policy skip: thumbnail": lambda: grey_thumbnail(frame, SkipConfig().thumbnail_divisor),
        "vcam: BGR -> I420": lambda: cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420),
    }
    ort = OnnxBackend(graph_path(student, res), threads, device="cpu")
    steps["model: onnxruntime"] = lambda: ort.submit(frame)
    try:
        from runtime.backends.openvino import OpenVinoBackend
    except ImportError:
        return steps
    for t in sorted({threads, 1}):
        ov = OpenVinoBackend(graph_path(student, "480p"), t)
        steps[f"model: openvino {ov.precision}, {t or 'all'} thread{'s' if t != 1 else ''}"] = \
            (lambda b=ov: b.submit(frame))
    for policy in ("scale75", "scale50"):
        wrapped = AdaptiveBackend(OpenVinoBackend(graph_path(student, "480p"), threads), policy)
        steps[f"model + policy {policy}: openvino"] = (lambda b=wrapped: b.submit(frame))
    return steps


def cpu_ms(step: Callable[[], object], repeats: int) -> float:
    start = time.process_time()
    for _ in range(repeats):
        step()
    return 1000 * (time.process_time() - start) / repeats


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=resolutions, default=list(RESOLUTIONS),
                   help="comma-separated of " + ", ".join(RESOLUTIONS) + " (default: all)")
    p.add_argument("--student", default=DEFAULT_STUDENT, help="(default: %(default)s)")
    p.add_argument("--threads", type=threads, default=0, help="engine threads (0: one per core; default: %(default)s)")
    p.add_argument("--repeats", type=positive_int, default=20, help="calls per step per round (default: %(default)s)")
    p.add_argument("--rounds", type=positive_int, default=3, help="(default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("runs/stage_cpu"), help="OUT.md and OUT.json")
    args = p.parse_args(argv)
    sizes = args.sizes
    results: dict[str, dict[str, float]] = {}
    for size in sizes:
        frame = BuiltinClip(RESOLUTIONS[size]).read()
        steps = steps_for(frame, args.student, args.threads)
        for step in steps.values():  # warm up: first calls compile and allocate
            step(), step()
        samples: dict[str, list[float]] = {name: [] for name in steps}
        for _ in range(args.rounds):
            for name, step in steps.items():
                samples[name].append(cpu_ms(step, args.repeats))
        results[size] = {name: round(statistics.median(v), 2) for name, v in samples.items()}
        print(size, results[size], file=sys.stderr)
    names = list(dict.fromkeys(n for r in results.values() for n in r))
    command = command_line("benchmarks.speed.stage_cpu", argv)
    machine = describe()  # once: it may ask nvidia-smi
    lines = ["# CPU time per frame of each step, alone", "", f"Command: `{command}`. Machine: {machine}.", "",
             "Process CPU ms (user+sys, all threads) per call, median of rounds; 33.3 ms = one core at 30 FPS.", "",
             "| step | " + " | ".join(sizes) + " |", "|---|" + "---|" * len(sizes)]
    for n in names:
        lines.append(f"| {n} | " + " | ".join(f"{results[s].get(n, float('nan')):.2f}" for s in sizes) + " |")
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_markdown_and_json(args.out, text, {"machine": machine, "ms": results})
    print(text)


if __name__ == "__main__":
    main()
