"""Low-light brightening (`--low-light {auto,on,off}`): lift an underexposed frame toward a good exposure
before the model, so the student (trained on gained-back low light) removes the noise the lift amplifies; a bilateral filter
scaled with the gain first smooths what the student was not trained on (amplified 8-bit steps and MJPG blocks).

Classical tone mapping on luma, colour kept: each pixel's B, G and R are scaled by one ratio, curve(Y) / Y,
so hue and saturation stay. The curve is a global gain followed by a highlight shoulder: linear below the
knee (an underexposed frame is the scene scaled down, so a gain is what undoes it), and above it a soft
roll-off that reaches white only at the input's white, so a lamp or a window does not blow out.

The gain is estimated per frame from a small thumbnail: toward a target mean luma, and toward putting the
frame's bright end (a high percentile) at a white point; their geometric blend (weights chosen on the val
split, benchmarks/quality/low_light.py) is less fooled by a dark scene or a white page than either alone.
`gain_from="learned"` lifts by the learned exposure model instead (runtime/exposure.py, fitted by
train/exposure_fit.py on the train split, chosen on val; auto still decides on the blend): better on the
corpus's val split (wallpapers, pages, nature) but it under-lifts faces and photos (the corpus has two
people images to learn them from), so the blend stays the default. The gain is smoothed over time in the
log domain (an EMA with a time constant in seconds), so a hand passing the camera does not make the picture
pump; a reset (a new stream, a reconnect, a size change: the pipeline resets the model's state there)
re-estimates from the next frame at once.

`auto` acts only while the frame is underexposed: the smoothed gain the frames ask for must rise above
`enter_gain` to start and fall below `leave_gain` to stop (hysteresis, so a frame near the line does not
flicker between lifted and not; a frame's mean luma alone would call a white page in the dark well exposed
and a night scene underexposed). Switching off eases the gain back to 1 before the step lets frames through
untouched; a well-exposed frame is returned as it came (the same array, byte-identical). `on` always lifts
toward the target (never darkens); `off` does nothing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from runtime.errors import SharpcamError
from runtime.exposure import PARAMS_PATH, ExposureModel, load_model, luma, thumbnail
from runtime.imaging import opencv

MODES = ("auto", "on", "off")
DEFAULT_MODE = "auto"
GAIN_SOURCES = ("blend", "learned")


@dataclass(frozen=True)
class LowLightConfig:
    mode: str = DEFAULT_MODE
    # the gain's two estimates and their blend, chosen on the val split's dim and dark frames
    # (benchmarks/quality/low_light.py --tune): the white point alone was best there by mean-luma error
    # (0.084 vs 0.091 with this blend), but a backlit face (a window behind it) has a bright end already at
    # white, and only the mean term lifts it
    target: float = 0.6  # mean luma (0..1) the mean-luma estimate lifts to
    white: float = 0.9  # where the frame's bright end (the `percentile`) is put
    percentile: float = 99.7
    white_weight: float = 0.9  # geometric blend of the white-point gain and the mean-luma gain
    max_gain: float = 10.0  # the noise of 1/10 of the light is past what the student cleans
    # what sets the gain applied: "blend" (the estimate above) or "learned" (runtime/exposure.py; val 0.072
    # vs the blend's 0.091 by mean-luma error, but faces and photos under-lifted: see the module's note)
    gain_from: str = "blend"
    exposure_model: Path = PARAMS_PATH  # the learned model's parameters (train/exposure_fit.py)
    knee: float = 0.9  # luma above this rolls off toward 1 instead of clipping
    # auto: underexposed while the smoothed gain a frame asks for is above `enter_gain`, until it falls below
    # `leave_gain`. On the val split, office-light frames ask for 1.0-2.4 and a quarter of the light for 3.4
    # or more (an eighth: 6.7 or more); a dark scene in good light (a dark wallpaper) asks as much as a dim
    # one and cannot be told from it by exposure alone
    enter_gain: float = 3.0
    leave_gain: float = 2.5
    time_constant: float = 0.7  # seconds: how fast the gain follows a change of light
    # the gain holds while the frames ask for one within this ratio (log) of it: a still scene's noise moves
    # the estimate by a percent or two, which an EMA alone would turn into a slow flicker
    hold: float = 0.04
    # An edge-preserving bilateral filter after the lift, its colour sigma this many 8-bit levels per unit of
    # gain (the lifted noise grows with the gain): the lift also amplifies the dark frame's 8-bit steps and
    # MJPG blocks, which the student never saw gained (it trains on noise gained before quantization and
    # coding); with it the webcam student scored 0.778 / 0.730 SSIM on val dim / dark, without 0.710 / 0.531.
    # 0: off. It costs ~15-25 ms per 480p frame on one core, spent only while lifting.
    denoise: float = 10.0
    denoise_diameter: int = 9
    fps: float = 30.0  # frames per second the time constant is counted in (the source's rate)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise SharpcamError(f"low-light mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.gain_from not in GAIN_SOURCES:
            raise SharpcamError(f"low-light gain_from {self.gain_from!r} is not one of {', '.join(GAIN_SOURCES)}")


class LowLight:
    """The step: call it on each BGR uint8 frame; `reset()` at a discontinuity. Not thread-safe (the
    pipeline's worker calls it); `state()` may be read from anywhere (a status line, --stats)."""

    def __init__(self, cfg: LowLightConfig | None = None) -> None:
        self.cfg = cfg or LowLightConfig()
        self._alpha = 1.0 - math.exp(-1.0 / (max(self.cfg.time_constant, 1e-6) * max(self.cfg.fps, 1e-6)))
        self.active = self.cfg.mode == "on"  # auto: whether the frame counts as underexposed now
        self.gain = 1.0  # the smoothed gain being applied (1: frames pass untouched)
        self.lifted = 0  # frames changed so far
        learned = self.cfg.gain_from == "learned"  # the parameters are read only when used
        self.model: ExposureModel | None = load_model(self.cfg.exposure_model) if learned else None
        self._wanted: float | None = None  # the smoothed gain frames ask for; None: re-estimate from the next frame

    def reset(self) -> None:
        """A new stream: the next frame's own estimate is taken at once (no easing from the old scene)."""
        self._wanted = None

    def set_mode(self, mode: str) -> None:
        """Another mode while frames flow (the app's toggle), from the next frame: `on` lifts at once, `off`
        passes frames untouched at once, `auto` decides afresh; the exposure is measured afresh either way.
        Call it on the thread that runs the step (the pipeline's worker applies the user's controls)."""
        self.cfg = replace(self.cfg, mode=mode)  # checked by LowLightConfig
        self.active, self._wanted = mode == "on", None
        if mode == "off":
            self.gain = 1.0

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        if self.cfg.mode == "off":
            return frame
        small = luma(thumbnail(frame))  # one thumbnail for both estimates: the blend's and the learned one's
        wanted = self.wanted_gain(*levels(small, self.cfg.percentile))
        fresh = self._wanted is None
        self._wanted = wanted if fresh else _ease(self._wanted, wanted, self._alpha)
        if self.cfg.mode == "auto":  # decided on the smoothed estimate: one odd frame does not switch it
            self.active = self._wanted > (self.cfg.leave_gain if self.active else self.cfg.enter_gain)
        goal = (self.learned_gain(frame, small) if self.model else wanted) if self.active else 1.0
        if fresh:
            self.gain = goal
        elif not self.active or abs(math.log(goal / self.gain)) > self.cfg.hold:
            self.gain = _ease(self.gain, goal, self._alpha)
        if not self.active and self.gain < 1.005:
            self.gain = 1.0  # eased back: frames pass untouched again
        if self.gain == 1.0:
            return frame
        self.lifted += 1
        out = lift(frame, self.gain, self.cfg.knee)
        if self.cfg.denoise > 0:
            cv2 = opencv()
            out = cv2.bilateralFilter(out, self.cfg.denoise_diameter, self.cfg.denoise * self.gain,
                                      self.cfg.denoise_diameter * 0.75)
        return out

    def learned_gain(self, frame: np.ndarray, small: np.ndarray | None = None) -> float:
        """The learned exposure model's gain for `frame` (`small`: its thumbnail luma, where computed already),
        within 1..max_gain (gain_from="learned")."""
        return float(min(max(self.model.gain(frame, small), 1.0), self.cfg.max_gain))

    def wanted_gain(self, mean: float, bright: float) -> float:
        """The gain this frame asks for: toward the target mean and the white point, within 1..max_gain."""
        cfg = self.cfg
        by_mean = cfg.target / max(mean, 1e-3)
        by_white = cfg.white / max(bright, 1e-3)
        gain = by_white ** cfg.white_weight * by_mean ** (1.0 - cfg.white_weight)
        return float(min(max(gain, 1.0), cfg.max_gain))

    def state(self) -> dict:
        """For --stats: the mode, whether it lifts now, the gain applied and how many frames it changed."""
        return {"mode": self.cfg.mode, "active": self.active, "gain": round(self.gain, 3), "frames_lifted": self.lifted}

    def label(self) -> str:
        """For the status line, e.g. `auto x3.9` or `auto idle`."""
        return f"{self.cfg.mode} x{self.gain:.1f}" if self.gain != 1.0 else f"{self.cfg.mode} idle"


def low_light_step(mode: str, fps: float) -> LowLight | None:
    """The low-light step for `mode` (None for off: nothing to run), its time constant counted at `fps`."""
    return None if mode == "off" else LowLight(LowLightConfig(mode=mode, fps=fps if fps > 0 else 30.0))


def _ease(value: float, goal: float, alpha: float) -> float:
    """One EMA step from `value` toward `goal` in the log domain (a gain's steps are ratios, not differences)."""
    return math.exp(math.log(value) + alpha * (math.log(goal) - math.log(value)))


def levels(small: np.ndarray, percentile: float) -> tuple[float, float]:
    """(mean, the `percentile`) of a thumbnail's luma."""
    return float(small.mean()), float(np.percentile(small, percentile))


def tone_curve(y: np.ndarray, gain: float, knee: float) -> np.ndarray:
    """Luma out for luma in (0..1): `gain` times y up to `knee`, then a rational roll-off (extended Reinhard)
    that joins the line with the same slope and reaches 1 exactly at y = 1, so every input level above the
    knee keeps a level of its own instead of clipping to white."""
    x = y * gain
    head = 1.0 - knee
    top = (gain - knee) / head  # where y = 1 lands on the roll-off's own scale
    if top <= 0:  # even white stays below the knee: the straight line
        return x
    t = np.maximum(x - knee, 0.0) / head
    return np.where(x <= knee, x, knee + head * t * (1.0 + t / (top * top)) / (1.0 + t))


def lift(frame: np.ndarray, gain: float, knee: float) -> np.ndarray:
    """The frame brightened: B, G, R of each pixel scaled by curve(Y) / Y (its colour kept), kept under 255."""
    cv2 = opencv()
    levels = np.arange(256, dtype=np.float32) / 255
    ratio = np.empty(256, np.float32)  # curve(Y)/Y for each 8-bit luma level: a lookup, not a curve per pixel
    ratio[1:] = tone_curve(levels[1:], gain, knee) / levels[1:]
    ratio[0] = gain
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    scale = ratio[gray]
    out = frame.astype(np.float32) * scale[..., None]
    # a saturated colour can exceed 255 in one channel while its luma does not: scale the pixel down whole
    peak = out.max(axis=2, keepdims=True)
    out *= np.minimum(1.0, 255.0 / np.maximum(peak, 1e-6))
    return (out + 0.5).astype(np.uint8)
