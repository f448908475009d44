"""Sidecars of ahead-of-time compiled PyTorch engines (`NAME_<res>.pt2`), and the check that refuses a mismatch.

An AOTInductor package holds machine code for one PyTorch build and (on CUDA) one GPU architecture, so it
travels with `NAME_<res>.pt2.json` naming the PyTorch and CUDA versions, the GPU, the frame size and the
package's sha256. Pure Python: it never imports torch, so the refusals are testable anywhere.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from runtime.artifacts import sidecar_path
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
        from runtime.files import write_text_atomic
        write_text_atomic(path, json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: Path) -> "AotMeta":
        if not path.exists():
            raise SharpcamError(f"engine sidecar {path} is missing; {REBUILD}")
        try:
            raw = json.loads(path.read_text())
            meta = cls(**raw)
        except (json.JSONDecodeError, TypeError) as err:
            raise SharpcamError(f"engine sidecar {path} is unreadable ({err}); {REBUILD}") from err
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
    from runtime.backends.engine_meta import sha256_file
    if not engine.is_file():
        raise SharpcamError(f"engine {engine} not found; build it with 'sharpcam export --aot'")
    meta = AotMeta.load(sidecar_path(engine))
    problems = []
    if sha256_file(engine) != meta.engine_sha256:
        problems.append("the engine file does not match its sidecar's sha256")
    if meta.torch_version != here.torch_version:
        problems.append(f"built with PyTorch {meta.torch_version}, this machine has {here.torch_version}")
    if meta.device == "cuda":
        if here.gpu_name is None:
            problems.append(f"built for a CUDA GPU ({meta.gpu_name}) and this machine has none usable")
        else:
            if meta.cuda_version != here.cuda_version:
                problems.append(f"built with CUDA {meta.cuda_version}, this PyTorch has CUDA {here.cuda_version}")
            if (meta.gpu_name, meta.compute_capability) != (here.gpu_name, here.compute_capability):
                problems.append(f"built for {meta.gpu_name} (sm {meta.compute_capability}), "
                                f"this GPU is {here.gpu_name} (sm {here.compute_capability})")
    if problems:
        raise SharpcamError(f"refusing {engine}: " + "; ".join(problems) + f"; {REBUILD}")
    return meta
