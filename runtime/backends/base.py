"""The Backend protocol: what the pipeline, the session, the load policy and the image sharpener may use.

Interface: `submit(frame) -> handle` starts work on one frame, `collect(handle) -> (frame, timings)`
finishes it. A GPU backend overlaps frame N+1's upload with frame N's compute by holding two handles
in flight; a CPU backend does all the work in submit(). `timings` maps stage name to seconds
(runtime/stats.py names them).
"""
from __future__ import annotations

import argparse
from typing import Any, Protocol, runtime_checkable

import numpy as np

from runtime.errors import SharpcamError


class Backend(Protocol):
    name: str  # what the status line and the chosen-backend line call it, e.g. "onnxruntime-cpu (x.onnx)"
    size: tuple[int, int] | None  # (width, height) a static graph/engine needs; None: any size
    strength: float  # 0 (the input) .. 1 (the full correction); settable between frames
    in_flight: int  # frames that may be submitted before the first is collected (2 on a GPU: overlap)
    threads: int | None  # CPU threads now (0: the library's choice), settable; None: not adjustable
    multiple: int  # frame sides must be multiples of this (pixel-unshuffle students); the backend pads
    # True where every new frame size costs a compile (OpenVINO): a caller that would feed many sizes (the
    # image sharpener's tiles) pads them to one instead
    compiles_per_size: bool

    def submit(self, frame_bgr: np.ndarray) -> Any: ...

    def collect(self, handle: Any) -> tuple[np.ndarray, dict[str, float]]: ...

    def reset(self) -> None: ...  # forget the temporal state: a new stream or a discontinuity follows

    def close(self) -> None: ...


# Optional capabilities: a backend has them or not, and the callers ask with isinstance.
@runtime_checkable
class ResetsTemporalOnly(Protocol):
    """A wrapper whose reset() forgets more than the model's temporal state (the load policy: the frame its
    skip policy shows again, which turning the filter off must not) says how to forget only that."""

    def reset_temporal(self) -> None: ...


@runtime_checkable
class LendsFrames(Protocol):
    """A GPU backend whose double buffer lends `count` pinned input and output frames (runtime/host_frames.py),
    so the pipeline reads into and writes from them without host copies."""

    def lend_frames(self, count: int) -> tuple[Any, Any]: ...


def reset_temporal(backend: Backend) -> None:
    """Forget only the model's temporal state: any backend's reset() is only that, unless it says otherwise."""
    if isinstance(backend, ResetsTemporalOnly):
        backend.reset_temporal()
    else:
        backend.reset()


def check_strength(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise SharpcamError(f"strength must be between 0 (off) and 1 (full); got {value}")
    return float(value)


def strength_arg(text: str) -> float:
    """argparse type for --strength: checked when the command line is parsed, not after the run."""
    try:
        return check_strength(float(text))
    except (ValueError, SharpcamError) as err:
        raise argparse.ArgumentTypeError(f"strength must be a number from 0 (off) to 1 (full), not {text!r}") from err
