"""Sidecars of ahead-of-time compiled PyTorch engines (`NAME_<res>.pt2`), and the check that refuses a mismatch.

An AOTInductor package holds machine code for one PyTorch build and (on CUDA) one GPU architecture, so it
travels with `NAME_<res>.pt2.json` naming the PyTorch and CUDA versions, the GPU, the frame size and the
package's sha256. Pure Python: it never imports torch, so the refusals are testable anywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runtime.artifacts import sidecar_path
from runtime.backends.engine_meta import altered, other_gpu, read_sidecar, refuse, write_sidecar
from runtime.errors import SharpcamError

FORMAT = "sharpcam-aot-1"
REBUILD = ("rebuild it on this machine with 'sharpcam export --aot' (or 'make engines'); engine files are "
           "code-like: load only trusted ones")


@dataclass
class AotMeta:
    torch_version: str
    cuda_version: str | None  # None for a CPU package
    device: str  # "cuda" or "cpu"
    gpu_name: str | None
    compute_capability: str | None
    precision: str  # "fp16" or "fp32"
    width: int
    height: int
    batch: int | None  # None: one frame (H x W x 3); an int: the largest batch of a batched engine
    layout: str  # "generic" or "lean" (export/graphs.py)
    state_dtype: str  # "float16" or "float32"
    checkpoint_sha256: str
    engine_sha256: str
    parity_max_levels: int  # the engine against the eager graph on real frames, in 8-bit levels
    parity_within: float  # share of values within export/aot_build.py's LEVELS of the eager graph
    format: str = FORMAT

    def save(self, path: Path) -> None:
        write_sidecar(path, self)

    @classmethod
    def load(cls, path: Path) -> "AotMeta":
        meta = read_sidecar(path, lambda raw: cls(**raw), REBUILD)
        if meta.format != FORMAT:
            raise SharpcamError(f"engine sidecar {path} has format {meta.format!r}, not {FORMAT!r}; {REBUILD}")
        return meta

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


@dataclass(frozen=True)
class Here:
    """What this machine offers an engine: PyTorch and CUDA versions, the GPU (None on a CPU-only machine)."""
    torch_version: str
    cuda_version: str | None
    gpu_name: str | None
    compute_capability: str | None


def check_aot_engine(engine: Path, here: Here) -> AotMeta:
    """Refuse an engine whose sidecar is missing or altered, or that was built for another PyTorch, CUDA or
    GPU, or for a CUDA GPU this machine lacks; return its sidecar."""
    if not engine.is_file():
        raise SharpcamError(f"engine {engine} not found; build it with 'sharpcam export --aot'")
    meta = AotMeta.load(sidecar_path(engine))
    problems = [p for p in (altered(engine, meta.engine_sha256),) if p]
    if meta.torch_version != here.torch_version:
        problems.append(f"built with PyTorch {meta.torch_version}, this machine has {here.torch_version}")
    if meta.device == "cuda" and here.gpu_name is None:
        problems.append(f"built for a CUDA GPU ({meta.gpu_name}) and this machine has none usable")
    elif meta.device == "cuda":
        if meta.cuda_version != here.cuda_version:
            problems.append(f"built with CUDA {meta.cuda_version}, this PyTorch has CUDA {here.cuda_version}")
        gpu = other_gpu((meta.gpu_name, meta.compute_capability), (here.gpu_name, here.compute_capability))
        problems += [gpu] if gpu else []
    refuse(engine, problems, REBUILD)
    return meta
