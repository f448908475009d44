"""Classical baselines: shapes, flat images, CAS against hand arithmetic and (where present) ffmpeg, NLM."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter, laplace
from skimage import data

from benchmarks.quality.baselines import BASELINES, cas, nlm_unsharp, unsharp


def lap_var(img: np.ndarray) -> float:
    grey = img.astype(np.float64).mean(axis=2)
    return float(laplace(grey).var())


@pytest.fixture(scope="module")
def blurred() -> np.ndarray:
    """A 256x256 crop of the astronaut, Gaussian-blurred (sigma 1.5): a soft photo to sharpen."""
    img = data.astronaut()[64:320, 128:384].astype(np.float64)
    return np.clip(np.rint(gaussian_filter(img, sigma=(1.5, 1.5, 0))), 0, 255).astype(np.uint8)


def test_registry_keys() -> None:
    assert set(BASELINES) == {"unsharp", "cas", "nlm+unsharp"}


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_shape_and_dtype(name: str, blurred: np.ndarray) -> None:
    img = blurred[:37, :53]  # odd, non-square size
    out = BASELINES[name](img)
    assert out.shape == img.shape and out.dtype == np.uint8


@pytest.mark.parametrize("name", sorted(BASELINES))
@pytest.mark.parametrize("value", [0, 3, 77, 128, 255])
def test_flat_stays_flat(name: str, value: int) -> None:
    img = np.full((24, 32, 3), value, np.uint8)
    out = BASELINES[name](img)
    assert out.min() == out.max()
    # Off by at most one level, for reasons in the sources rather than the port: ffmpeg's CAS computes
    # v*(1+4w)/(1+4w) in float32 and truncates (ffmpeg itself turns flat 3 into 2), and OpenCV's
    # colour NLM round-trips through 8-bit CIELAB (flat 128 comes back as 127). Unsharp is exact.
    assert abs(int(out[0, 0, 0]) - value) <= (0 if name == "unsharp" else 1)


def test_cas_amd_variant_keeps_flat_exactly() -> None:
    for value in range(256):  # AMD's rounding store keeps every flat level, unlike ffmpeg's truncation
        img = np.full((3, 3, 3), value, np.uint8)
        assert (cas(img, 0.8, variant="amd") == value).all(), value


# 3x3 test image (all three channels equal):   20  30  20
#                                              30 100  30
#                                              20  30  20
HAND = np.array([[20, 30, 20], [30, 100, 30], [20, 30, 20]], np.uint8)[..., None].repeat(3, axis=2)


def test_cas_hand_computed_centre_and_corner() -> None:
    out = cas(HAND, sharpness=0.0)
    # Centre: cross min 30 + 3x3 min 20 = 50; cross max 100 + 3x3 max 100 = 200.
    # amp = sqrt(min(50, 511-200)/200) = sqrt(0.25) = 0.5; strength 0: w = -0.5/lerp(16, 4.01, 0) = -1/32.
    # out = (4*30*w + 100) / (1 + 4w) = 96.25 / 0.875 = 110 (exact in float32).
    assert (out[1, 1] == 110).all()
    # Top-left corner, coordinates clamped: a=b=d=e=20, c=f=g=h=30, i=100.
    # cross {20,20,20,30,30}: min 20, max 30; 3x3 adds i: min 20, max 100 -> mn 40, mx 130.
    # amp = sqrt(40/130) = 0.55470; w = -0.034669; out = (100w + 20)/(1 + 4w) = 16.5331/0.86132 = 19.19 -> 19.
    assert (out[0, 0] == 19).all()
    # sharpness 0.8: lerp = 16 + (4.01-16)*0.8 = 6.408, w = -0.5/6.408 = -0.078027,
    # out = (120w + 100)/(1 + 4w) = 90.637/0.68789 = 131.76 -> 131 (ffmpeg truncates).
    assert (cas(HAND, 0.8)[1, 1] == 131).all()
    # AMD's constants: limit 2.0 (510), peak -1/lerp(8, 5, 0) = -1/8 -> w = -1/16,
    # out = (100 - 7.5)/0.75 = 123.33 -> 123 (rounded).
    assert (cas(HAND, 0.0, variant="amd")[1, 1] == 123).all()


def test_cas_channels_independent() -> None:
    img = np.zeros((3, 3, 3), np.uint8)
    img[..., 1] = HAND[..., 0]
    out = cas(img, 0.0)
    assert (out[..., 0] == 0).all() and (out[..., 2] == 0).all() and out[1, 1, 1] == 110


def test_cas_sharpens_and_strength_orders(blurred: np.ndarray) -> None:
    base = lap_var(blurred)
    mild, strong = lap_var(cas(blurred, 0.0)), lap_var(cas(blurred, 1.0))
    assert base < mild < strong
    assert lap_var(cas(blurred)) > 1.2 * base  # default 0.8 gives about 1.46x here


def test_unsharp_sharpens(blurred: np.ndarray) -> None:
    assert lap_var(unsharp(blurred)) > 1.5 * lap_var(blurred)


def test_nlm_reduces_noise() -> None:
    rng = np.random.default_rng(0)
    clean = np.full((96, 96, 3), 128.0)
    noisy = np.clip(np.rint(clean + rng.normal(0, 5, clean.shape)), 0, 255).astype(np.uint8)
    out = nlm_unsharp(noisy)
    assert out.astype(np.float64).std() * 2 <= noisy.astype(np.float64).std()
    assert abs(out.astype(np.float64).mean() - 128) < 1


def test_nlm_keeps_channel_order() -> None:
    img = np.zeros((32, 32, 3), np.uint8)
    img[..., 0] = 200  # pure red must stay red (an RGB/BGR mix-up would make it blue)
    out = nlm_unsharp(img)
    assert out[..., 0].min() >= 195 and out[..., 2].max() <= 5


FFMPEG = shutil.which("ffmpeg")


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not on PATH: cannot compare the CAS port with ffmpeg's cas filter")
@pytest.mark.parametrize("strength", [0.0, 0.8, 1.0])
def test_cas_matches_ffmpeg(strength: float) -> None:
    rng = np.random.default_rng(1)
    photo = data.astronaut()[100:196, 150:278]
    img = np.concatenate([photo, rng.integers(0, 256, photo.shape, dtype=np.uint8)], axis=0)  # 192x128
    hh, ww = img.shape[:2]
    # rgb24 -> gbrp is a lossless repacking; cas then filters each plane as the port does.
    cmd = [FFMPEG, "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{ww}x{hh}", "-i", "-",
           "-vf", f"format=gbrp,cas=strength={strength},format=rgb24", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    res = subprocess.run(cmd, input=img.tobytes(), capture_output=True, check=True, timeout=60)
    ref = np.frombuffer(res.stdout, np.uint8).reshape(img.shape)
    ours = cas(img, strength)
    diff = np.abs(ours.astype(int) - ref)
    # Same float32 operations in the same order: bit-exact against ffmpeg 9.0 x86-64; a build that
    # fuses multiply-adds (FMA) could differ by one level on rare pixels, which this still allows.
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
