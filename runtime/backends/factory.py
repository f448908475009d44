"""Opening a backend, the one way every caller does (runtime.cam's session, runtime.sharpen, the benchmarks'
worker): an explicit engine or model, else the first candidate that works here.

An engine the user names (--engine) is opened by its file suffix (ENGINE_KINDS: .plan is TensorRT); a model
(--model, an ONNX graph) by ONNX Runtime, or OpenVINO when --backend openvino says so. Otherwise the automatic
choice walks an ordered list of candidates, each a function that opens a backend for the
request or raises `Unavailable` saying why not; the reasons are collected so the chosen line reads e.g.
"onnxruntime-cpu (webcam_480p.onnx): matches the frame size; tried first: TensorRT engine (TensorRT is not
importable ...)". A new backend is one more `Candidate` in `CANDIDATES` (a new compiled engine kind: one
more entry in ENGINE_KINDS and a Candidate between TensorRT and OpenVINO); --backend keeps one family.
GPU engines in order: a TensorRT plan, else an ahead-of-time compiled PyTorch engine (.pt2, where PyTorch with
CUDA is installed and TensorRT cannot be); torch is imported only once such an engine file is found.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from runtime import artifacts
from runtime.artifacts import DEFAULT_STUDENT, RESOLUTION_NAMES, STUDENTS, aot_name, graph_name, plan_name
from runtime.backends.base import Backend
from runtime.backends.onnxruntime import OnnxBackend
from runtime.contract import DEFAULT_STRENGTH
from runtime.errors import SharpcamError
from runtime.optional import extra_install


@dataclass(frozen=True)
class Request:
    """What the caller needs: frames of `size` (None: any size, e.g. still images) from `student`'s files,
    or from the engine or model the user named."""
    size: tuple[int, int] | None = None
    student: str = DEFAULT_STUDENT
    threads: int = 0
    strength: float = DEFAULT_STRENGTH
    folder: Path | None = None  # None: runtime/artifacts.py's search folders (checkout, user cache, package)
    backend: str = "auto"  # a family from BACKENDS: only its candidates are tried
    engine: Path | None = None  # a compiled engine the user named, opened by its suffix (ENGINE_KINDS)
    model: Path | None = None  # an ONNX graph the user named
    device: str = "auto"  # ONNX Runtime's: auto (CUDA where onnxruntime-gpu finds a GPU), cpu or cuda

    @property
    def resolution(self) -> str | None:
        """The engines' name for this size (480p...), or None when no fixed-size file is built for it."""
        return RESOLUTION_NAMES.get(tuple(self.size)) if self.size is not None else None

    def find(self, name: str) -> Path | None:
        """A graph or engine file by name: in `folder`, or wherever runtime/artifacts.py looks."""
        if self.folder is None:
            return artifacts.find(name)
        return self.folder / name if (self.folder / name).is_file() else None


class Unavailable(Exception):
    """A candidate that cannot serve this request here; the message says why (shown to the user)."""


# --backend choices. auto: TensorRT where an engine and a GPU are present, else a PyTorch engine (.pt2) for
# this GPU, else OpenVINO where installed (0.35-0.45x the CPU time of ONNX Runtime per frame:
# benchmarks/results/cpu_cost.md), else ONNX Runtime.
BACKENDS = ("auto", "tensorrt", "pytorch", "openvino", "onnxruntime")


@dataclass(frozen=True)
class Candidate:
    family: str  # one of BACKENDS but auto
    open: Callable[[Request], tuple[Backend, str]]  # (backend, why) or raises Unavailable


def open_tensorrt(plan: Path, strength: float = DEFAULT_STRENGTH) -> Backend:
    from runtime.backends.tensorrt import TensorRTBackend  # imports TensorRT's Python module only when asked
    return TensorRTBackend(plan, strength)


@dataclass(frozen=True)
class EngineKind:
    """A compiled engine file type that --engine takes: what to call it, and how to open one."""
    what: str
    open: Callable[[Path, float], Backend]  # (path, strength) -> backend


