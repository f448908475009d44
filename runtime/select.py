"""Choosing a backend: an explicit engine or model, else the best one available for the frame size."""
from __future__ import annotations

from pathlib import Path

from runtime import models
from runtime.backends import Backend, OnnxBackend
from runtime.errors import SharpcamError
from runtime.graph_io import DEFAULT_STRENGTH

ENGINES = Path(__file__).resolve().parent.parent / "engines"
# The sizes engines are built for; export, runtime and benchmarks all read them from here.
RESOLUTIONS: dict[str, tuple[int, int]] = {"480p": (640, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
RESOLUTION_NAMES = {size: name for name, size in RESOLUTIONS.items()}
# Shipped students, each as engines/<name>.pt plus its graphs. "webcam" (the default everywhere) cleans,
# deblocks and sharpens real webcam frames; "fast" is the clean-blur CPU student and "seed" the report's
# architecture, both kept for the report's benchmark.
STUDENTS = ("webcam", "fast", "seed")
DEFAULT_STUDENT = "webcam"


def graph_path(student: str, resolution: str | None = None, fp16: bool = False, folder: Path = ENGINES) -> Path:
    """engines/fast.onnx (float, any size) or engines/fast_480p[_fp16].onnx (uint8 frames, fixed size)."""
    if resolution is None:
        return folder / f"{student}.onnx"
    return folder / f"{student}_{resolution}{'_fp16' if fp16 else ''}.onnx"


def plan_path(student: str, resolution: str, folder: Path = ENGINES) -> Path:
    return folder / f"{student}_{resolution}.plan"


def tensorrt_available() -> bool:
    try:
        import tensorrt  # noqa: F401
        from cuda.bindings import runtime  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


# --backend choices. auto: TensorRT where an engine and a GPU are present, else OpenVINO where installed
# (half the CPU time of ONNX Runtime: benchmarks/results/cpu_cost.md), else ONNX Runtime.
BACKENDS = ("auto", "tensorrt", "openvino", "onnxruntime")


def open_backend(engine: Path | None, model: Path | None, size: tuple[int, int],
                 threads: int = 0, student: str = DEFAULT_STUDENT,
                 strength: float = DEFAULT_STRENGTH, backend: str = "auto") -> tuple[Backend, str]:
    """(backend, one sentence saying what was chosen and why); without an engine or model, the best
    available graph of `student` for the frame size."""
    if engine is not None and model is not None:
        raise SharpcamError("give either --engine or --model, not both")
    if engine is not None:
        from runtime.trt_backend import TensorRTBackend
        return TensorRTBackend(engine, strength), f"TensorRT engine {engine}"
    if model is not None:
        if backend == "openvino":
            from runtime.openvino_backend import OpenVinoBackend
            chosen = OpenVinoBackend(model, threads, strength=strength)
        else:
            chosen = OnnxBackend(model, threads, strength=strength)
        return chosen, f"{chosen.name}, as asked"
    if student not in STUDENTS:
        raise SharpcamError(f"unknown student '{student}'; shipped: {', '.join(STUDENTS)}")
    return _auto(size, threads, student, strength, backend)


def _openvino(student: str, threads: int, strength: float, tried: list[str]) -> tuple[Backend, str] | None:
    from runtime.openvino_backend import OpenVinoBackend, openvino_available
    if not openvino_available():
        tried.append("OpenVINO (not installed: pip install 'sharpcam[openvino]')")
        return None
    graph = models.find_graph(student, "480p")  # any frame graph: OpenVINO reshapes it to the frame's size
    if graph is None:  # issue 13: looked up by name (runtime/models.py)
        tried.append(f"OpenVINO with {models.graph_name(student, '480p')} (missing)")
        return None
    chosen = OpenVinoBackend(graph, threads, strength=strength)
    return chosen, f"{chosen.name}: any frame size, the lowest CPU cost; tried first: {'; '.join(tried)}"


def _auto(size: tuple[int, int], threads: int, student: str, strength: float,
          backend: str = "auto") -> tuple[Backend, str]:
    res = RESOLUTION_NAMES.get(tuple(size))
    tried = []
    if backend == "openvino":
        found = _openvino(student, threads, strength, tried)
        if found is None:
            raise SharpcamError("--backend openvino: " + "; ".join(tried))
        return found
    if backend in ("auto", "tensorrt") and tensorrt_available():
        nearest = res or "480p"
        plan = models.find_plan(student, nearest)  # issue 13: looked up by name (runtime/models.py)
        if plan is not None:
            from runtime.trt_backend import TensorRTBackend
            return TensorRTBackend(plan, strength), f"TensorRT engine {plan} (TensorRT and a GPU are present)"
        tried.append(f"{models.plan_name(student, nearest)} (not built: run 'sharpcam export')")
    else:
        tried.append("TensorRT (not installed or no GPU)")
    if backend == "tensorrt":
        raise SharpcamError("--backend tensorrt: " + "; ".join(tried))
    if backend == "auto" and (found := _openvino(student, threads, strength, tried)) is not None:
        return found
    for name in ([models.graph_name(student, res)] if res else []) + [models.graph_name(student)]:
        path = models.find(name)  # issue 13: looked up by name (runtime/models.py)
        if path is not None:
            backend = OnnxBackend(path, threads, strength=strength)
            why = "matches the frame size" if res and res in path.name else "takes any frame size"
            return backend, f"{backend.name}: {why}; tried first: {'; '.join(tried)}"
        tried.append(f"{name} (missing)")
    raise SharpcamError("no model found; tried " + "; ".join(tried) + f" in {models.folders_text()}. "
                        "Run 'sharpcam export' (or 'make engines' in a checkout) to build them")
