"""Which student a source needs: the clean-blur student for a soft but clean one, the camera student otherwise.

The camera students (webcam, recurrent, medium) learned to remove sensor noise and codec blocks as well as
blur; on a source that has neither (a soft lens in good light through an uncompressed path, a screen or
capture card, a soft photo) part of what they learned holds them back: on the report's clean-blur benchmark
the webcam student scores 0.8808 where the fast student, trained on clean blur alone, scores 0.9004
(benchmarks/results/quality.md). Sent a noisy or blocky frame, the fast student is far worse (office 0.72,
low light 0.42 against the webcam student's 0.90 and 0.81), so a frame goes to it only when both signals
say clean:

- `noise`: Immerkaer's estimate of the luma noise sigma in 8-bit levels (the mean absolute response of a
  3x3 operator that cancels planes and straight edges, scaled to sigma; "Fast noise variance estimation",
  1996). Sensor noise and JPEG ringing raise it; blur lowers it.
- `blockiness`: the mean absolute luma step across the 4-pixel grid's lines over the mean step anywhere
  (1.0: no grid). A block codec at a low bitrate (H.264, which leaves little noise) raises it.

The thresholds were fitted on the train and validation splits (benchmarks/quality/route_fit.py,
benchmarks/results/route_fit.md) and checked on the test split. On video the decision holds: a source
switches to the clean student only after `agree` clean measurements in a row, and back on the first that
is not clean (a wrong switch to it costs far more than a wrong stay). No torch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runtime.exposure import NOISE_KERNEL, SIGMA_PER_RESPONSE
from runtime.imaging import opencv

MODES = ("auto", "off")  # --clean-source
BLOCK = 4  # H.264's transform size (JPEG's 8 is a multiple: its grid shows here too)
MEASURE_PIXELS = 2_100_000  # a 1080p frame is measured whole; a larger picture on tiles (tiles())
TILE = 256


@dataclass(frozen=True)
class Signal:
    noise: float  # luma noise sigma, 8-bit levels
    blockiness: float  # step across the 4-pixel grid over the mean step (1: none)


@dataclass(frozen=True)
class RouteConfig:
    # fitted on the train and validation splits (benchmarks/results/route_fit.md): no frame of another
    # condition inside, 83% of the clean-blur frames (the test split: 23 of 25 clean, none of 150 others)
    noise_max: float = 0.324  # levels
    blockiness_max: float = 1.028
    every: int = 10  # measure every Nth frame: a measurement costs ~2 ms at 720p on one core
    agree: int = 3  # clean measurements in a row before the clean student runs

    def clean(self, signal: Signal) -> bool:
        return signal.noise < self.noise_max and signal.blockiness < self.blockiness_max


def measure(frame_bgr: np.ndarray, max_pixels: int = MEASURE_PIXELS) -> Signal:
    """Both signals of one uint8 BGR frame (or a grey one). A picture of more than `max_pixels` is measured
    on a grid of tiles spread over it, pooled as one: a 24 MP photo whole cost 0.14-0.74 s here and a few hundred
    MB of float copies, and downscaling it instead would average away the very noise being measured."""
    sums = sum(_sums(_luma(tile)) for tile in tiles(frame_bgr, max_pixels))
    noise = SIGMA_PER_RESPONSE * float(sums[0]) / max(float(sums[1]), 1.0)
    anywhere_x, anywhere_y = sums[6] / max(sums[7], 1.0), sums[8] / max(sums[9], 1.0)
    if min(anywhere_x, anywhere_y) <= 1e-6:  # a flat frame: no grid to see
        return Signal(noise, 1.0)
    across_x, across_y = sums[2] / max(sums[3], 1.0), sums[4] / max(sums[5], 1.0)
    return Signal(noise, float(0.5 * (across_x / anywhere_x + across_y / anywhere_y)))


def is_clean(frame_bgr: np.ndarray, cfg: RouteConfig = RouteConfig()) -> bool:
    """One picture's decision (a photo, a benchmark image): no hold, nothing to agree with."""
    return cfg.clean(measure(frame_bgr))


def tiles(frame: np.ndarray, max_pixels: int = MEASURE_PIXELS) -> list[np.ndarray]:
    """The frame itself when it has at most `max_pixels`, else views of a grid of TILE-sized tiles spread
    evenly over it, with corners on the 8-pixel grid (so JPEG's and H.264's block lines stay in phase)."""
    height, width = frame.shape[:2]
    if height * width <= max_pixels or min(height, width) < TILE:
        return [frame]
    side = max(1, int(np.sqrt(max_pixels / TILE**2)))  # tiles per row and per column
    def corners(extent: int) -> list[int]:
        return sorted({int(v) // 8 * 8 for v in np.linspace(0, extent - TILE, side)})
    return [frame[y:y + TILE, x:x + TILE] for y in corners(height) for x in corners(width)]


def _luma(frame_bgr: np.ndarray) -> np.ndarray:
    cv2 = opencv()
    grey = frame_bgr if frame_bgr.ndim == 2 else cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    return grey.astype(np.float32)


def _sums(luma: np.ndarray) -> np.ndarray:
    """What the signals are made of, as (sum, count) pairs that pool across tiles: |noise response|, steps
    across the grid's columns and rows, steps anywhere along x and y."""
    cv2 = opencv()
    response = np.abs(cv2.filter2D(luma, -1, NOISE_KERNEL, borderType=cv2.BORDER_REPLICATE)[1:-1, 1:-1])
    steps_x = np.abs(np.diff(luma, axis=1))
    steps_y = np.abs(np.diff(luma, axis=0)).T
    parts = [response, steps_x[:, BLOCK - 1::BLOCK], steps_y[:, BLOCK - 1::BLOCK], steps_x, steps_y]
    return np.array([v for part in parts for v in (float(part.sum(dtype=np.float64)), float(part.size))])


class Router:
    """The decision for a stream: `clean_now(frame)` per frame, measuring every `cfg.every`th."""

    def __init__(self, cfg: RouteConfig = RouteConfig()) -> None:
        self.cfg = cfg
        self.last: Signal | None = None
        self.clean = False
        self.measured = False  # whether the last clean_now() measured (its time is then worth reporting)
        self._frames = 0
        self._agreeing = 0

    def clean_now(self, frame_bgr: np.ndarray) -> bool:
        self.measured = self._frames % self.cfg.every == 0
        if self.measured:
            self.last = measure(frame_bgr)
            if self.cfg.clean(self.last):
                self._agreeing += 1
                self.clean = self._agreeing >= self.cfg.agree
            else:
                self._agreeing, self.clean = 0, False
        self._frames += 1
        return self.clean

    def state(self) -> dict:
        last = self.last
        return {"clean": self.clean, "noise": None if last is None else round(last.noise, 3),
                "blockiness": None if last is None else round(last.blockiness, 3)}
