"""`make gpu-check`'s steps for the PyTorch GPU engines (.pt2): build them, compare the engine forms, run the
real pipeline end to end, and find how many streams one GPU holds. Each step returns a dict with "ok".

  engines    `sharpcam export --aot cuda` for the webcam student at 480p/720p/1080p, plus batched engines at
             720p and 1080p, built in parallel processes (compiling is CPU-bound codegen)
  forms      model-only ms per 1080p frame on the GPU: eager FP16, eager + CUDA graph, the AOT package, the AOT
             package + CUDA graph (the backend's form): which form to ship, measured
  pipeline   `runtime.cam --engine NAME_<res>.pt2` from an uncompressed AVI (so no video decoder is timed) to the
             null sink, free-running and paced at 30 FPS: FPS, per-stage p50/p95/p99, the latency the pipeline
             adds (frame handed over -> output written); and the double buffer's overlap with the real model
  streams    benchmarks/gpu/streams.py --find-max at 720p and 1080p, concurrent and batched
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT

STUDENT = "webcam"
BATCH = 512  # the largest stream count a batched engine takes per call
BATCHED_AT = ("720p", "1080p")


def build_engines(folder: Path, device: str = "cuda", resolutions: tuple[str, ...] = ("480p", "720p", "1080p")) -> dict:
    """Every .pt2 the later steps use: one export process per resolution, all at once, each into its own
    folder (`engine_path`)."""
    procs, start = {}, time.perf_counter()
    for res in resolutions:
        batch = ["--aot-batch", str(BATCH)] if res in BATCHED_AT else []
        cmd = [sys.executable, "-m", "export", "--students", STUDENT, "--aot", device, "--out", str(folder / res),
               "--resolutions", res, *batch]
        procs[res] = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    results = {res: {"rc": p.wait(timeout=900), "tail": p.stdout.read().strip().splitlines()[-3:]}
               for res, p in procs.items()}
    built = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.pt2"))
    return {"ok": all(r["rc"] == 0 for r in results.values()), "seconds": round(time.perf_counter() - start, 1),
            "built": built, "jobs": results}


def engine_path(folder: Path, res: str, batched: bool = False) -> Path:
    from runtime.artifacts import aot_path
    return aot_path(STUDENT, res, folder=folder / res, batch=BATCH if batched else None)


def engines_in(folder: Path) -> dict[str, Path]:
    """{resolution: single-frame engine} for the resolutions build_engines made."""
    from runtime.artifacts import RESOLUTIONS
    return {res: engine_path(folder, res) for res in RESOLUTIONS if engine_path(folder, res).is_file()}


def _gpu_ms(run, repeats: int = 200) -> float:
    """Median ms of `run()` on the current stream, by CUDA events, after warm-up."""
    import torch
    for _ in range(10):
        run()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        run()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return round(float(np.median(times)), 4)


def _graphed(fn):
    import torch
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fn()
    return graph.replay


def forms(folder: Path, res: str = "1080p") -> dict:
    import torch

    from export.graphs import frame_graph, graph_inputs
    from runtime.artifacts import RESOLUTIONS, checkpoint_path
    from train.checkpoint import student_from_checkpoint

    width, height = RESOLUTIONS[res]
    student, _ = student_from_checkpoint(checkpoint_path(STUDENT))
    graph = frame_graph(student, torch.float16, lean=False).cuda().eval()
    frame, state, strength = (t.cuda() for t in graph_inputs(torch.zeros(height, width, 3, dtype=torch.uint8),
                                                             torch.float16))
    out_frame, out_state = torch.empty_like(frame), torch.empty_like(state)
    runner = torch._inductor.aoti_load_package(str(engine_path(folder, res)))

    def step(model):
        def run():
            out, new_state = model(frame, state, strength)
            out_frame.copy_(out)
            out_state.copy_(new_state)
        return run

    rows = {}
    with torch.no_grad():
        for name, model in (("eager", graph), ("aot", runner)):
            rows[f"{name}_ms"] = _gpu_ms(step(model))
            try:
                rows[f"{name}_cuda_graph_ms"] = _gpu_ms(_graphed(step(model)))
            except Exception as err:  # noqa: BLE001 - a form that cannot be captured is a finding
                rows[f"{name}_cuda_graph_ms"] = f"capture failed: {type(err).__name__}: {err}"
    return {"ok": True, "resolution": res, "precision": "fp16", **rows}


def uncompressed_clip(path: Path, size: tuple[int, int], frames: int = 30) -> Path:
    """An AVI of raw BGR frames (rawvideo bgr24) from the built-in clip: reading it costs a copy, not a decode.
    (OpenCV's VideoWriter with fourcc 0 wrote a compressed stream here, so PyAV writes it.)"""
    import av

    from runtime.sources import BuiltinClip
    clip = BuiltinClip(size, seconds=frames / 30.0)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("rawvideo", rate=30)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "bgr24"
        for _ in range(frames):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(clip.read(), format="bgr24")))
        out.mux(stream.encode())
    return path


def _cam(engine: Path, clip: Path, stats: Path, extra: list[str]) -> dict:
    cmd = [sys.executable, "-m", "runtime.cam", "--engine", str(engine), "--source", str(clip), "--loop",
           "--sink", "null", "--quiet", "--stats", str(stats), "-y", *extra]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-3:]}
    s = json.loads(stats.read_text())
    return {"fps": s["fps"], "frames": s["frames"], "dropped": s["dropped"], "backend": s["backend"],
            "stages": s["stages"], "pinned_frames": s.get("pinned_frames"),  # None: every frame was copied
            "command": " ".join(["python -m runtime.cam", *cmd[3:]])}


