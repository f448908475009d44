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


def open_backend(engine: Path | None, model: Path | None, size: tuple[int, int],
                 threads: int = 0, student: str = DEFAULT_STUDENT,
                 strength: float = DEFAULT_STRENGTH) -> tuple[Backend, str]:
    """(backend, one sentence saying what was chosen and why); without an engine or model, the best
    available graph of `student` for the frame size."""
    if engine is not None and model is not None:
        raise SharpcamError("give either --engine or --model, not both")
    if engine is not None:
        from runtime.trt_backend import TensorRTBackend
        return TensorRTBackend(engine, strength), f"TensorRT engine {engine}"
    if model is not None:
        backend = OnnxBackend(model, threads, strength=strength)
        return backend, f"{backend.name}, as asked"
    if student not in STUDENTS:
        raise SharpcamError(f"unknown student '{student}'; shipped: {', '.join(STUDENTS)}")
    return _auto(size, threads, student, strength)


def _auto(size: tuple[int, int], threads: int, student: str, strength: float) -> tuple[Backend, str]:
    res = RESOLUTION_NAMES.get(tuple(size))
    tried = []
    if tensorrt_available():
        nearest = res or "480p"
        plan = models.find_plan(student, nearest)  # issue 13: looked up by name (runtime/models.py)
        if plan is not None:
            from runtime.trt_backend import TensorRTBackend
            return TensorRTBackend(plan, strength), f"TensorRT engine {plan} (TensorRT and a GPU are present)"
        tried.append(f"{models.plan_name(student, nearest)} (not built: run 'sharpcam export')")
    else:
        tried.append("TensorRT (not installed or no GPU)")
    for name in ([models.graph_name(student, res)] if res else []) + [models.graph_name(student)]:
        path = models.find(name)  # issue 13: looked up by name (runtime/models.py)
        if path is not None:
            backend = OnnxBackend(path, threads, strength=strength)
            why = "matches the frame size" if res and res in path.name else "takes any frame size"
            return backend, f"{backend.name}: {why}; tried first: {'; '.join(tried)}"
        tried.append(f"{name} (missing)")
    raise SharpcamError("no model found; tried " + "; ".join(tried) + f" in {models.folders_text()}. "
                        "Run 'sharpcam export' (or 'make engines' in a checkout) to build them")
