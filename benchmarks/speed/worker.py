"""One benchmark measurement, run in its own process so its peak memory is its own.

    python -m benchmarks.speed.worker BACKEND RESOLUTION --student fast --repeats N --frames N   (prints one JSON object)

BACKEND: ort-cpu, ov-cpu (OpenVINO), ort-cuda, trt, torch-cpu, torch-cuda (FP16; stands in for TensorRT where
it is absent). Model-only: one uint8 BGR frame in, one out, transfers included, capture and output excluded;
median of `repeats` after `warmup`, and the process CPU time per frame. End to end: the real pipeline
(video file source, null sink, lossless queues), then paced at 30 FPS like a camera (--paced-frames): the
CPU share a call app would leave.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from runtime.artifacts import DEFAULT_STUDENT, RESOLUTIONS, SHIPPED_STUDENTS, checkpoint_path, graph_path, plan_path
from runtime.backends.factory import Request, open_backend as open_runtime_backend
from runtime.entry import int_at_least, positive_int, threads
from runtime.imaging import opencv
from runtime.session import SessionConfig, open_session
from runtime.sources import BuiltinClip



class TorchFrameBackend:
    """PyTorch reference: the same frame graph the export writes, run eagerly (FP16 on CUDA)."""
    in_flight = 1
    threads = None  # torch's own
    multiple = 1
    compiles_per_size = False

    def __init__(self, checkpoint: Path, device: str) -> None:
        import torch

        from export.graphs import FrameGraph
        from train.checkpoint import student_from_checkpoint
        student, _ = student_from_checkpoint(checkpoint)
        self.torch, self.device = torch, torch.device(device)
        dtype = torch.float16 if device == "cuda" else torch.float32
        self.graph = FrameGraph(student, dtype).to(self.device).eval()
        self.name, self.size, self.strength, self.dtype = f"torch-{device}", None, 1.0, dtype
        self._state = None  # the temporal filter's state, kept on the device as the TensorRT path does

    def reset(self) -> None:
        self._state = None

    def submit(self, frame: np.ndarray):
        from export.graphs import graph_inputs
        torch = self.torch
        start = time.perf_counter()
        with torch.inference_mode():
            x, reset, strength = graph_inputs(torch.from_numpy(frame), self.dtype)
            if self._state is None:
                self._state = reset.to(self.device)
            out, self._state = self.graph(x.to(self.device), self._state,
                                          torch.full_like(strength, self.strength).to(self.device))
            out = out.cpu().numpy()
        return out, {"infer": time.perf_counter() - start}

    def collect(self, handle):
        return handle

    def close(self) -> None:
        pass


def open_backend(kind: str, res: str, student: str, threads: int = 0, graph: Path | None = None):
    """The runtime's backends through its one factory (runtime/backends/factory.py), each on the file this
    benchmark names; the PyTorch reference, which the torch-free runtime does not have, here."""
    if kind in ("torch-cpu", "torch-cuda"):
        return TorchFrameBackend(checkpoint_path(student), kind.split("-")[1])
    if kind == "ov-cpu":  # one frame graph serves every size: OpenVINO reshapes it
        request = Request(threads=threads, backend="openvino", model=graph or graph_path(student, "480p"))
    elif kind in ("ort-cpu", "ort-cuda"):
        request = Request(threads=threads, backend="onnxruntime", model=graph or graph_path(student, res),
                          device=kind.split("-")[1])
    elif kind == "trt":
        request = Request(engine=plan_path(student, res))
    else:
        raise ValueError(f"unknown backend {kind}")
    return open_runtime_backend(request)[0]


def model_only(backend, frame: np.ndarray, warmup: int, repeats: int, budget_s: float = float("inf")) -> dict:
    """Median of `repeats` timed runs, or of as many as fit in `budget_s` (at least 3)."""
    for _ in range(warmup):
        backend.collect(backend.submit(frame))
    times: list[float] = []
    cpu_start = time.process_time()  # every thread of the process: the engine's own threads included
    while len(times) < repeats and (len(times) < 3 or sum(times) < budget_s):
        start = time.perf_counter()
        backend.collect(backend.submit(frame))
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {"median_ms": round(median * 1000, 2), "fps": round(1 / median, 2), "repeats": len(times),
            "min_ms": round(min(times) * 1000, 2), "max_ms": round(max(times) * 1000, 2),
            "cpu_ms": round(1000 * (time.process_time() - cpu_start) / len(times), 2)}


def frames_of(source) -> Iterator[np.ndarray]:
    """Every frame of a finite source (read() until it gives None)."""
    while (frame := source.read()) is not None:
        yield frame


def write_mjpg(path: Path, frames: Iterable[np.ndarray], size: tuple[int, int], fps: float = 30.0) -> Path:
    """BGR frames as an MJPG .avi: a webcam's usual stream, decoded by the capture stage as a camera's would be."""
    cv2 = opencv()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def end_to_end(backend, size: tuple[int, int], frames: int, pace: bool = False) -> dict:
    """The pipeline over a `frames`-long MJPG clip; `pace`: played at 30 FPS like a camera (late frames dropped)."""
    with tempfile.TemporaryDirectory() as tmp:
        clip = BuiltinClip(size, seconds=frames / 30)
        path = write_mjpg(Path(tmp) / "clip.avi", frames_of(clip), size)
        cfg = SessionConfig(str(path), "null", load_policy=None, pace=pace, quiet=True)  # the engine alone
        with open_session(cfg, backend, log=None) as session:
            return session.run()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("backend")
    p.add_argument("resolution", choices=list(RESOLUTIONS))
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeats", type=positive_int, default=3)
    p.add_argument("--budget-s", type=float, default=float("inf"),
                   help="stop model-only timing after this many seconds (at least 3 runs)")
    p.add_argument("--frames", type=positive_int, default=6, help="frames through the end-to-end pipeline")
    p.add_argument("--e2e-seconds", type=float,
                   help="instead of --frames: as many frames as the model-only speed fits in this many seconds")
    p.add_argument("--paced-frames", type=int_at_least(0), default=60,
                   help="frames through the pipeline paced at 30 FPS, for the CPU share (0: skip)")
    p.add_argument("--graph", type=Path, help="ort-*/ov-cpu: this frame graph instead of the student's shipped one")
    p.add_argument("--student", choices=SHIPPED_STUDENTS, default=DEFAULT_STUDENT)
    p.add_argument("--threads", type=threads, default=0, help="ONNX Runtime CPU threads (0: all cores)")
    args = p.parse_args(argv)
    size = RESOLUTIONS[args.resolution]
    backend = open_backend(args.backend, args.resolution, args.student, args.threads, args.graph)
    frame = BuiltinClip(size).read()
    result = {"backend": args.backend, "student": args.student, "name": backend.name, "resolution": args.resolution,
              "model_only": model_only(backend, frame, args.warmup, args.repeats, args.budget_s)}
    frames = args.frames
    if args.e2e_seconds:
        frames = int(min(300, max(6, args.e2e_seconds * result["model_only"]["fps"])))
    result["end_to_end"] = end_to_end(backend, size, frames)
    if args.paced_frames:
        backend.reset()
        result["paced"] = end_to_end(backend, size, args.paced_frames, pace=True)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.backend == "torch-cuda":
        result["peak_gpu_mb"] = round(backend.torch.cuda.max_memory_allocated() / 2**20, 1)
    backend.close()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