def pipeline(engines: dict[str, Path], work: Path, free_frames: int = 2000, paced_frames: int = 300) -> dict:
    """runtime.cam on each {resolution: engine}, from an uncompressed clip at the engine's size."""
    from runtime.backends.aot_meta import AotMeta
    from runtime.artifacts import sidecar_path
    rows = []
    for res, engine in engines.items():
        clip = uncompressed_clip(work / f"raw_{res}.avi", AotMeta.load(sidecar_path(engine)).size)
        free = _cam(engine, clip, work / f"free_{res}.json", ["--frames", str(free_frames)])
        paced = _cam(engine, clip, work / f"paced_{res}.json", ["--frames", str(paced_frames), "--pace"])
        rows.append({"resolution": res, "free": free, "paced": paced, "overlap": _overlap(engine)})
    ok = bool(rows) and all("error" not in r["free"] and "error" not in r["paced"] for r in rows)
    return {"ok": ok, "rows": rows}


def _overlap(engine: Path, frames: int = 24) -> dict:
    """The double buffer's events with the real model: did upload/download overlap the other slot's compute?"""
    from benchmarks.gpu.gpu_check import overlap
    from runtime.backends.torch_aot import TorchAotBackend
    from runtime.sources import BuiltinClip
    backend = TorchAotBackend(engine)
    try:
        ref = backend.mark()
        clip = BuiltinClip(backend.size)
        times, pending = [], None
        for _ in range(frames):
            handle = backend.submit(clip.read())
            if pending is not None:
                backend.collect(pending)
                times.append(backend.timeline(pending, ref))
            pending = handle
        return {"cuda_graphs": backend.cuda_graphs, **overlap(times)}
    finally:
        backend.close()


def streams(folder: Path, work: Path, seconds: float = 2.0, resolutions: tuple[str, ...] = BATCHED_AT,
            max_streams: int = BATCH) -> dict:
    rows = {}
    for res in resolutions:
        out = work / f"streams_{res}"
        cmd = [sys.executable, "-m", "benchmarks.gpu.streams", "--engine", str(engine_path(folder, res)),
               "--batched", str(engine_path(folder, res, batched=True)), "--find-max", "--seconds", str(seconds),
               "--max-streams", str(max_streams), "--out", str(out)]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            rows[res] = {"error": done.stderr.strip().splitlines()[-3:]}
            continue
        report = json.loads(out.with_suffix(".json").read_text())
        rows[res] = {"max_streams": report["max_streams"], "trials": report["trials"],
                     "command": report["command"]}
    return {"ok": all("error" not in r for r in rows.values()), "rows": rows}


def host_copies(run: dict) -> str:
    """Whether frames went in and out through lent pinned frames (no host copy) or were copied, and its p50."""
    pinned = run.get("pinned_frames") or {}
    parts = []
    for side, stage in (("inputs", "copy_in"), ("outputs", "copy_out")):
        pool = pinned.get(side)
        parts.append(f"{side} lent ({pool['misses']} misses)" if pool is not None else
                     f"{side} copied ({run['stages'].get(stage, {}).get('p50_ms', '?')} ms)")
    return ", ".join(parts)


def markdown(steps: dict) -> list[str]:
    """Tables for the engine steps that ran."""
    lines: list[str] = []
    rows = steps.get("pipeline", {}).get("rows", [])
    if rows:
        lines += ["", "## runtime.cam end to end on the PyTorch engine (uncompressed AVI -> null sink)", "",
                  "| resolution | free FPS | added latency p50/p95/p99 ms | paced FPS | paced added latency "
                  "p50/p99 ms | infer p50 ms | overlap (upload, download during compute) | CUDA graphs | host copies |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            free, paced, ov = r["free"], r["paced"], r["overlap"]
            if "error" in free or "error" in paced:
                lines.append(f"| {r['resolution']} | error: {free.get('error') or paced.get('error')} ||||||||")
                continue
            e2e, pe2e = free["stages"]["end_to_end"], paced["stages"]["end_to_end"]
            lines.append(f"| {r['resolution']} | {free['fps']} | {e2e['p50_ms']} / {e2e['p95_ms']} / {e2e['p99_ms']} | "
                         f"{paced['fps']} | {pe2e['p50_ms']} / {pe2e['p99_ms']} | {free['stages']['infer']['p50_ms']} | "
                         f"{ov['upload_during_compute']}, {ov['download_during_compute']} of {ov['pairs']} | "
                         f"{ov['cuda_graphs']} | {host_copies(free)} |")
    for res, row in steps.get("streams", {}).get("rows", {}).items():
        if "max_streams" in row:
            lines += ["", f"Streams at {res} (30 FPS each, p99 added latency <= 33 ms): "
                      + ", ".join(f"{mode} {n}" for mode, n in row["max_streams"].items())]
    forms_row = steps.get("forms", {})
    if "eager_ms" in forms_row:
        lines += ["", f"Engine forms, model-only ms per {forms_row['resolution']} frame (FP16): "
                  + ", ".join(f"{k.removesuffix('_ms')} {v}" for k, v in forms_row.items() if k.endswith("_ms"))]
    return lines
