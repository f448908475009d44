"""Still regions averaged over time (`--still-average auto`, the default): what stays put stops shimmering.

The model's own temporal state (the recurrent student's fed-back output, or the hand-made gate) decides per
pixel, on a 3x3 neighbourhood at full size. There a text edge that sensor noise and the codec nudge by a
fraction of a pixel looks like motion and is never calmed: the test split's document page keeps 0.56 / 0.72
of the camera's temporal std (office / low light) where the other stills keep ~0.35. Camera ISPs judge motion
on a coarse scale instead, where noise and sub-pixel jitter average out and real motion does not. Here, on a
grey thumbnail (1/8 of each side, area-averaged) of this output and of the last frame shown:

    change = 3x3 mean of |small - last small| / scale          (a 24x24-pixel neighbourhood, in levels)
    shift  = change / (3x3 mean of |gradient of small| + floor) (the displacement it implies, thumbnail pixels)
    floor  = 4 levels, times the input's sensor noise over 0.3 levels where it is more (see_input, flat_noise)
    moved  = max(ramp(change; low, high), ramp(shift / relax; shift_low, shift_high))  ramp: 0 below, 1 above
             (with `spread`, off by default: 1 also next to a thumbnail pixel that moved for sure)
    keep   = hold * strength * (1 - moved), enlarged to the frame (linear)
    scale  = the median |small - last small| where the last frame kept >= 0.8 of hold (whole levels, followed
             at 0.1 a frame), over 0.4 levels; 1 to 1.5
    relax  = 2 while the camera holds still (camera_motion < 0.02 thumbnail px), 1 once it moves (> 0.05)
    shown  = output - keep * (output - last shown)

A region that did not move keeps `hold` of what was shown before (a recursive average: the noise left falls to
sqrt((1 - hold) / (1 + hold)) of the model's); one that moved shows the new output. The level test alone
misses a slow pan over soft, low-contrast detail (a 3 px step is 0.4 of a thumbnail pixel, and a small change
of levels), which it then smeared (val pan SSIM -0.010); the implied displacement sees it whatever the
contrast, and `floor` keeps flat noisy regions (no gradient) from looking displaced; it grows with the
input's noise (measured every 10th frame on the model's input, in its flattest blocks, so motion does not
raise it), since in low light the output keeps ~1 level of noise at 1/8, a change where nothing moved. The
input's fine-grained noise does not tell how much the model's output flickers at 1/8 (two val text pages in low
light: 1.1 and 1.4 levels of input noise, 1.4 and 1.1 levels of temporal std at 1/8), so `scale` learns that
from the output itself, where the average held: regions still to the tests change by noise alone, and during a
pan few regions are that still, so motion does not teach it (their mean change did: pans and zooms smeared).
Capped at 1.5x: a larger scale calmed the low-light pages more but smeared a low-light pan after a still start.
Small dense text is flat at 1/8, so its flicker implies a large displacement there (a val page in office light
kept 0.64 of the camera's temporal std). Whether the camera moves is one question for the whole frame, though:
the affine motion that best explains the thumbnail's change (camera_motion) pools every region's slope, so
noise fits none of it while a pan, a zoom or a shake shows at once. While the camera holds still the
displacement test is relaxed 2x (that page: 0.39); a pan or zoom is tested as strictly as before, from its
first frame; a head moving over a still room (~17% of the frame) reads 0.05-0.08 (one photo 0.23) and keeps
the strict test.
A moving head is sure to move at its edges, less so inside where it is flat; counting the neighbours of what
surely moved as moved (`spread`) cut the head's lag behind the recurrent student but spread noise behind the
per-frame ones, so it is off.
It runs on the model's output at the model's size, after the strength blend: `keep` scales with the strength,
so strength 0 passes the input exactly and the slider never jumps. It forgets what it showed wherever the
model's state is reset (a new stream, a frame size change, a scene cut, the temporal filter turned off).
Settings chosen on the validation split's stability clips (`python -m benchmarks.stability.still_tune`,
benchmarks/results/still_average_val.md, still_flicker_val*.md, still_camera_val.md). No torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from runtime.exposure import NOISE_KERNEL, SIGMA_PER_RESPONSE
from runtime.imaging import grey_thumbnail, opencv

MODES = ("auto", "on", "off")  # --still-average
DEFAULT_STILL_AVERAGE = "auto"


@dataclass(frozen=True)
class StillConfig:
    # chosen on the validation split (benchmarks/results/still_average_val.md): the document page below 0.4 of
    # the input's temporal std in both lights, at the least cost to pans and zooms of the settings tried
    hold: float = 0.75  # share of the last shown frame a still region keeps (0 disables)
    low: float = 1.0  # levels of 3x3-averaged thumbnail change still treated as noise
    high: float = 3.0  # above this a region moved and shows the new output
    divisor: int = 8  # thumbnail: 1/8 of each side
    shift_low: float = 0.03  # thumbnail pixels of implied displacement still treated as noise
    shift_high: float = 0.08  # above this a region moved (0: the level test alone)
    floor: float = 4.0  # levels per thumbnail pixel added to the gradient: flat noisy regions imply no motion
    # The floor grows with the sensor noise of the model's input above `noise_ref` levels (Immerkaer's sigma in
    # its flattest 16x16 blocks, measured every `noise_every` frames): a noisier output changes more where
    # nothing moved. 0: a fixed floor
    noise_ref: float = 0.3
    noise_every: int = 10
    # Both tests divide the change by the output's own flicker where the average held (the median change in
    # thumbnail pixels that kept >= `still_share` of hold, followed at `flicker_rate` a frame) over
    # `flicker_ref` levels, between 1 and `flicker_max` (flicker_ref 0: no scaling). Chosen on the val split's text
    # pages and stability clips (benchmarks/results/still_flicker_val*.md)
    flicker_ref: float = 0.4
    flicker_max: float = 1.5
    flicker_rate: float = 0.1
    still_share: float = 0.8
    # A camera that holds still relaxes the displacement test `camera_relax` times (1: never): fully where the
    # camera's own motion (camera_motion, thumbnail pixels RMS) is under `camera_still`, not at all above
    # `camera_moving`. Chosen on the val split's text pages, photos and a head moving over a still room
    # (benchmarks/results/still_camera_val.md)
    camera_relax: float = 2.0
    camera_still: float = 0.02
    camera_moving: float = 0.05
    # Thumbnail pixels within a `spread` x `spread` square of one that surely moved (1 by either test) count as
    # moved too (1: each on its own). Off: behind the recurrent student 3 took a third of the lag a slowly moving
    # head gets here, but behind a per-frame student (S for pictures, M, L) noise is sure to "move" in low light
    # and spreads (val low-light stills 0.461 -> 0.494 of the input's std; still_camera_val.md)
    spread: int = 1

    def __post_init__(self) -> None:
        if not 0.0 <= self.hold < 1.0 or not 0.0 <= self.low < self.high or self.divisor < 1 or \
                not (self.shift_high == 0.0 or 0.0 <= self.shift_low < self.shift_high) or self.floor <= 0.0 or \
                self.noise_ref < 0.0 or self.noise_every < 1 or self.flicker_ref < 0.0 or self.flicker_max < 1.0 or \
                not 0.0 < self.flicker_rate <= 1.0 or not 0.0 <= self.still_share <= 1.0 or \
                self.camera_relax < 1.0 or not 0.0 <= self.camera_still < self.camera_moving or self.spread < 1:
            raise ValueError(f"still-average settings out of range: {self}")


class StillAverage:
    """Call on each output frame (uint8 BGR) in order, with the strength it was made at; returns what to show."""

    def __init__(self, cfg: StillConfig = StillConfig()) -> None:
        self.cfg = cfg
        self.held = 0.0  # share of the last frame's pixels that kept some of the previous frame (for --stats)
        self._shown: np.ndarray | None = None  # float32: a uint8 recursion would stick at rounding steps
        self._small: np.ndarray | None = None
        self.input_noise: float | None = None  # sensor noise of the model's input, levels (see_input)
        self._inputs_seen = 0
        self.flicker: float | None = None  # the output's thumbnail change where the average held, levels
        self._keep_small: np.ndarray | None = None  # what each thumbnail pixel kept last frame
        self.camera: float | None = None  # the camera's motion this frame, thumbnail pixels (camera_motion)

    def __call__(self, out: np.ndarray, strength: float = 1.0) -> np.ndarray:
        cv2 = opencv()
        # area-averaged in uint8, so in whole levels: the settings were chosen so (a float thumbnail measured
        # within 0.012 of it on the val page: benchmarks/results/still_average_val.md)
        small = grey_thumbnail(out, self.cfg.divisor).astype(np.float32)
        shown, last_small = self._shown, self._small
        if shown is None or last_small is None or shown.shape != out.shape or strength <= 0.0:
            self._remember(out.astype(np.float32), small)
            self.held, self._keep_small = 0.0, None
            return out
        signed = small - last_small
        difference = np.abs(signed)
        self._learn_flicker(difference)
        change = cv2.blur(difference, (3, 3), borderType=cv2.BORDER_REPLICATE) / self._flicker_scale()
        moved = ramp(change, self.cfg.low, self.cfg.high)
        if self.cfg.shift_high > 0.0:
            slope_x = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3) / 8.0  # Sobel's 3x3 sums 8x the slope
            slope_y = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3) / 8.0
            gradient = cv2.blur(np.abs(slope_x) + np.abs(slope_y), (3, 3), borderType=cv2.BORDER_REPLICATE)
            shift = change / ((gradient + self._floor()) * self._camera_relax(signed, slope_x, slope_y))
            moved = np.maximum(moved, ramp(shift, self.cfg.shift_low, self.cfg.shift_high))
        if self.cfg.spread > 1:  # the flat inside of a moving head moves with its edges, where the tests are sure
            moved = np.maximum(moved, cv2.dilate((moved >= 1.0).astype(np.float32),
                                                 np.ones((self.cfg.spread, self.cfg.spread), np.uint8)))
        keep_small = (self.cfg.hold * min(strength, 1.0)) * (1.0 - moved)
        self.held = float(np.mean(keep_small > 0.0))
        self._keep_small = keep_small
        if not self.held:
            self._remember(out.astype(np.float32), small)
            return out
        height, width = out.shape[:2]
        # enlarged as three channels: numpy's broadcast of one over three costs ~15x an aligned multiply
        keep = cv2.resize(cv2.merge([keep_small] * out.shape[2]), (width, height), interpolation=cv2.INTER_LINEAR)
        # output + keep * (last shown - output), in place on one float copy (cv2.blendLinear's division costs 2x)
        current = out.astype(np.float32)
        blended = shown - current
        blended *= keep
        blended += current
        # the recursion goes on from the average (float: a uint8 one sticks at rounding steps) and its
        # thumbnail, blended alike: slow drift adds up until it counts as motion
        self._remember(blended, small + keep_small * (last_small - small))
        return cv2.convertScaleAbs(blended)  # rounds and saturates to uint8

    def see_input(self, frame: np.ndarray) -> bool:
        """The model's input (uint8 BGR), each frame before it runs: every `noise_every`th is measured (True
        then: its time is worth reporting)."""
        due = self.cfg.noise_ref > 0.0 and self._inputs_seen % self.cfg.noise_every == 0
        if due:
            self.input_noise = flat_noise(frame)
        self._inputs_seen += 1
        return due

    def _learn_flicker(self, difference: np.ndarray) -> None:
        """Follow the median change of the thumbnail pixels that kept most of the average last frame (>= a tenth
        of the frame's pixels, else nothing is learned: a frame that mostly moved teaches no noise)."""
        if self.cfg.flicker_ref <= 0.0 or self._keep_small is None:
            return
        still = self._keep_small >= self.cfg.still_share * self.cfg.hold
        if still.mean() < 0.1:
            return
        seen = float(np.median(difference[still]))
        self.flicker = seen if self.flicker is None else self.flicker + self.cfg.flicker_rate * (seen - self.flicker)

    def _camera_relax(self, signed_change: np.ndarray, slope_x: np.ndarray, slope_y: np.ndarray) -> float:
        """How many times the displacement test is relaxed this frame: `camera_relax` while the camera holds
        still, down to 1 as its motion grows from camera_still to camera_moving."""
        if self.cfg.camera_relax <= 1.0:
            return 1.0
        self.camera = camera_motion(signed_change, slope_x, slope_y)
        moving = float(ramp(np.float32(self.camera), self.cfg.camera_still, self.cfg.camera_moving))
        return 1.0 + (self.cfg.camera_relax - 1.0) * (1.0 - moving)

    def _flicker_scale(self) -> float:
        return times_over(self.flicker, self.cfg.flicker_ref, self.cfg.flicker_max)

    def _floor(self) -> float:
        return self.cfg.floor * times_over(self.input_noise, self.cfg.noise_ref)

    def reset(self) -> None:
        """Forget what was shown: the next frame passes as the model made it. The flicker learned is kept: it is
        the camera's and the model's, and a cut does not change them (a new stream relearns it within ~10 frames)."""
        self._shown = self._small = self._keep_small = None
        self.camera = None  # measured between two frames: none yet

    def state(self) -> dict:
        noise = None if self.input_noise is None else round(self.input_noise, 3)
        flicker = None if self.flicker is None else round(self.flicker, 3)
        camera = None if self.camera is None else round(self.camera, 4)
        return {"mode": "on", "held": round(self.held, 3), "input_noise": noise, "floor": round(self._floor(), 3),
                "flicker": flicker, "scale": round(self._flicker_scale(), 3), "camera_motion": camera}

    def _remember(self, shown: np.ndarray, small: np.ndarray) -> None:
        self._shown, self._small = shown, small


def ramp(value: np.ndarray, low: float, high: float) -> np.ndarray:
    """0 at or below `low`, 1 at or above `high`, linear between."""
    return np.clip((value - low) / (high - low), 0.0, 1.0)


def times_over(measured: float | None, ref: float, cap: float = float("inf")) -> float:
    """How many times `ref` a measurement is, between 1 and `cap` (1 with no measurement or a `ref` of 0: off)."""
    if ref <= 0.0 or measured is None:
        return 1.0
    return min(cap, max(1.0, measured / ref))


def camera_motion(signed_change: np.ndarray, slope_x: np.ndarray, slope_y: np.ndarray) -> float:
    """The camera's own motion between two thumbnails, as the RMS over the frame (thumbnail pixels) of the
    affine motion field (pan, zoom, roll) that best explains their change: linearised, change = -(slope_x u +
    slope_y v) with u, v affine in x, y, least squares over the inner pixels. Sensor noise moves pixels
    independently and fits no field (val stills: 0.004-0.03, flat photos in low light up to 0.1); a 3 px/frame
    pan fits ~0.5, a 0.6%/frame zoom ~0.2, a head moving 1.6 px/frame over a still room 0.05-0.08 (val). Where
    nothing has slope the fit has nothing to go on and says little motion (the ridge term): there nothing can
    smear either."""
    inner = (slice(1, -1), slice(1, -1))
    xs, ys = _frame_coordinates(signed_change.shape)
    if xs.size == 0:
        return 0.0
    gx, gy = slope_x[inner].ravel(), slope_y[inner].ravel()
    basis = np.empty((6, xs.size), np.float32)  # float32 products through BLAS: +0.5 ms per 720p frame here
    basis[0], basis[3] = gx, gy
    np.multiply(gx, xs, out=basis[1])
    np.multiply(gx, ys, out=basis[2])
    np.multiply(gy, xs, out=basis[4])
    np.multiply(gy, ys, out=basis[5])
    normal = (basis @ basis.T).astype(np.float64) + 1e-3 * xs.size * np.eye(6)
    p = np.linalg.solve(normal, -(basis @ np.ascontiguousarray(signed_change[inner], np.float32).ravel()))
    u, v = p[0] + p[1] * xs + p[2] * ys, p[3] + p[4] * xs + p[5] * ys
    return float(np.sqrt(np.mean(u * u + v * v)))


@lru_cache(maxsize=4)
def _frame_coordinates(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """x and y of a thumbnail's inner pixels, -1..1 across the frame, flattened (made once per frame size)."""
    height, width = max(shape[0], 2), max(shape[1], 2)  # a thumbnail under 3x3 has no inner pixels: none
    ys, xs = np.mgrid[1:height - 1, 1:width - 1].astype(np.float32)
    return ((xs - (width - 1) / 2) / (width / 2)).ravel(), ((ys - (height - 1) / 2) / (height / 2)).ravel()


def flat_noise(frame_bgr: np.ndarray, block: int = 16, percentile: float = 10.0) -> float:
    """Immerkaer's noise sigma (levels) in the flattest blocks of a frame: texture raises the estimate where it
    is, so the low percentile over blocks is the sensor's, moving or not (a frame measures itself alone)."""
    cv2 = opencv()
    grey = frame_bgr if frame_bgr.ndim == 2 else cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    response = np.abs(cv2.filter2D(grey.astype(np.float32), -1, NOISE_KERNEL, borderType=cv2.BORDER_REPLICATE))
    rows, cols = response.shape[0] // block, response.shape[1] // block
    if rows == 0 or cols == 0:
        return 0.0
    means = response[:rows * block, :cols * block].reshape(rows, block, cols, block).mean(axis=(1, 3))
    return SIGMA_PER_RESPONSE * float(np.percentile(means, percentile))


def still_average_step(mode: str, in_flight: int = 1, cfg: StillConfig = StillConfig()) -> StillAverage | None:
    """The step for `mode`; auto: on, except behind a double-buffered GPU engine (`in_flight` > 1), whose path
    keeps frames in lent pinned memory without host copies: this step's float copies of every frame on the
    CPU (2.6 ms per 480p frame and 7.5 ms per 720p frame here, benchmarks/results/still_average_cost.md)
    would cost more than the GPU's model time."""
    if mode not in MODES:
        raise ValueError(f"--still-average takes {', '.join(MODES)}, not {mode!r}")
    return StillAverage(cfg) if mode == "on" or (mode == "auto" and in_flight == 1) else None
