"""The "blur" degradation: the report's benchmark blur, with optional video-call artefacts.

The benchmark (always reported): Gaussian blur of the 8-bit RGB image, kernel 5, 7 or 9, sigma uniform
in [1.0, 2.5], border reflect-101 (OpenCV's default), rounded back to 8 bits.
Optional, off by default until measured: down-up scaling, sensor noise and JPEG compression.

One implementation of the degradation interface (train/degrade.py): `BlurConfig.sample` draws a
JSON-serialisable parameter dict from a seeded generator, `BlurConfig.apply` turns it into pixels.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from PIL import Image
from scipy.ndimage import correlate1d

from train.codecs import encode_decode_jpeg
from train.seeds import seed_for


@dataclass
class BlurConfig:
    kind: str = field(default="blur", init=False)  # stored with the config: train/degrade.py reads it back
    kernel_sizes: tuple[int, ...] = (5, 7, 9)
    sigma: tuple[float, float] = (1.0, 2.5)
    rescale_prob: float = 0.0
    rescale: tuple[float, float] = (0.5, 0.85)
    noise_prob: float = 0.0
    noise_std: tuple[float, float] = (1.0, 6.0)  # in 8-bit levels
    jpeg_prob: float = 0.0
    jpeg_quality: tuple[int, int] = (35, 90)
    # Degraded whole: the rescale and the noise field depend on the image's full size, so a crop is cut
    # from the degraded image (see train/bank.py).
    context: ClassVar[int | None] = None

    def sample(self, rng: np.random.Generator) -> dict:
        params: dict = {
            "kernel": int(rng.choice(self.kernel_sizes)),
            "sigma": round(float(rng.uniform(*self.sigma)), 4),
        }
        if rng.random() < self.rescale_prob:
            params["rescale"] = round(float(rng.uniform(*self.rescale)), 4)
        if rng.random() < self.noise_prob:
            params["noise_std"] = round(float(rng.uniform(*self.noise_std)), 3)
            params["noise_seed"] = int(rng.integers(2**31))
        if rng.random() < self.jpeg_prob:
            params["jpeg"] = int(rng.integers(self.jpeg_quality[0], self.jpeg_quality[1] + 1))
        return params

    def apply(self, img: np.ndarray, params: dict, frame: int = 0) -> np.ndarray:
        """Degrade an HxWx3 uint8 image; the output has the input's size. Every frame alike (no fresh noise)."""
        return apply_blur(img, params)

    def apply_clip(self, frames: list[np.ndarray], params: dict, first: int = 0) -> list[np.ndarray]:
        return [apply_blur(f, params) for f in frames]


BENCHMARK = BlurConfig()


def gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    k = np.exp(-(x * x) / (2 * sigma * sigma))
    return k / k.sum()


def gaussian_blur_u8(img: np.ndarray, size: int, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of an HxWx3 uint8 image, reflect-101 border, rounded to uint8."""
    k = gaussian_kernel(size, sigma)
    out = correlate1d(img.astype(np.float64), k, axis=0, mode="mirror")
    out = correlate1d(out, k, axis=1, mode="mirror")
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def apply_blur(img: np.ndarray, params: dict) -> np.ndarray:
    """Degrade an HxWx3 uint8 image with blur parameters; the output has the input's size."""
    out = gaussian_blur_u8(img, params["kernel"], params["sigma"])
    h, w = img.shape[:2]
    if "rescale" in params:
        small = (max(8, round(w * params["rescale"])), max(8, round(h * params["rescale"])))
        out = np.asarray(Image.fromarray(out).resize(small, Image.Resampling.BILINEAR))
    if "noise_std" in params:
        noise = np.random.default_rng(params["noise_seed"]).normal(0, params["noise_std"], out.shape)
        out = np.clip(np.rint(out + noise), 0, 255).astype(np.uint8)
    if "jpeg" in params:
        out = encode_decode_jpeg(out, params["jpeg"])
    if out.shape[:2] != (h, w):
        out = np.asarray(Image.fromarray(out).resize((w, h), Image.Resampling.BICUBIC))
    return np.ascontiguousarray(out)


def benchmark_params(image_id: str) -> dict:
    """The report's blur for one evaluation image, seeded by the image's id."""
    return BENCHMARK.sample(np.random.default_rng(seed_for("benchmark", image_id)))


def benchmark_degrade(img: np.ndarray, image_id: str) -> tuple[np.ndarray, dict]:
    """The evaluation degradation for one image: the report's blur, seeded by the image's id."""
    params = benchmark_params(image_id)
    return apply_blur(img, params), params
