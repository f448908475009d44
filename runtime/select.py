"""Choosing a backend: an explicit engine or model, else the best one available for the frame size."""
from __future__ import annotations

from pathlib import Path

from runtime.backends import Backend, OnnxBackend
from runtime.errors import SharpcamError

ENGINES = Path(__file__).resolve().parent.parent / "engines"
# The sizes engines are built for; export, runtime and benchmarks all read them from here.
RESOLUTIONS: dict[str, tuple[int, int]] = {"480p": (640, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
RESOLUTION_NAMES = {size: name for name, size in RESOLUTIONS.items()}


def tensorrt_available() -> bool:
    try:
        import tensorrt  # noqa: F401
        from cuda.bindings import runtime  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def open_backend(engine: Path | None, model: Path | None, size: tuple[int, int],
                 threads: int = 0) -> tuple[Backend, str]:
    """(backend, one sentence saying what was chosen and why)."""
    if engine is not None and model is not None:
        raise SharpcamError("give either --engine or --model, not both")
    if engine is not None:
        from runtime.trt_backend import TensorRTBackend
        return TensorRTBackend(engine), f"TensorRT engine {engine}"
    if model is not None:
        backend = OnnxBackend(model, threads)
        return backend, f"{backend.name}, as asked"
    return _auto(size, threads)


def _auto(size: tuple[int, int], threads: int) -> tuple[Backend, str]:
    res = RESOLUTION_NAMES.get(tuple(size))
    tried = []
    if tensorrt_available():
        nearest = res or "480p"
        plan = ENGINES / f"{nearest}.plan"
        if plan.exists():
            from runtime.trt_backend import TensorRTBackend
            return TensorRTBackend(plan), f"TensorRT engine {plan} (TensorRT and a GPU are present)"
        tried.append(f"{plan} (not built: run 'make engines')")
    else:
        tried.append("TensorRT (not installed or no GPU)")
    candidates = ([ENGINES / f"student_{res}.onnx"] if res else []) + [ENGINES / "student.onnx"]
    for path in candidates:
        if path.exists():
            backend = OnnxBackend(path, threads)
            why = "matches the frame size" if res and res in path.name else "takes any frame size"
            return backend, f"{backend.name}: {why}; tried first: {'; '.join(tried)}"
        tried.append(f"{path} (missing)")
    raise SharpcamError("no model found; tried " + "; ".join(tried) + ". Run 'make engines' to export them")
