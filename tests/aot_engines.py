"""Small CPU builds of the shipped webcam student as ahead-of-time compiled PyTorch engines (.pt2), for the
engine's own tests and the streams benchmark's (fixtures `aot_engine`, `aot_batched_engine` in conftest.py).
The same export and backend code as on a GPU, compiled for the CPU (this machine has no GPU)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINT = ROOT / "engines" / "webcam.pt"
SIZE = (64, 48)  # a multiple of the student's unshuffle factor; small, so compiling takes seconds


def clip(n: int = 6) -> list[np.ndarray]:
    """Real photographs framed at SIZE, each shown for a few frames: a still scene, then cuts."""
    from export.samples import as_frame, sample_rgb
    stills = [as_frame(im, SIZE) for im in sample_rgb()]
    return [stills[i * len(stills) // n] for i in range(n)]


def build_cpu_engine(path: Path, batch: int | None = None) -> Path:
    """The shipped webcam student compiled for the CPU at SIZE (~15-25 s here)."""
    from export.aot_build import build_aot_engine
    from runtime.backends.engine_meta import sha256_file
    from train.checkpoint import student_from_checkpoint
    student, _ = student_from_checkpoint(CHECKPOINT)
    build_aot_engine(student, sha256_file(CHECKPOINT), path, SIZE, clip(), device="cpu", batch=batch)
    return path
