"""Speed, latency and quality report: `make bench`, `python benchmarks/fps.py` or `python -m benchmarks.speed.fps`.

For each available backend (TensorRT engine, ONNX Runtime CUDA, ONNX Runtime CPU, PyTorch CPU/CUDA as a
reference) and resolution: model-only FPS (median after warm-up), end-to-end FPS through the real pipeline
(video file source, null sink), per-stage latency p50/p95/p99, peak memory, multiply-adds per frame and
achieved GFLOP/s, process CPU time per frame, and the cores busy when paced at 30 FPS like a camera (the
headline CPU figure: what a video-call app is left). Each measurement runs in its own process. Writes
runs/results/fps.{md,json,png} (`make results` promotes them to benchmarks/results/),
naming the machine; the report's own figures sit in the same table, marked as quoted.

    python -m benchmarks.speed.fps           # every available backend, 480p/720p/1080p (a few minutes on 2 cores)
    python -m benchmarks.speed.fps --quick   # ONNX Runtime CPU at 480p only, under a minute
    python -m benchmarks.speed.fps --backends ort-cpu,torch-cpu --resolutions 480p,720p --repeats 5 --json raw.json
"""
from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path


from benchmarks.common import ROOT, describe
from benchmarks.speed.flops import conv_macs
from benchmarks.speed.fps_report import write_report
from runtime.artifacts import DEFAULT_STUDENT, RESOLUTIONS, SHIPPED_STUDENTS, graph_path, plan_path
from runtime.entry import (check_writable_dir, check_writable_file, exit_on_user_error, int_at_least, names_from,
                           path_arg, positive_float, positive_int, resolutions)
from runtime.files import write_text_atomic

BACKENDS = ("trt", "ort-cuda", "ov-cpu", "ort-cpu", "torch-cuda", "torch-cpu")
QUOTED = {"480p": 31.4, "720p": 10.9, "1080p": 4.7}  # report section 5.1.2; GPU and precision not named


def available_backends() -> list[str]:
    found = ["ort-cpu"]
    from runtime.backends.openvino import openvino_available
    if openvino_available():
        found.append("ov-cpu")
    try:
        import onnxruntime
        if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            found.append("ort-cuda")
    except ImportError:
        found.remove("ort-cpu")
    try:
        import torch
        found.append("torch-cpu")
        if torch.cuda.is_available():
            found.append("torch-cuda")
    except ImportError:
        pass
    from runtime.backends.cuda_device import gpu_stack_problem
    if plan_path(DEFAULT_STUDENT, "480p").exists() and gpu_stack_problem() is None:
        found.append("trt")
    return [b for b in BACKENDS if b in found]


def measure(student: str, backend: str, res: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.speed.worker", backend, res, "--student", student,
           "--warmup", str(args.warmup), "--repeats", str(args.repeats), "--frames", str(args.frames),
           "--paced-frames", str(args.paced_frames)]
    start = time.perf_counter()
    row = {"student": student, "backend": backend, "resolution": res}
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:  # one slow measurement is a failed row, not the end of the report
        return {**row, "error": [f"timed out after {args.timeout:g} s (--timeout)"]}
    if proc.returncode != 0:
        return {**row, "error": proc.stderr.strip().splitlines()[-1:]}
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {**row, "error": ["the worker printed no result: " + proc.stdout.strip()[-200:]]}
    result["wall_s"] = round(time.perf_counter() - start, 1)
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backends", type=names_from(BACKENDS), default=None,
                   help=f"comma-separated from {','.join(BACKENDS)} (default: all available)")
    p.add_argument("--resolutions", type=resolutions, default="480p,720p,1080p",
                   help="comma-separated from %s (default: %%(default)s)" % ",".join(RESOLUTIONS))
    p.add_argument("--students", type=names_from(SHIPPED_STUDENTS), default=",".join(SHIPPED_STUDENTS),
                   help="shipped students (default: %(default)s)")
    p.add_argument("--warmup", type=int_at_least(0), default=1, help="untimed runs first (default: %(default)s)")
    p.add_argument("--repeats", type=positive_int, default=3,
                   help="model-only timed runs; the median is reported (default: %(default)s)")
    p.add_argument("--frames", type=positive_int, default=6,
                   help="frames through the end-to-end pipeline (default: %(default)s)")
    p.add_argument("--paced-frames", type=int_at_least(0), default=60,
                   help="frames through the pipeline paced at 30 FPS like a camera, whose CPU share is the "
                        "headline CPU figure (0: skip; default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="ONNX Runtime CPU, 480p, 2 repeats, 3 frames, 30 paced")
    p.add_argument("--out", type=path_arg("--out"), default=ROOT / "runs" / "results",
                   help="report folder; 'make results' promotes runs/results to benchmarks/results "
                        "(default: %(default)s)")
    p.add_argument("--json", type=path_arg("--json"), help="also write the raw results here")
    p.add_argument("--timeout", type=positive_float, default=900,
                   help="seconds per measurement; one past it is a failed row (default: %(default)s)")
    args = p.parse_args(argv)
    if args.quick:
        args.backends, args.resolutions, args.repeats, args.frames = ["ort-cpu"], ["480p"], 2, 3
        args.paced_frames = min(args.paced_frames, 30)
        args.students = [DEFAULT_STUDENT]
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    return exit_on_user_error(lambda: run(args))


def run(args: argparse.Namespace) -> dict:
    check_writable_dir(args.out, "--out")  # before minutes of measuring, not after
    if args.json:
        check_writable_file(args.json, "--json")
    backends = args.backends or available_backends()

    machine = describe()
    print(f"machine: {machine['cpu']} x{machine['cores']}, GPU: {machine['gpu'] or 'none'}", file=sys.stderr)
    results, macs_of = [], {}
    for student, res, backend in itertools.product(args.students, args.resolutions, backends):
        if (student, res) not in macs_of:  # shape inference on the graph: once per student and size
            macs_of[(student, res)] = conv_macs(graph_path(student), *RESOLUTIONS[res])
        macs = macs_of[(student, res)]
        r = measure(student, backend, res, args)
        r["gmac_per_frame"] = round(macs / 1e9, 2)
        if "model_only" in r:
            r["achieved_gflops"] = round(2 * macs / 1e9 * r["model_only"]["fps"], 1)
        results.append(r)
        status = r.get("error") or (f"{r['model_only']['fps']} fps model-only, {r['end_to_end']['fps']} fps end to end"
                                    + (f", {r['paced']['cpu']['cores']} cores at 30 FPS" if "paced" in r else ""))
        print(f"{student:>5} {backend:>10} {res:>5}: {status}", file=sys.stderr)
    report = {"machine": machine, "quoted_report_fps": QUOTED, "settings": {
        "warmup": args.warmup, "repeats": args.repeats, "frames": args.frames, "paced_frames": args.paced_frames},
        "results": results}
    write_report(report, args.out, quality=ROOT / "benchmarks" / "results" / "quality.md")
    if args.json:
        write_text_atomic(args.json, json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
