"""`make gpu-check`: the GPU path, exercised in a few minutes on a CUDA machine (no network needed).

Needs PyTorch with CUDA and cuda-python; CuPy gives the double buffer a real compute step; TensorRT is
optional (its tests skip without it). Steps, each recorded even when another fails:

  tests          the CUDA tests (the real-GPU double buffer, the PyTorch engine with no allocation per frame, the
                 TensorRT ones where TensorRT is installed)
  double_buffer  runtime/backends/double_buffer.py on the device with a stand-in compute kernel (CuPy; a device copy
                 without it): CUDA events of every frame show whether frame N+1's upload and frame N's
                 download ran while the other slot computed
  engines, forms, pipeline, streams
                 the PyTorch GPU engines (.pt2) built, the engine forms compared, runtime.cam end to end on them,
                 and the most streams one GPU holds (benchmarks/gpu/engine_check.py)
  students       PyTorch CUDA FP16 timings of each shipped student at 480p, 720p and 1080p (frame in and
                 out of the GPU included), the reference the TensorRT engines should beat
  distill        a smoke distillation through torchrun on CUDA (AMP; DDP when there are several GPUs)

Writes benchmarks/results/gpu/<device name>/gpu_check.{json,md}. Exit status: 0 when every step passed,
1 when one failed; without a CUDA GPU it says why and exits 0 with nothing written ("skipped").

    make gpu-check PY=python3          # on the GPU machine, with its own Python
    python -m benchmarks.gpu.gpu_check --steps double_buffer,students --repeats 10
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path


from benchmarks.common import ROOT, command_line, write_markdown_and_json
from benchmarks.gpu import engine_check
from benchmarks.speed.fps import names_from
from runtime.entry import exit_on_user_error, positive_int

STEPS = ("tests", "double_buffer", "engines", "forms", "pipeline", "streams", "students", "distill")


def cuda_problem() -> str | None:
    """None when PyTorch sees a CUDA GPU and cuda-python is importable; else what is missing."""
    try:
        import torch
    except ImportError:
        return "PyTorch is not installed"
    if not torch.cuda.is_available():
        return "PyTorch sees no CUDA GPU"
    from runtime.backends.cuda_device import cudart
    return None if cudart is not None else "cuda-python is not installed (pip install cuda-python)"


def folder_name(device: str) -> str:
    """'NVIDIA H100 80GB HBM3' -> 'NVIDIA-H100-80GB-HBM3': one safe path component."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", device).strip("-") or "unknown-gpu"


def overlap(frames: list[dict[str, float]]) -> dict:
    """From each frame's event times (ms), in submission order: how many consecutive pairs overlapped
    copy and compute (N+1's upload during N's compute, N's download during N+1's compute), and the time
    taken against the time the same work takes one step after another."""
    def during(a: tuple[float, float], b: tuple[float, float]) -> bool:
        return min(a[1], b[1]) - max(a[0], b[0]) > 0

    pairs = list(zip(frames, frames[1:]))
    uploads = sum(during((n1["start"], n1["uploaded"]), (n["computing"], n["inferred"])) for n, n1 in pairs)
    downloads = sum(during((n["downloading"], n["done"]), (n1["computing"], n1["inferred"])) for n, n1 in pairs)
    serial = sum((f["uploaded"] - f["start"]) + (f["inferred"] - f["computing"]) + (f["done"] - f["downloading"])
                 for f in frames)
    span = max(f["done"] for f in frames) - min(f["start"] for f in frames)
    return {"pairs": len(pairs), "upload_during_compute": uploads, "download_during_compute": downloads,
            "span_ms": round(span, 3), "serial_ms": round(serial, 3), "speedup": round(serial / max(span, 1e-9), 2)}


def run_tests() -> dict:
    cmd = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-m", "gpu", "tests"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = proc.stdout.strip().splitlines()
    return {"ok": proc.returncode == 0, "summary": lines[-1] if lines else proc.stderr[-500:],
            "skipped": [line for line in lines if line.startswith("SKIPPED")]}


def double_buffer(frames: int = 24, size: tuple[int, int] = (1920, 1080)) -> dict:
    import numpy as np

    from benchmarks.gpu.gpu_standin import standin_launch
    from runtime.backends.cuda_device import CudaDevice
    from runtime.backends.double_buffer import DoubleBuffer

    device = CudaDevice()
    shape = (size[1], size[0], 3)
    launch, reference, kind = standin_launch()
    buffers = DoubleBuffer(device, launch, shape, shape)
    try:
        ref = buffers.mark()
        rng = np.random.default_rng(0)
        inputs = [rng.integers(0, 256, shape, np.uint8) for _ in range(frames)]
        times, outputs, pending = [], [], None
        for frame in inputs:  # the pipeline's pattern: submit N+1, then collect N
            handle = buffers.submit(frame)
            if pending is not None:
                outputs.append(_collect(buffers, pending, ref, times))
            pending = handle
        outputs.append(_collect(buffers, pending, ref, times))
        correct = all(np.array_equal(out, reference(frame)) for out, frame in zip(outputs[:3], inputs[:3]))
    finally:
        buffers.free()
        device.close()
    stage = {name: round(float(np.median([t[end] - t[begin] for t in times])), 3) for name, begin, end in
             (("upload_ms", "start", "uploaded"), ("compute_ms", "computing", "inferred"),
              ("download_ms", "downloading", "done"))}
    for name in ("host_copy_in", "host_copy_out"):  # the pinned-memory copies on the CPU, per frame
        stage[f"{name}_ms"] = round(float(np.median([t[name] for t in times])), 3)
    result = {"compute": kind, "frames": frames, "size": f"{size[0]}x{size[1]}", "outputs_correct": correct,
              **stage, **overlap(times), "event_ms": [{k: round(v, 3) for k, v in t.items()} for t in times]}
    result["ok"] = correct and result["upload_during_compute"] > 0
    return result