def open_pytorch(package: Path, strength: float = DEFAULT_STRENGTH) -> Backend:
    try:
        from runtime.backends.torch_aot import TorchAotBackend  # the one runtime module that imports torch
    except ImportError as err:
        raise SharpcamError(f"{package} needs PyTorch ({err}): pip install torch (a CUDA build, on the machine the "
                            "engine was built for), or use the ONNX graphs with --model") from err
    return TorchAotBackend(package, strength)


# --engine FILE, by its suffix (runtime/artifacts.py: ENGINE_SUFFIXES).
ENGINE_KINDS: dict[str, EngineKind] = {artifacts.PLAN_SUFFIX: EngineKind("TensorRT engine", open_tensorrt),
                                       artifacts.AOT_SUFFIX: EngineKind("PyTorch AOT engine", open_pytorch)}


def tensorrt_plan(req: Request) -> tuple[Backend, str]:
    """The student's engine for exactly this frame size; a stale one (no sidecar, another GPU or TensorRT)
    is passed over with the reason, so the ONNX graph still runs."""
    from runtime.backends.cuda_device import gpu_stack_problem
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


def pytorch_engine(req: Request) -> tuple[Backend, str]:
    """The student's AOTInductor package for this frame size, built for a CUDA GPU. A CPU package is passed
    over (OpenVINO and ONNX Runtime serve CPUs; --engine insists), as is one for another GPU or PyTorch."""
    from runtime.artifacts import sidecar_path
    from runtime.backends.aot_meta import AotMeta
    if req.resolution is None:
        raise Unavailable(f"PyTorch engine (none is built for {_size_text(req.size)}; engines are fixed-size)")
    name = aot_name(req.student, req.resolution)
    package = req.find(name)
    if package is None:
        raise Unavailable(f"PyTorch engine {name} (not built: run 'sharpcam export --aot' on the GPU machine)")
    try:
        if AotMeta.load(sidecar_path(package)).device != "cuda":
            raise Unavailable(f"PyTorch engine {package} (a CPU package: --engine {package.name} to use it)")
        return open_pytorch(package, req.strength), "PyTorch AOT engine built for this GPU and frame size"
    except SharpcamError as err:
        raise Unavailable(f"PyTorch engine {package} ({err})") from err


# OpenVINO reshapes one graph to any frame size, so it takes this one; ONNX Runtime runs the graph exported for
# the frame's own size (or the float any-size graph where none is exported).
OPENVINO_GRAPH_RESOLUTION = "480p"


def cpu_graph_name(student: str, family: str, resolution: str | None) -> str:
    """The ONNX graph file the `family` ("openvino" or "onnxruntime") candidate opens for `student`'s frames
    of `resolution` (None: a size without a fixed-size graph). Benchmarks that time a backend at a size open
    the graph named here, so they time what the runtime runs."""
    if family == "openvino":
        return graph_name(student, OPENVINO_GRAPH_RESOLUTION)
    if family == "onnxruntime":
        return graph_name(student, resolution)
    raise ValueError(f"{family!r} opens no ONNX graph by name; the CPU families are openvino and onnxruntime")


def openvino_graph(req: Request) -> tuple[Backend, str]:
    """OpenVINO on the CPU with the student's 480p frame graph, reshaped to the frame's own size."""
    from runtime.backends.openvino import OpenVinoBackend, openvino_available
    if not openvino_available():
        raise Unavailable("OpenVINO (not installed: pip install 'sharpcam[openvino]')")
    name = cpu_graph_name(req.student, "openvino", req.resolution)
    graph = req.find(name)
    if graph is None:
        raise Unavailable(f"OpenVINO with {name} (missing)")
    return OpenVinoBackend(graph, req.threads, strength=req.strength), "any frame size, the lowest CPU cost"


