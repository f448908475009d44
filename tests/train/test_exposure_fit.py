"""The exposure model's fit (train/exposure_fit.py): its oracle gain undoes a known exposure, and a ridge fitted
on a tiny synthetic set recovers the gain of an image it never saw."""
from __future__ import annotations

import math

import cv2
import numpy as np

from runtime.exposure import luma
from runtime.low_light import LowLightConfig
from train.conditions import UNDEREXPOSED
from train.exposure_fit import FEATURE_SETS, fit_ridge, oracle_log_gain, predicted_log_gain, sample, training_samples

KNEE = LowLightConfig().knee


def scene(seed: int, low: float, high: float = 0.85) -> np.ndarray:
    """A smooth random RGB scene whose luma spans about low..high (below the knee: no shoulder)."""
    rng = np.random.default_rng(seed)
    field = cv2.GaussianBlur(rng.random((96, 128, 3)).astype(np.float32), (0, 0), 6)
    field = (field - field.min()) / (field.max() - field.min())
    return np.rint(255 * (low + (high - low) * field)).astype(np.uint8)


def test_oracle_gain_undoes_a_known_exposure():
    clean = scene(0, 0.1)[..., ::-1]
    for gain in (4.0, 8.0):
        dark = np.ascontiguousarray(np.rint(clean.astype(np.float32) / gain).astype(np.uint8))
        found = math.exp(oracle_log_gain(dark, float(luma(clean).mean()), KNEE))
        assert abs(found / gain - 1) < 0.03  # 8-bit rounding of the dark frame aside


def test_fit_recovers_a_known_gain_on_a_tiny_synthetic_set():
    images = [(f"scene{i}", scene(i, low)) for i, low in enumerate((0.05, 0.15, 0.25, 0.1, 0.2, 0.3))]
    model = fit_ridge(training_samples(images, KNEE), FEATURE_SETS["levels"], alpha=1e-4)
    unseen = scene(99, 0.18)
    for exposure in (1 / 4, 1 / 8):
        params = UNDEREXPOSED["dim"](np.random.default_rng(7))
        params["exposure"] = exposure
        held_out = sample("unseen", unseen, params, "test", KNEE, keep=True)
        predicted = math.exp(predicted_log_gain(model, held_out))
        assert abs(predicted * exposure - 1) < 0.12, predicted

