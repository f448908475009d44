"""Classical enhancement baselines that the quality benchmark compares the learned models against.

Every baseline maps an HxWx3 uint8 RGB image to a uint8 RGB image of the same shape.

- "unsharp": the plain unsharp mask of `train.metrics.unsharp_baseline` (amount 1, Gaussian sigma 2),
  re-used rather than copied so the report and the benchmark cannot drift apart.
- "cas": AMD FidelityFX Contrast Adaptive Sharpening (CAS), the same-size ("noScaling") path, ported
  to NumPy from FFmpeg's `cas` filter (libavfilter/vf_cas.c, `cas_slice8`) so that it matches
  `ffmpeg -vf cas=strength=S` on 8-bit RGB (ffmpeg filters the G, B, R planes independently).
  FFmpeg follows AMD's ffx_cas.h (GPUOpen-Effects/FidelityFX-CAS, version 1.20190610: `CasFilter`
  with noScaling, CAS_BETTER_DIAGONALS and per-channel weights as in CAS_SLOW) except for two
  constants: its strength maps to the peak as -1/lerp(16, 4.01, s) where AMD's `CasSetup` uses
  -1/lerp(8, 5, s), and its signal limit is 511 on the doubled 0..255 sums where AMD uses 2.0
  (= 510); it also truncates the result to an integer.
  `variant="amd"` switches to AMD's constants (and rounds, as a GPU's unorm store does).
- "nlm+unsharp": OpenCV's non-local means for colour images (`cv2.fastNlMeansDenoisingColored`,
  Buades, Coll & Morel 2005) followed by a mild unsharp mask: denoise first so the mask does not
  amplify sensor noise, the usual recipe for webcam frames.
"""
from __future__ import annotations

from typing import Callable, Literal

import cv2
import numpy as np

from train.metrics import unsharp_baseline


def unsharp(img: np.ndarray, amount: float = 1.0, sigma: float = 2.0) -> np.ndarray:
    """out = img + amount * (img - gaussian(img, sigma)) in float [0,1], clipped and rounded to uint8."""
    return unsharp_baseline(img, radius=sigma, amount=amount)


def cas(img: np.ndarray, sharpness: float = 0.8, variant: Literal["ffmpeg", "amd"] = "ffmpeg") -> np.ndarray:
    """Contrast Adaptive Sharpening, per channel on a 3x3 neighbourhood, borders replicated.

    sharpness in [0, 1] is ffmpeg's `strength` (0: least ringing, 1: most). variant="ffmpeg" repeats
    cas_slice8's float32 operations in its order on 0..255 values (not [0,1], whose rescaling would
    change the rounding), truncation included: bit-exact against ffmpeg 9.0 (x86-64) in the tests.
    """
    if img.dtype != np.uint8 or img.ndim != 3:
        raise ValueError(f"expected HxWxC uint8, got {img.dtype} {img.shape}")
    hh, ww = img.shape[:2]
    # ffmpeg clamps neighbour coordinates to the image, which is edge replication.
    p = np.pad(img, ((1, 1), (1, 1), (0, 0)), mode="edge")

    def at(dy: int, dx: int) -> np.ndarray:  # the neighbour at offset (dy, dx) of every pixel
        return p[1 + dy:1 + dy + hh, 1 + dx:1 + dx + ww]

    # a b c
    # d e f   (names as in vf_cas.c and ffx_cas.h)
    # g h i
    a, b, c, d, e, f, g, h, i = (at(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    # "Soft" min/max: the cross's extreme plus the 3x3's, so the sums run 0..510 (twice the range).
    # Taken on uint8 (cheap), summed in int32 like the C ints.
    mn_cross = np.minimum(np.minimum(np.minimum(d, e), np.minimum(f, b)), h)
    mx_cross = np.maximum(np.maximum(np.maximum(d, e), np.maximum(f, b)), h)
    mn_all = np.minimum(np.minimum(np.minimum(mn_cross, a), np.minimum(c, g)), i)
    mx_all = np.maximum(np.maximum(np.maximum(mx_cross, a), np.maximum(c, g)), i)
    mn = mn_cross.astype(np.int32) + mn_all
    mx = mx_cross.astype(np.int32) + mx_all

    s = np.float32(min(max(sharpness, 0.0), 1.0))  # ffmpeg's option range; AMD saturates too
    if variant not in ("ffmpeg", "amd"):
        raise ValueError(f"unknown CAS variant {variant!r}")
    lo, hi, limit = (16.0, 4.01, 511) if variant == "ffmpeg" else (8.0, 5.0, 510)
    lerp = np.float32(lo) + (np.float32(hi) - np.float32(lo)) * s  # lerpf() in float32, as in C
    # Distance to the nearer signal limit over the max: low where the neighbourhood already has
    # strong contrast, so edges are not over-sharpened. An all-black neighbourhood (mx == 0) gets
    # amp 0 (ffmpeg's 0/0 NaN clips to 0 too, and the output is the centre either way).
    num = np.minimum(mn, limit - mx).astype(np.float32)
    ratio = np.divide(num, mx.astype(np.float32), out=np.zeros_like(num), where=mx > 0)
    amp = np.sqrt(np.clip(ratio, 0, 1))
    # Negative weight w = amp * peak, peak = -1/lerp. ffmpeg divides by -lerp, AMD multiplies by the
    # precomputed peak: equal up to float rounding, each written as its source does.
    weight = amp / -lerp if variant == "ffmpeg" else amp * (np.float32(-1) / lerp)

    # Negative-lobe cross filter  0 w 0 / w 1 w / 0 w 0, normalised by its sum (1 + 4w).
    cross = (b.astype(np.int32) + d + f + h).astype(np.float32)
    out = (cross * weight + e.astype(np.float32)) / (np.float32(1) + np.float32(4) * weight)
    # ffmpeg: av_clip_uint8((int)x) truncates; a GPU unorm store rounds to nearest.
    out = np.trunc(out) if variant == "ffmpeg" else np.rint(out)
    return np.clip(out, 0, 255).astype(np.uint8)


def nlm_unsharp(img: np.ndarray, h: float = 5, amount: float = 0.5, sigma: float = 1.0) -> np.ndarray:
    """Non-local-means denoise, then a mild unsharp mask.

    h=5 (for both luminance and colour): OpenCV's filter strength is on the 0..255 scale and should be
      about the noise's standard deviation; a webcam's sensor noise in good light is a few 8-bit
      levels, so 5 removes it while leaving real texture (larger h visibly smears fine detail).
    template 7, search 21: OpenCV's recommended window sizes (the quality/speed trade-off it documents).
    amount=0.5, sigma=1.0: a gentle, small-radius mask that restores some of the crispness NLM takes
      away without re-amplifying the residual noise or adding visible halos.
    """
    # OpenCV's colour NLM expects BGR (it converts to CIELAB internally, where channel order matters).
    bgr = np.ascontiguousarray(img[..., ::-1])
    den = cv2.fastNlMeansDenoisingColored(bgr, None, h, h, 7, 21)
    return unsharp(np.ascontiguousarray(den[..., ::-1]), amount=amount, sigma=sigma)


BASELINES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "unsharp": unsharp,
    "cas": cas,
    "nlm+unsharp": nlm_unsharp,
}
