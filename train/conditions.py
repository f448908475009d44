"""The fixed evaluation conditions: how validation and every quality benchmark degrade a clean image.

`benchmark` is the report's blur (train/blur.py); `office`, `lowlight` and `starved` are fixed settings of
the camera model (train/camera.py). Each condition's parameters are seeded by the image's id, so every
method is scored on the same pixels; `degrade.apply` turns them into pixels.

`dim` and `dark` (UNDEREXPOSED, issue 20) are underexposed frames *not* gained back: what a low-light step
must lift to a good exposure, scored against the well-exposed clean frame. They are kept out of CONDITIONS,
which validation and the quality benchmarks run by default (benchmarks/quality/low_light.py runs them).
"""
from __future__ import annotations

import numpy as np

from train.blur import BENCHMARK, benchmark_params
from train.camera import TAG
from train.seeds import seed_for


def _office(rng: np.random.Generator) -> dict:
    """Office light: mild blur sigma 0.8-1.6, sensor noise ~3-5 levels at mid-grey, MJPG q70-85."""
    return {TAG[0]: TAG[1], "blur": ["gauss", *[round(float(rng.uniform(0.8, 1.6)), 3)] * 2, 0.0],
            "exposure": 1.0, "noise": {"shot": float(rng.uniform(2.5e-4, 6e-4)), "read": 2e-5, "blur": 0.5,
                                       "chroma": 0.5},
            "jpeg": int(rng.integers(70, 86)), "seed": int(rng.integers(2**31))}


def _lowlight(rng: np.random.Generator) -> dict:
    """Low light: a quarter of the light gained 4x (~8-10 levels of noise at mid-grey), MJPG q75."""
    p = _office(rng)
    p.update(exposure=0.25, jpeg=75, noise={"shot": float(rng.uniform(3e-4, 4.5e-4)), "read": 3e-5,
                                            "blur": 0.5, "chroma": 0.5})
    return p


def _underexposed(rng: np.random.Generator, exposure: float) -> dict:
    """Office optics and MJPG, `exposure` of the light and no gain: shot noise relatively larger, as in the dark."""
    p = _office(rng)
    p.update(exposure=exposure, gain=1.0, noise={"shot": float(rng.uniform(3e-4, 4.5e-4)), "read": 3e-5,
                                                 "blur": 0.5, "chroma": 0.5})
    return p


def _dim(rng: np.random.Generator) -> dict:
    """Dim: a quarter of the light, not gained back (mid-grey at ~32 levels, ~2-3 levels of noise), MJPG q70-85."""
    return _underexposed(rng, 0.25)


def _dark(rng: np.random.Generator) -> dict:
    """Dark: an eighth of the light, not gained back (mid-grey at ~16 levels, ~2 levels of noise), MJPG q70-85."""
    return _underexposed(rng, 0.125)


def _starved(rng: np.random.Generator) -> dict:
    """Starved bitrate: blur sigma 1-2, light noise, H.264 at CRF 36-40 (a phone-as-webcam on bad Wi-Fi)."""
    s = round(float(rng.uniform(1.0, 2.0)), 3)
    return {TAG[0]: TAG[1], "blur": ["gauss", s, s, 0.0], "exposure": 1.0,
            "noise": {"shot": 1e-4, "read": 1e-5, "blur": 0.5, "chroma": 0.3},
            "video": ["h264", int(rng.integers(36, 41))], "seed": int(rng.integers(2**31))}


CONDITION_NOTES = {
    "benchmark": "the report's Gaussian blur (kernel 5/7/9, sigma 1.0-2.5), nothing else",
    "office": _office.__doc__.split(": ", 1)[1],
    "lowlight": _lowlight.__doc__.split(": ", 1)[1],
    "starved": _starved.__doc__.split(": ", 1)[1],
    "dim": _dim.__doc__.split(": ", 1)[1],
    "dark": _dark.__doc__.split(": ", 1)[1],
}

CONDITIONS = {
    "benchmark": BENCHMARK.sample,
    "office": _office,
    "lowlight": _lowlight,
    "starved": _starved,
}

UNDEREXPOSED = {"dim": _dim, "dark": _dark}  # not in CONDITIONS: see the module's note


def condition_params(condition: str, image_id: str) -> dict:
    """The fixed parameters of `condition` for one test image (seeded by its id, as the benchmark is)."""
    if condition == "benchmark":
        return benchmark_params(image_id)
    sample = CONDITIONS.get(condition) or UNDEREXPOSED[condition]
    return sample(np.random.default_rng(seed_for("condition", condition, image_id)))
