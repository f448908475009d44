"""Engine sidecars: what a TensorRT engine was built for, and the check that refuses a mismatch.

A `.plan` is tied to the TensorRT version and the GPU it was built on, so every engine travels with
`<engine>.json` naming both (runtime/artifacts.py: sidecar_path). This module is pure Python: it reads and
compares, it never imports TensorRT, so the refusals are testable on any machine.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from runtime.artifacts import sidecar_path
from runtime.errors import SharpcamError

REBUILD = "rebuild it on this machine with 'make engines' (engine and ONNX files are code-like: load only trusted ones)"


@dataclass
class TensorInfo:
    name: str
    shape: list[int]
    dtype: str
    mode: str  # "input" or "output"


@dataclass
class EngineMeta:
    tensorrt_version: str
    gpu_name: str
    compute_capability: str
    precision: str
    onnx_sha256: str
    engine_sha256: str
    tensors: list[TensorInfo] = field(default_factory=list)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: Path) -> "EngineMeta":
        if not path.exists():
            raise SharpcamError(f"engine sidecar {path} is missing; {REBUILD}")
        try:
            raw = json.loads(path.read_text())
            raw["tensors"] = [TensorInfo(**t) for t in raw.get("tensors", [])]
            return cls(**raw)
        except (json.JSONDecodeError, TypeError) as err:
            raise SharpcamError(f"engine sidecar {path} is unreadable ({err}); {REBUILD}") from err


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_engine(engine: Path, tensorrt_version: str, gpu_name: str, compute_capability: str) -> EngineMeta:
    """Refuse an engine whose sidecar is missing, altered, or written for another TensorRT or GPU."""
    if not engine.exists():
        raise SharpcamError(f"engine {engine} not found; build it with 'make engines'")
    meta = EngineMeta.load(sidecar_path(engine))
    problems = []
    if sha256_file(engine) != meta.engine_sha256:
        problems.append("the engine file does not match its sidecar's sha256")
    if meta.tensorrt_version != tensorrt_version:
        problems.append(f"built with TensorRT {meta.tensorrt_version}, this machine has {tensorrt_version}")
    if (meta.gpu_name, meta.compute_capability) != (gpu_name, compute_capability):
        problems.append(f"built for {meta.gpu_name} (sm {meta.compute_capability}), "
                        f"this GPU is {gpu_name} (sm {compute_capability})")
    if problems:
        raise SharpcamError(f"refusing {engine}: " + "; ".join(problems) + f"; {REBUILD}")
    return meta