def _collect(buffers, handle, ref, times: list[dict]):
    out, timings = buffers.collect(handle)  # the slot's events are complete now, not reused before the next submit
    times.append({**buffers.timeline(handle, ref),
                  "host_copy_in": 1000 * timings["copy_in"], "host_copy_out": 1000 * timings["copy_out"]})
    return out


def students(repeats: int) -> dict:
    import torch

    from benchmarks.speed.worker import TorchFrameBackend, model_only
    from runtime.artifacts import RESOLUTIONS, SHIPPED_STUDENTS, checkpoint_path
    from runtime.sources import BuiltinClip

    rows = []
    for student in SHIPPED_STUDENTS:
        backend = TorchFrameBackend(checkpoint_path(student), "cuda")
        for res, size in RESOLUTIONS.items():
            backend.reset()
            timing = model_only(backend, BuiltinClip(size).read(), warmup=5, repeats=repeats)
            rows.append({"student": student, "resolution": res, **timing})
        backend.close()
    return {"ok": True, "precision": "fp16", "peak_gpu_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1),
            "rows": rows}


def distill(work: Path) -> dict:
    import torch

    from train.corpus import write_sample_corpus

    gpus = torch.cuda.device_count()
    corpus, run = write_sample_corpus(work / "corpus"), work / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={gpus}",
           "-m", "train.distill", "--preset", "smoke", "--alpha", "1", "--corpus", str(corpus),
           "--run-dir", str(run), "--fresh"]
    start = time.perf_counter()
    # run in the scratch folder: the patch cache (data/cache/...) goes there, not into the checkout
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    metrics = run / "metrics.json"
    history = json.loads(metrics.read_text()) if metrics.exists() else []
    return {"ok": proc.returncode == 0 and bool(history), "gpus": gpus, "ddp": gpus > 1,
            "note": "" if gpus > 1 else "one GPU: world size 1, so AMP ran but not DDP",
            "seconds": round(time.perf_counter() - start, 1), "epochs": history,
            "output_tail": (proc.stdout + proc.stderr).strip().splitlines()[-5:]}


def markdown(report: dict) -> str:
    lines = [f"# GPU check: {report['device']}", "", f"{report['when']}; torch {report['torch']}; "
             f"`{report.get('command', 'python -m benchmarks.gpu.gpu_check')}`", ""]
    for step, result in report["steps"].items():
        lines.append(f"- **{step}**: {'ok' if result.get('ok') else 'FAILED'} "
                     + json.dumps({k: v for k, v in result.items() if k not in ("rows", "epochs", "ok", "event_ms")}))
    rows = report["steps"].get("students", {}).get("rows", [])
    if rows:
        lines += ["", "| student | resolution | median ms | fps |", "|---|---|---|---|"]
        lines += [f"| {r['student']} | {r['resolution']} | {r['median_ms']} | {r['fps']} |" for r in rows]
    return "\n".join(lines + engine_check.markdown(report["steps"])) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=names_from(STEPS), default=",".join(STEPS), help="(default: %(default)s)")
    p.add_argument("--repeats", type=positive_int, default=30, help="timed runs per student and size (default: %(default)s)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "gpu",
                   help="results go to OUT/<device name>/ (default: %(default)s)")
    args = p.parse_args(argv)
    problem = cuda_problem()
    if problem:
        print(f"gpu-check skipped: {problem}. Run it on a machine with an NVIDIA GPU, PyTorch with CUDA and "
              "cuda-python (CuPy for a real compute step).", file=sys.stderr)
        return 0
    return exit_on_user_error(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    import torch
    device = torch.cuda.get_device_name(0)
    out = args.out / folder_name(device)
    out.mkdir(parents=True, exist_ok=True)
    report = {"device": device, "when": time.strftime("%Y-%m-%d %H:%M"), "torch": torch.__version__,
              "command": command_line("benchmarks.gpu.gpu_check", None), "steps": {}}
    steps: dict[str, dict] = report["steps"]
    with tempfile.TemporaryDirectory() as tmp:
        engines, work = Path(tmp) / "engines", Path(tmp) / "work"
        work.mkdir()
        jobs = {"tests": run_tests, "double_buffer": double_buffer,
                "engines": lambda: engine_check.build_engines(engines), "forms": lambda: engine_check.forms(engines),
                "pipeline": lambda: engine_check.pipeline(engine_check.engines_in(engines), work),
                "streams": lambda: engine_check.streams(engines, work),
                "students": lambda: students(args.repeats), "distill": lambda: distill(Path(tmp))}
        for step in args.steps:
            start = time.perf_counter()
            try:
                steps[step] = jobs[step]()
            except Exception as err:  # noqa: BLE001 - one broken step must not hide the others' results
                steps[step] = {"ok": False, "error": f"{type(err).__name__}: {err}"}
            steps[step]["wall_s"] = round(time.perf_counter() - start, 1)
            print(f"{step}: {'ok' if steps[step]['ok'] else 'FAILED'} ({steps[step]['wall_s']} s)", file=sys.stderr)
            # after every step: device time is short, and a run cut off at its limit keeps what it measured
            write_markdown_and_json(out / "gpu_check", markdown(report), report)
    print(f"wrote {out}/gpu_check.json and .md", file=sys.stderr)
    return 0 if all(s["ok"] for s in steps.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
