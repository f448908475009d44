"""The learned exposure estimate: how much gain an underexposed frame needs, from cheap frame statistics.

A linear (ridge) model from features of the frame's luma to log(gain), fitted by train/exposure_fit.py on
the corpus's train split (`make exposure-fit`) and shipped as a few dozen numbers in
runtime/assets/exposure.json; no torch, a thumbnail and a 3x3 filter per frame.

Features (`features`):
- the log of luma percentiles and of the mean (from a thumbnail, whose averaging keeps the sensor noise
  out of the percentiles): an underexposed frame is the scene scaled down, so every one of them shifts by
  -log(exposure) and a model whose percentile weights sum to -1 is exposure-equivariant; their shape
  (differences) is the prior on where a scene's levels lie (a white page's bright end is white, a night
  scene's is not);
- a noise index: the log of the noise in the flattest half of the frame (every other pixel, not the
  thumbnail) over the square root of the mean level: read noise and 8-bit steps weigh more in a frame that is
  dark for want of light than in a dark scene in good light. The fit keeps it only where it helps on val.
The shipped model names the features it uses; only those are computed.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from runtime.errors import SharpcamError
from runtime.imaging import opencv

PARAMS_PATH = Path(__file__).resolve().parent / "assets" / "exposure.json"
THUMB = (80, 60)  # percentiles and the mean need no more than a thumbnail
PERCENTILES = (1.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.7, 100.0)
FLOOR = 1.0 / 255  # one 8-bit level: the log of a black percentile stays finite
BGR_LUMA = np.array([0.114, 0.587, 0.299], np.float32)  # Rec. 601 weights, in the pipeline's BGR order
# Immerkaer's fast noise estimate: this kernel cancels a locally planar image and leaves the noise
NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
SIGMA_PER_RESPONSE = float(np.sqrt(np.pi / 2) / 6)  # NOISE_KERNEL's mean |response| to white noise -> sigma
NOISE_FEATURE = "log_noise_per_sqrt_level"
FEATURE_NAMES = (*(f"log_p{p:g}" for p in PERCENTILES), "log_mean", NOISE_FEATURE)


def luma(frame: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of a BGR uint8 frame, float32 in 0..1."""
    return (frame.astype(np.float32) @ BGR_LUMA) * (1 / 255)


def thumbnail(frame: np.ndarray) -> np.ndarray:
    """The frame at THUMB size (area averaged); a smaller frame as it is."""
    cv2 = opencv()
    return cv2.resize(frame, THUMB, interpolation=cv2.INTER_AREA) if frame.shape[1] > THUMB[0] else frame


def noise_index(y: np.ndarray) -> float:
    """Proportional to the noise std of luma `y` (0..1): the mean |response| of Immerkaer's kernel over the
    flattest half of the frame (the strongest responses are scene detail, not noise)."""
    cv2 = opencv()
    response = np.abs(cv2.filter2D(y, -1, NOISE_KERNEL, borderType=cv2.BORDER_REFLECT_101))[1:-1, 1:-1]
    flat = response[response <= np.median(response)]
    return float(flat.mean()) if flat.size else 0.0


def features(frame: np.ndarray, names: tuple[str, ...] = FEATURE_NAMES,
             small: np.ndarray | None = None) -> np.ndarray:
    """The features `names` (of FEATURE_NAMES, in that order) of a BGR uint8 frame, float64. `small`: the
    frame's thumbnail luma (luma(thumbnail(frame))) where the caller has it already."""
    small = luma(thumbnail(frame)) if small is None else small
    levels = np.maximum(np.percentile(small, PERCENTILES), FLOOR)
    mean = max(float(small.mean()), FLOOR)
    values = dict(zip(FEATURE_NAMES, [*np.log(levels), math.log(mean)]))
    if NOISE_FEATURE in names:
        every_other = luma(frame[::2, ::2]) if min(frame.shape[:2]) >= 64 else luma(frame)  # noise survives this
        values[NOISE_FEATURE] = math.log(max(noise_index(every_other), 0.1 * FLOOR) / math.sqrt(mean))
    return np.array([values[n] for n in names], np.float64)


@dataclass(frozen=True)
class ExposureModel:
    """log(gain) = weights . (features - mean) / scale + bias, over the features `names` (of FEATURE_NAMES)."""
    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def log_gain(self, feats: np.ndarray) -> float:
        return float(self.weights @ ((feats - self.mean) / self.scale) + self.bias)

    def gain(self, frame: np.ndarray, small: np.ndarray | None = None) -> float:
        """The gain `frame` asks for (not clamped: the caller bounds it); `small` as in features()."""
        return math.exp(self.log_gain(features(frame, self.names, small)))

    def to_json(self) -> dict:
        return {"names": list(self.names), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "bias": self.bias}

    @classmethod
    def from_json(cls, raw: dict) -> ExposureModel:
        names = tuple(raw["names"])
        if not names or not set(names) <= set(FEATURE_NAMES):
            raise SharpcamError("runtime/assets/exposure.json was fitted on other features than this sharpcam "
                                "computes; refit it with 'make exposure-fit' or reinstall sharpcam")
        return cls(names, np.asarray(raw["mean"], np.float64), np.asarray(raw["scale"], np.float64),
                   np.asarray(raw["weights"], np.float64), float(raw["bias"]))


_LOADED: dict[Path, ExposureModel] = {}


def load_model(path: Path = PARAMS_PATH) -> ExposureModel:
    """The shipped exposure model (read once per process)."""
    if path not in _LOADED:
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise SharpcamError(f"cannot read the exposure model {path} ({err}); reinstall sharpcam or "
                                "refit it with 'make exposure-fit'") from err
        _LOADED[path] = ExposureModel.from_json(raw)
    return _LOADED[path]
