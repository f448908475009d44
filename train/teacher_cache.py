"""Teacher outputs on disk: one content-keyed, atomic cache for the patch bank and the evaluation.

The RRDB teacher costs ~2 s per training patch and ~20 s per 640x480 test image on a 2-core CPU, so its
outputs are kept, each as NAME.npy where NAME is the sha256 of a JSON key listing everything the output
depends on: the clean image's sha256, the degradation parameters (and crop), the teacher mode, the
teacher weights' sha256, and a tag of the caller's format. Files are written through runtime's atomic
writer: a killed run (or two ranks of a torchrun job racing) leaves the old file or the new one, never
half of one; a file that cannot be read is computed again.
"""
from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from runtime.files import write_bytes_atomic


class TeacherCache:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, key: list) -> Path:
        """The file for `key` (JSON-serialisable; the same key always names the same file)."""
        return self.folder / f"{hashlib.sha256(json.dumps(key).encode()).hexdigest()}.npy"

    def get(self, key: list, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The stored output for `key`, or `compute()`'s, stored first."""
        path = self.path(key)
        if path.exists():
            try:
                return np.load(path)
            except (OSError, ValueError, EOFError):
                pass  # unreadable (written by hand, or by a version that wrote non-atomically): recompute
        out = compute()
        buffer = io.BytesIO()
        np.save(buffer, out)
        write_bytes_atomic(path, buffer.getvalue(), "; free disk space or choose another cache folder")
        return out
