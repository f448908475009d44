"""What each student of the family costs per frame on this CPU: the measured budget behind the tiers.

    python -m benchmarks.speed.family_cost                          # webcam (S), medium (M), large (L): ~3 min
    python -m benchmarks.speed.family_cost --students webcam,medium --folder runs/family/engines --rounds 5

For every student, backend (OpenVINO, ONNX Runtime), thread count (1, 2) and size (480p, 720p): the model's
milliseconds per frame (submit + collect of the deployed uint8 frame graph; OpenVINO reshapes the 480p graph
to 720p, ONNX Runtime runs the graph exported for the size). Each configuration is opened once; rounds visit
every configuration in turn (the machine's noise hits all alike) and the medians over rounds are reported,
with each student's cost as a ratio to the first student measured in the same round. The budgets the issue
names: S <= 16 ms per 480p frame on one core through OpenVINO; M 720p at 30 FPS on 2 cores (33 ms).
Writes OUT.md, OUT.json (default runs/results/family_cost).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import command_line, describe, write_markdown_and_json
from runtime.artifacts import RESOLUTIONS, find
from runtime.backends.base import Backend
from runtime.backends.factory import Request, cpu_graph_name, open_backend
from runtime.entry import exit_on_user_error, positive_int
from runtime.errors import SharpcamError

BACKENDS = ("openvino", "onnxruntime")


@dataclass(frozen=True)
class Config:
    student: str
    backend: str
    threads: int
    resolution: str

    @property
    def label(self) -> str:
        return f"{self.student} {self.backend} {self.threads}t {self.resolution}"


def graph_for(student: str, config: Config, folder: Path | None) -> Path:
    """The graph the runtime opens with this backend at this size (the factory's rule, cpu_graph_name)."""
    name = cpu_graph_name(student, config.backend, config.resolution)
    path = (folder / name if folder is not None else find(name))
    if path is None or not path.is_file():
        raise SharpcamError(f"{name} not found{f' in {folder}' if folder else ''}: export the student first "
                            f"(python -m export --students {student} --onnx-only)")
    return path


def open_config(config: Config, folder: Path | None) -> Backend:
    size = RESOLUTIONS[config.resolution]
    backend, _ = open_backend(Request(size, config.student, threads=config.threads, backend=config.backend,
                                      model=graph_for(config.student, config, folder)))
    return backend


def frame_ms(backend: Backend, frame: np.ndarray, frames: int) -> float:
    """Median milliseconds per frame over `frames` calls, after two warm-up calls (first-call allocations)."""
    for _ in range(2):
        backend.collect(backend.submit(frame))
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        backend.collect(backend.submit(frame))
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def measure(configs: list[Config], folder: Path | None, rounds: int, frames: int) -> dict[str, list[float]]:
    rng = np.random.default_rng(0)
    inputs = {r: rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for r, (w, h) in RESOLUTIONS.items()}
    results: dict[str, list[float]] = {c.label: [] for c in configs}
    with ExitStack() as stack:
        opened = {}
        for config in configs:
            backend = open_config(config, folder)
            stack.callback(backend.close)
            opened[config.label] = backend
        for round_ in range(rounds):
            for config in configs:
                results[config.label].append(frame_ms(opened[config.label], inputs[config.resolution], frames))
            print(f"round {round_ + 1}/{rounds}: " + ", ".join(f"{c.label} {results[c.label][-1]:.1f} ms"
                                                             for c in configs), flush=True)
    return results


def report(configs: list[Config], results: dict[str, list[float]], meta: dict) -> tuple[str, dict]:
    base = configs[0].student
    rows, data = [], []
    for config in configs:
        ms = results[config.label]
        ref = results[Config(base, config.backend, config.threads, config.resolution).label]
        ratio = statistics.median(a / b for a, b in zip(ms, ref))  # per round: the same moment of the machine
        data.append({**config.__dict__, "median_ms": statistics.median(ms), "rounds_ms": ms, "ratio": ratio})
        rows.append(f"| {config.student} | {config.backend} | {config.threads} | {config.resolution} | "
                    f"{statistics.median(ms):.1f} | {min(ms):.1f}-{max(ms):.1f} | {ratio:.2f}x |")
    md = [f"# Model time per frame of each student, this CPU\n", f"Command: `{meta['command']}`\n",
          f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores; load average before "
          f"{meta['load_before']:.2f}, after {meta['load_after']:.2f} (other work shares these cores).\n",
          f"Median over {meta['rounds']} interleaved rounds of the median of {meta['frames']} frames; ratio: to "
          f"{base} in the same round and configuration.\n",
          "| student | backend | threads | size | median ms | range over rounds | cost vs " + base + " |",
          "|---|---|---|---|---|---|---|", *rows]
    return "\n".join(md) + "\n", {"meta": meta, "results": data}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", default="webcam,medium,large",
                   help="comma-separated, the first is the reference for the ratios (default: %(default)s: the "
                        "per-frame S, M, L; make family adds recurrent, the S for video)")
    p.add_argument("--folder", type=Path, help="where the graphs are (default: where the runtime finds them)")
    p.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated from " + ", ".join(BACKENDS))
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    p.add_argument("--sizes", default="480p,720p", help="comma-separated from " + ", ".join(RESOLUTIONS))
    p.add_argument("--rounds", type=positive_int, default=3)
    p.add_argument("--frames", type=positive_int, default=8, help="timed frames per configuration and round")
    p.add_argument("--out", type=Path, default=Path("runs/results/family_cost"))
    args = p.parse_args(argv)
    for name, allowed in (("backends", BACKENDS), ("sizes", tuple(RESOLUTIONS))):
        bad = [v for v in getattr(args, name).split(",") if v not in allowed]
        if bad:
            p.error(f"--{name}: {', '.join(bad)} not in {', '.join(allowed)}")
    return args


def main(argv: list[str] | None = None) -> None:
    def run() -> None:
        args = parse_args(argv)
        configs = [Config(s, b, int(t), r) for r in args.sizes.split(",") for b in args.backends.split(",")
                   for t in args.threads.split(",") for s in args.students.split(",")]
        load_before = os.getloadavg()[0]
        results = measure(configs, args.folder, args.rounds, args.frames)
        meta = {"command": command_line("benchmarks.speed.family_cost", argv), "machine": describe(),
                "load_before": load_before, "load_after": os.getloadavg()[0], "rounds": args.rounds,
                "frames": args.frames}
        md, data = report(configs, results, meta)
        write_markdown_and_json(args.out, md, data)
        print(md)
        print(f"wrote {args.out.with_suffix('.md')} and {args.out.with_suffix('.json')}")
    exit_on_user_error(run)


if __name__ == "__main__":
    main()
