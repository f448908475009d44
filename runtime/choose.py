"""Choosing a backend: an explicit engine or model, else the first candidate that works here.

The automatic choice walks an ordered list of candidates, each a function that opens a backend for the
request or raises `Unavailable` saying why not; the reasons are collected so the chosen line reads e.g.
"onnxruntime-cpu (webcam_480p.onnx): matches the frame size; tried first: TensorRT engine (TensorRT is not
importable ...)". A new backend is one more `Candidate` in `CANDIDATES`; --backend keeps one family.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from runtime import models
from runtime.backends import Backend, OnnxBackend
from runtime.contract import DEFAULT_STRENGTH, DEFAULT_STUDENT, RESOLUTION_NAMES, STUDENTS
from runtime.errors import SharpcamError
from runtime.models import graph_name, plan_name


@dataclass(frozen=True)
class Request:
    """What the caller needs: frames of `size` (None: any size, e.g. still images) from `student`'s files."""
    size: tuple[int, int] | None
    student: str = DEFAULT_STUDENT
    threads: int = 0
    strength: float = DEFAULT_STRENGTH
    folder: Path | None = None  # None: runtime/models.py's search folders (checkout, user cache, package)
    backend: str = "auto"  # a family from BACKENDS: only its candidates are tried

    @property
    def resolution(self) -> str | None:
        """The engines' name for this size (480p...), or None when no fixed-size file is built for it."""
        return RESOLUTION_NAMES.get(tuple(self.size)) if self.size is not None else None

    def find(self, name: str) -> Path | None:
        """A graph or engine file by name: in `folder`, or wherever runtime/models.py looks."""
        if self.folder is None:
            return models.find(name)
        return self.folder / name if (self.folder / name).is_file() else None


class Unavailable(Exception):
    """A candidate that cannot serve this request here; the message says why (shown to the user)."""


# --backend choices. auto: TensorRT where an engine and a GPU are present, else OpenVINO where installed
# (0.35-0.45x the CPU time of ONNX Runtime per frame: benchmarks/results/cpu_cost.md), else ONNX Runtime.
BACKENDS = ("auto", "tensorrt", "openvino", "onnxruntime")


@dataclass(frozen=True)
class Candidate:
    family: str  # one of BACKENDS but auto
    open: Callable[[Request], tuple[Backend, str]]  # (backend, why) or raises Unavailable


def open_tensorrt(plan: Path, strength: float = DEFAULT_STRENGTH) -> Backend:
    from runtime.trt_backend import TensorRTBackend  # imports TensorRT's Python module only when asked
    return TensorRTBackend(plan, strength)


def tensorrt_plan(req: Request) -> tuple[Backend, str]:
    """The student's engine for exactly this frame size; a stale one (no sidecar, another GPU or TensorRT)
    is passed over with the reason, so the ONNX graph still runs."""
    from runtime.cuda_device import gpu_stack_problem
    if req.resolution is None:
        raise Unavailable(f"TensorRT engine (none is built for {_size_text(req.size)}; engines are fixed-size)")
    plan = req.find(plan_name(req.student, req.resolution))
    if plan is None:
        raise Unavailable(f"TensorRT engine {plan_name(req.student, req.resolution)} (not built: run "
                          "'sharpcam export' or 'make engines' on the GPU machine)")
    problem = gpu_stack_problem()
    if problem:
        raise Unavailable(f"TensorRT engine {plan} ({problem})")
    try:
        return open_tensorrt(plan, req.strength), "TensorRT engine built for this GPU and frame size"
    except SharpcamError as err:
        raise Unavailable(f"TensorRT engine {plan} ({err})") from err


def openvino_graph(req: Request) -> tuple[Backend, str]:
    """OpenVINO on the CPU with the student's 480p frame graph, reshaped to the frame's own size."""
    from runtime.openvino_backend import OpenVinoBackend, openvino_available
    if not openvino_available():
        raise Unavailable("OpenVINO (not installed: pip install 'sharpcam[openvino]')")
    graph = req.find(graph_name(req.student, "480p"))
    if graph is None:
        raise Unavailable(f"OpenVINO with {graph_name(req.student, '480p')} (missing)")
    return OpenVinoBackend(graph, req.threads, strength=req.strength), "any frame size, the lowest CPU cost"


def onnx_frame_graph(req: Request) -> tuple[Backend, str]:
    if req.resolution is None:
        raise Unavailable(f"fixed-size ONNX graph (none is exported for {_size_text(req.size)})")
    path = req.find(graph_name(req.student, req.resolution))
    if path is None:
        raise Unavailable(f"{graph_name(req.student, req.resolution)} (missing)")
    return OnnxBackend(path, req.threads, strength=req.strength), "matches the frame size"


def onnx_any_size(req: Request) -> tuple[Backend, str]:
    path = req.find(graph_name(req.student))
    if path is None:
        raise Unavailable(f"{graph_name(req.student)} (missing)")
    return OnnxBackend(path, req.threads, strength=req.strength), "takes any frame size"


CANDIDATES: list[Candidate] = [Candidate("tensorrt", tensorrt_plan), Candidate("openvino", openvino_graph),
                               Candidate("onnxruntime", onnx_frame_graph), Candidate("onnxruntime", onnx_any_size)]


def choose(req: Request, candidates: list[Candidate] | None = None) -> tuple[Backend, str]:
    """The first candidate that opens, and one sentence saying what was chosen and what was passed over."""
    if req.student not in STUDENTS:
        raise SharpcamError(f"unknown student '{req.student}'; shipped: {', '.join(STUDENTS)}")
    if req.backend not in BACKENDS:
        raise SharpcamError(f"unknown backend '{req.backend}'; choose from {', '.join(BACKENDS)}")
    tried: list[str] = []
    for candidate in CANDIDATES if candidates is None else candidates:
        if req.backend not in ("auto", candidate.family):
            continue
        try:
            backend, why = candidate.open(req)
        except Unavailable as err:
            tried.append(str(err))
            continue
        return backend, f"{backend.name}: {why}" + (f"; tried first: {'; '.join(tried)}" if tried else "")
    if req.backend != "auto":
        raise SharpcamError(f"--backend {req.backend}: " + "; ".join(tried))
    where = req.folder if req.folder is not None else models.folders_text()
    raise SharpcamError(f"no model found; tried {'; '.join(tried)} in {where}. Run 'sharpcam export' (or "
                        "'make engines' in a checkout) to build them")


def open_backend(engine: Path | None, model: Path | None, size: tuple[int, int] | None, threads: int = 0,
                 student: str = DEFAULT_STUDENT, strength: float = DEFAULT_STRENGTH,
                 backend: str = "auto") -> tuple[Backend, str]:
    """(backend, why): the engine or model the user named (a model through OpenVINO when `backend` says so),
    else `choose` for the frame size (None: any size) within the `backend` family."""
    if engine is not None and model is not None:
        raise SharpcamError("give either --engine or --model, not both")
    if engine is not None:
        return open_tensorrt(engine, strength), f"TensorRT engine {engine}, as asked"
    if model is not None:
        if backend == "openvino":
            from runtime.openvino_backend import OpenVinoBackend
            chosen: Backend = OpenVinoBackend(model, threads, strength=strength)
        else:
            chosen = OnnxBackend(model, threads, strength=strength)
        return chosen, f"{chosen.name}, as asked"
    return choose(Request(size, student, threads, strength, backend=backend))


def _size_text(size: tuple[int, int] | None) -> str:
    return "any size" if size is None else f"{size[0]}x{size[1]}"