def onnx_frame_graph(req: Request) -> tuple[Backend, str]:
    if req.resolution is None:
        raise Unavailable(f"fixed-size ONNX graph (none is exported for {_size_text(req.size)})")
    name = cpu_graph_name(req.student, "onnxruntime", req.resolution)
    path = req.find(name)
    if path is None:
        raise Unavailable(f"{name} (missing)")
    return OnnxBackend(path, req.threads, req.device, strength=req.strength), "matches the frame size"


def onnx_any_size(req: Request) -> tuple[Backend, str]:
    name = cpu_graph_name(req.student, "onnxruntime", None)
    path = req.find(name)
    if path is None:
        raise Unavailable(f"{name} (missing)")
    return OnnxBackend(path, req.threads, req.device, strength=req.strength), "takes any frame size"


CANDIDATES: list[Candidate] = [Candidate("tensorrt", tensorrt_plan), Candidate("pytorch", pytorch_engine),
                               Candidate("openvino", openvino_graph), Candidate("onnxruntime", onnx_frame_graph),
                               Candidate("onnxruntime", onnx_any_size)]


def files_for(req: Request) -> list[str]:
    """Every file name the candidates look for to serve `req` (its student, its frame size): whether a
    student can run here at all, before opening it."""
    names = [cpu_graph_name(req.student, family, None) for family in ("onnxruntime", "openvino")]  # any size
    if req.resolution is not None:
        names += [cpu_graph_name(req.student, "onnxruntime", req.resolution), plan_name(req.student, req.resolution),
                  aot_name(req.student, req.resolution)]
    return names


def choose(req: Request, candidates: list[Candidate] | None = None) -> tuple[Backend, str]:
    """The first candidate that opens, and one sentence saying what was chosen and what was passed over."""
    if req.student not in STUDENTS:
        raise SharpcamError(f"unknown student '{req.student}'; known: {', '.join(STUDENTS)}")
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
    where = req.folder if req.folder is not None else artifacts.folders_text()
    raise SharpcamError(f"no model found; tried {'; '.join(tried)} in {where}. Run 'sharpcam export' (or "
                        "'make engines' in a checkout) to build them")


def open_backend(req: Request) -> tuple[Backend, str]:
    """(backend, why): the engine or model the user named (a model through OpenVINO when `req.backend` says
    so), else `choose` for the frame size (None: any size) within the `req.backend` family."""
    if req.engine is not None and req.model is not None:
        raise SharpcamError("give either --engine or --model, not both")
    if req.engine is not None:
        kind = engine_kind(req.engine)
        return kind.open(req.engine, req.strength), f"{kind.what} {req.engine}, as asked"
    if req.model is not None:
        if req.backend == "openvino":
            from runtime.backends.openvino import OpenVinoBackend
            chosen: Backend = OpenVinoBackend(req.model, req.threads, strength=req.strength)
        else:
            chosen = OnnxBackend(req.model, req.threads, req.device, strength=req.strength)
        return chosen, f"{chosen.name}, as asked"
    return choose(req)


def headline(backend: Backend, why: str) -> str:
    """One short line for the terminal: the engine that runs and, on the base install, how to get the faster
    one (the full `why`, with every candidate passed over, goes to --stats)."""
    chosen = why.split("; tried first: ")[0]
    if backend.name.startswith("onnxruntime-cpu"):
        from runtime.backends.openvino import openvino_available
        if not openvino_available():
            chosen += f"; for under half the CPU time: {extra_install('openvino')}"
    return chosen


def engine_kind(path: Path) -> EngineKind:
    """The kind of compiled engine a file is, by its suffix."""
    kind = ENGINE_KINDS.get(Path(path).suffix)
    if kind is None:
        raise SharpcamError(f"--engine {path}: not a compiled engine ({', '.join(ENGINE_KINDS)}); give an ONNX "
                            "graph with --model instead")
    return kind


def _size_text(size: tuple[int, int] | None) -> str:
    return "any size" if size is None else f"{size[0]}x{size[1]}"
