"""The underexposed evaluation conditions `dim` and `dark` (issue 20): a quarter and an eighth of the light,
not gained back, noise as that exposure brings it, deterministic per image id, and kept out of the default
condition list that validation and the quality benchmarks run."""
from __future__ import annotations

import numpy as np
import pytest
import skimage.data

from train.conditions import CONDITIONS, UNDEREXPOSED, condition_params
from train.config import VAL_CONDITIONS
from train.degrade import apply

PHOTO = np.ascontiguousarray(skimage.data.astronaut()[100:292, 150:406])


@pytest.mark.parametrize("condition", ["dim", "dark"])
def test_deterministic_per_image_id(condition):
    params = condition_params(condition, "img-1")
    assert condition_params(condition, "img-1") == params
    assert condition_params(condition, "img-2") != params
    assert np.array_equal(apply(PHOTO, params), apply(PHOTO, params))
    assert not np.array_equal(apply(PHOTO, params), apply(PHOTO, params, frame=1))  # fresh noise per frame


@pytest.mark.parametrize("condition, light", [("dim", 0.25), ("dark", 0.125)])
def test_frames_are_as_dark_as_the_light(condition, light):
    out = apply(PHOTO, condition_params(condition, "img-3"))
    assert abs(out.mean() / PHOTO.mean() - light) < 0.02  # not gained back: the exposure's own brightness


def test_noise_is_relatively_larger_in_the_dark():
    """Shot noise grows as the square root of the signal: relative to the picture, darker is noisier."""
    grey = np.full((160, 160, 3), 128, np.uint8)
    relative = {}
    for condition in ("dim", "dark"):
        params = {k: v for k, v in condition_params(condition, "grey").items() if k not in ("jpeg", "blur")}
        out = apply(grey, params).astype(np.float64)
        relative[condition] = out.std() / out.mean()
        assert out.std() > 0.5  # there is noise at all
    assert relative["dark"] > 1.2 * relative["dim"]


def test_kept_out_of_the_default_conditions():
    assert set(UNDEREXPOSED) == {"dim", "dark"}
    assert not set(UNDEREXPOSED) & (set(CONDITIONS) | set(VAL_CONDITIONS))


def test_gain_one_over_exposure_is_the_gained_back_camera():
    """`gain` absent (every existing condition) means 1/exposure: the same frame up to rounding."""
    params = condition_params("lowlight", "img-4")
    assert "gain" not in params
    gained = apply(PHOTO, params).astype(int)
    explicit = apply(PHOTO, {**params, "gain": 1 / params["exposure"]}).astype(int)
    assert np.abs(gained - explicit).max() <= 1 and np.mean(gained != explicit) < 0.01
