"""The classical low-light pipelines the low-light benchmark compares with, and their tuning on the val split.

Each candidate brightens, then denoises with OpenCV's non-local means (fastNlMeansDenoisingColored, h for
luma and colour alike): the noise a lift amplifies is what must go, and NLM is the classical denoiser users
meet (OBS filters, ffmpeg's nlmeans). Brightening:
- `gamma`: a per-channel gamma that puts the frame's mean luma at a target (auto gamma);
- `gamma+clahe`: the same, then CLAHE (contrast-limited adaptive histogram equalization, clip 2, 8x8 tiles)
  on the L of Lab: the usual local tone mapping;
- `lift`: runtime/low_light.py's own lift (white point and mean, highlight shoulder; its bilateral off), so
  the learned denoiser and NLM are also compared on the same brightened frames.
`tune` scores every (brightening, h) on centre crops of the val split (a quarter of the pixels: NLM is slow
on 2 cores) and returns the best of each brightening, chosen by SSIM.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from runtime.low_light import LowLight, LowLightConfig
from train.metrics import ssim

BRIGHTENINGS = ("gamma", "gamma+clahe", "lift")
NLM_H = (3.0, 6.0, 10.0, 14.0, 18.0)  # 8-bit levels; the lifted noise of an eighth of the light is ~10-15
GAMMA_TARGET = 0.5  # mean luma the auto gamma aims at


@dataclass(frozen=True)
class Classical:
    brightening: str
    h: float

    @property
    def label(self) -> str:
        return f"{self.brightening}+NLM h{self.h:g}"

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        bright = brighten(rgb, self.brightening)
        bgr = np.ascontiguousarray(bright[..., ::-1])
        return np.ascontiguousarray(cv2.fastNlMeansDenoisingColored(bgr, None, self.h, self.h, 7, 21)[..., ::-1])


def mean_luma(rgb: np.ndarray) -> float:
    return float((rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)).mean() / 255)


def auto_gamma(rgb: np.ndarray, target: float = GAMMA_TARGET) -> np.ndarray:
    """Per-channel gamma (a lookup table) that brings the mean luma to about `target`; never darkens."""
    mean = min(max(mean_luma(rgb), 1e-3), 0.99)
    gamma = min(1.0, np.log(target) / np.log(mean))
    table = np.clip(np.rint(255 * (np.arange(256) / 255) ** gamma), 0, 255).astype(np.uint8)
    return cv2.LUT(rgb, table)


def clahe(rgb: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def brighten(rgb: np.ndarray, how: str) -> np.ndarray:
    if how == "gamma":
        return auto_gamma(rgb)
    if how == "gamma+clahe":
        return clahe(auto_gamma(rgb))
    if how == "lift":  # one frame, a fresh step: its own estimate at once
        step = LowLight(LowLightConfig(mode="on", denoise=0.0))  # NLM denoises here
        return np.ascontiguousarray(step(np.ascontiguousarray(rgb[..., ::-1]))[..., ::-1])
    raise ValueError(how)


def centre_crop(img: np.ndarray, frac: float = 0.5) -> np.ndarray:
    h, w = img.shape[:2]
    ch, cw = max(32, int(h * frac)), max(32, int(w * frac))
    top, left = (h - ch) // 2, (w - cw) // 2
    return img[top:top + ch, left:left + cw]


def tune(pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[dict[str, Classical], list[dict]]:
    """(best Classical per brightening, every candidate's val score) over (degraded, clean) RGB pairs."""
    crops = [(centre_crop(d), centre_crop(c)) for d, c in pairs]
    scores = []
    for how, h in itertools.product(BRIGHTENINGS, NLM_H):
        method = Classical(how, h)
        value = float(np.mean([ssim(method(d), c) for d, c in crops]))
        scores.append({"brightening": how, "h": h, "val_ssim": round(value, 4)})
    best = {}
    for how in BRIGHTENINGS:
        top = max((s for s in scores if s["brightening"] == how), key=lambda s: s["val_ssim"])
        best[how] = Classical(how, top["h"])
    return best, scores
