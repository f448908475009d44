"""Quality measures as the report computes them, and the classical baseline.

SSIM: scikit-image defaults (7x7 uniform window) on RGB in [0,1], channel_axis=-1, data_range=1.
PSNR in dB on the same [0,1] images (capped at 100 dB). Unsharp mask: amount 1, Gaussian sigma 2.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter
from skimage.metrics import structural_similarity


def to_float(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) / 255.0 if img.dtype == np.uint8 else img.astype(np.float32)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    return float(structural_similarity(to_float(a), to_float(b), channel_axis=-1, data_range=1.0))


def psnr(a: np.ndarray, b: np.ndarray, cap: float = 100.0) -> float:
    """PSNR in dB for data range 1, capped (identical images would be infinite)."""
    err = float(np.mean((to_float(a) - to_float(b)) ** 2))
    return cap if err == 0 else min(cap, 10 * np.log10(1.0 / err))


def unsharp_baseline(img: np.ndarray, radius: float = 2.0, amount: float = 1.0) -> np.ndarray:
    """HxWx3 uint8 in, HxWx3 uint8 out."""
    # Written out rather than skimage.filters.unsharp_mask, whose output range for float input
    # changed between releases: out = img + amount * (img - gaussian(img)), clipped.
    x = to_float(img)
    out = np.clip(x + amount * (x - gaussian_filter(x, sigma=(radius, radius, 0), mode="nearest")), 0, 1)
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)
