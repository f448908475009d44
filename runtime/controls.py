"""What the user may change while frames flow: written by a sink (the window's keys), read by the pipeline."""
from __future__ import annotations

from dataclasses import dataclass

from runtime.contract import DEFAULT_STRENGTH


@dataclass
class Controls:
    """The pipeline's worker applies `strength` (0..1) to the backend before each frame; `show_original` is
    the window's before/after toggle."""
    strength: float = DEFAULT_STRENGTH
    show_original: bool = False
