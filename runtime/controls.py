"""What the user may change while frames flow: written by a sink (the window's keys) or the app's page, read
by the pipeline before each frame."""
from __future__ import annotations

from dataclasses import dataclass

from runtime.contract import DEFAULT_STRENGTH


@dataclass
class Controls:
    """The pipeline's worker applies `strength` (0..1) to the backend before each frame; `show_original` is
    the window's before/after toggle. `low_light`: runtime/low_light.py's mode to run (None: the one the
    session opened with, unchanged); `temporal`: the model's temporal filter on (its state fed back frame to
    frame) or off (a reset state every frame: each output is the per-frame one)."""
    strength: float = DEFAULT_STRENGTH
    show_original: bool = False
    low_light: str | None = None
    temporal: bool = True
