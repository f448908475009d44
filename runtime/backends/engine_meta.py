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
from typing import Callable, TypeVar

from runtime.artifacts import sidecar_path
from runtime.errors import SharpcamError

T = TypeVar("T")
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
        write_sidecar(path, self)

    @classmethod
    def load(cls, path: Path) -> "EngineMeta":
        def build(raw: dict) -> "EngineMeta":
            raw["tensors"] = [TensorInfo(**t) for t in raw.get("tensors", [])]
            return cls(**raw)
        return read_sidecar(path, build, REBUILD)


def write_sidecar(path: Path, meta) -> None:
    """A sidecar dataclass as JSON, written atomically (a half-written sidecar would refuse its engine)."""
    from runtime.files import write_text_atomic
    write_text_atomic(path, json.dumps(asdict(meta), indent=1))


def read_sidecar(path: Path, build: Callable[[dict], T], rebuild: str) -> T:
    """`build(the sidecar's JSON)`, or one SharpcamError that says the sidecar is missing or unreadable and how
    to rebuild the engine."""
    if not path.exists():
        raise SharpcamError(f"engine sidecar {path} is missing; {rebuild}")
    try:
        return build(json.loads(path.read_text()))
    except (json.JSONDecodeError, TypeError, AttributeError) as err:
        raise SharpcamError(f"engine sidecar {path} is unreadable ({err}); {rebuild}") from err


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
    problems = [p for p in (altered(engine, meta.engine_sha256),
                            other_gpu((meta.gpu_name, meta.compute_capability), (gpu_name, compute_capability)))
                if p]
    if meta.tensorrt_version != tensorrt_version:
        problems.append(f"built with TensorRT {meta.tensorrt_version}, this machine has {tensorrt_version}")
    refuse(engine, problems, REBUILD)
    return meta


def altered(engine: Path, recorded_sha256: str) -> str | None:
    return None if sha256_file(engine) == recorded_sha256 else "the engine file does not match its sidecar's sha256"


def other_gpu(built: tuple, here: tuple) -> str | None:
    """(name, compute capability) an engine was built for against this GPU's, in words when they differ."""
    return None if built == here else f"built for {built[0]} (sm {built[1]}), this GPU is {here[0]} (sm {here[1]})"


def refuse(engine: Path, problems: list[str], rebuild: str) -> None:
    if problems:
        raise SharpcamError(f"refusing {engine}: " + "; ".join(problems) + f"; {rebuild}")
