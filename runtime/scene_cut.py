"""Scene cuts (`--cut-reset on`): a frame that is another picture than the last resets the temporal state.

The model's temporal state (the recurrent student's fed-back output, the hand-made gate's previous frame)
is of the old scene after a cut: without a reset the gate keeps old pixels wherever the new picture's luma
is within its noise band of the old one, for ~5 frames (benchmarks/results/stability_recurrent_long.md:
recurrent + gate, 5.2 frames to recover). The pipeline cannot be told of a cut in a video file or an
application's virtual camera, so it looks, the classic way: the grey histogram of a thumbnail (1/8 of each
side, area-averaged, so sensor noise averages out; 32 bins) against the last frame's, by total variation
(half the sum of absolute differences: 0 the same levels, 1 none shared). A camera moving over one scene
keeps its levels; a cut changes them. Pixel-wise tests were tried first: a pan over fine text moves a third
of a thumbnail's pixels by more than 24 levels, as many as a cut between similar pictures.

Chosen on the validation split's clips (12 photos, office light and low light; `python -m
benchmarks.stability.cut_fit`, benchmarks/results/cut_fit.md): still frames measure at most 0.025, diagonal
pans of 3-32 px per frame at most 0.071 (the built-in clip's pans over text 0.106), and 19 of 24 cuts to the
next photo are above the bound; the 5 below (0.04-0.18) are cuts between two crops of one wallpaper, where
what the state holds is nearly right. A light switched on is a cut too. The bound, 0.2, is about twice the
largest motion.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runtime.imaging import grey_thumbnail


@dataclass(frozen=True)
class CutConfig:
    divisor: int = 8  # thumbnail: 1/8 of each side
    bins: int = 32  # grey histogram bins (8 levels each)
    distance: float = 0.2  # a cut when the histograms' total variation is above this


def histogram(grey: np.ndarray, bins: int) -> np.ndarray:
    """Shares of the pixels in `bins` equal bands of 0..255."""
    counts = np.bincount((np.clip(grey, 0, 255).astype(np.int64) * bins // 256).ravel(), minlength=bins)
    return counts / max(counts.sum(), 1)


class SceneCuts:
    """Call on each frame (BGR uint8) in order: True where it starts a new scene. `cuts` counts them."""

    def __init__(self, cfg: CutConfig = CutConfig()) -> None:
        self.cfg = cfg
        self.cuts = 0
        self._last: np.ndarray | None = None

    def __call__(self, frame: np.ndarray) -> bool:
        last, self._last = self._last, histogram(grey_thumbnail(frame, self.cfg.divisor), self.cfg.bins)
        if last is None:
            return False  # the first frame of a stream
        cut = 0.5 * float(np.abs(self._last - last).sum()) > self.cfg.distance
        self.cuts += cut
        return cut

    def reset(self) -> None:
        """A new stream: its first frame is no cut."""
        self._last = None
