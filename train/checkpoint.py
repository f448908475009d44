"""Checkpoints that carry their model arguments, written atomically, loaded with weights_only=True."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch
from torch import nn

from runtime.files import write_bytes_atomic
from runtime.errors import SharpcamError
from train.student import build_student

FORMAT = "sharpcam-student-v1"


def save_atomic(obj: dict[str, Any], path: Path) -> None:
    """torch.save through runtime's atomic writer: a kill never leaves a torn checkpoint."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes_atomic(path, buffer.getvalue(), "; free disk space or choose another --run-dir")


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if path.is_symlink() and not path.exists():  # a loop, or a link whose target is gone
        raise SharpcamError(f"checkpoint {path} is a symbolic link that leads to no file (a loop or a missing "
                            "target); replace it with the checkpoint itself")
    if not path.exists():
        raise SharpcamError(f"checkpoint not found: {path} (train one with 'make train')")
    if not path.is_file() and not path.is_dir():  # a FIFO: torch.load would wait for a writer for ever
        raise SharpcamError(f"checkpoint {path} is not a regular file (a FIFO, socket or device); give the .pt file")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated, foreign or non-weights-only pickles
        raise SharpcamError(f"{path}: not a readable sharpcam checkpoint ({err})") from err
    found = ckpt.get("format") if isinstance(ckpt, dict) else None
    if isinstance(found, str) and found.startswith("sharpcam-student-") and found != FORMAT:
        raise SharpcamError(f"{path}: a sharpcam checkpoint of format {found!r}, which this version does not read "
                            f"(it reads {FORMAT}); use the sharpcam that wrote it, or retrain")
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise SharpcamError(f"{path}: not a sharpcam student checkpoint (expected format {FORMAT})")
    model = ckpt.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("name"), str) or not isinstance(model.get("args"), dict) \
            or not isinstance(ckpt.get("state_dict"), dict):
        raise SharpcamError(f"{path}: its model description or weights are missing or malformed")
    return ckpt


def student_from_checkpoint(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the student named in the checkpoint and load its weights strictly, in eval mode."""
    ckpt = load_checkpoint(path)
    try:
        model = build_student(ckpt["model"]["name"], ckpt["model"]["args"])
    except (TypeError, ValueError, RuntimeError) as err:  # RuntimeError: torch refusing a negative size
        raise SharpcamError(f"{path}: its model {ckpt['model']} cannot be built ({err})") from err
    try:
        model.load_state_dict(ckpt["state_dict"], strict=True)
    except (RuntimeError, TypeError, AttributeError) as err:
        raise SharpcamError(f"{path}: weights do not fit {ckpt['model']}: {err}") from err
    return model.eval(), ckpt


def ship(best: Path, out: Path) -> None:
    """Write the small deployable checkpoint: model, weights, metrics and config; no optimizer."""
    ckpt = load_checkpoint(best)
    keep = ("format", "model", "state_dict", "epoch", "best_val_ssim", "config")
    save_atomic({k: ckpt[k] for k in keep}, out)
