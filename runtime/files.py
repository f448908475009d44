"""Results written whole or not at all: beside the target, then renamed over it."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from runtime.errors import SharpcamError


def write_bytes_atomic(path: Path, data: bytes, advice: str = "") -> None:
    """Write beside the target, then rename: a crash leaves the old file or the new one, never half of one,
    and no temporary file (Ctrl-C or a full disk included). An OSError becomes a SharpcamError + `advice`."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):  # e.g. a file where the folder should be: nothing was created
            tmp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise SharpcamError(f"cannot write {path} ({err.strerror or err}){advice}") from err
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode())
