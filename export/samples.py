"""Real photographs to check and calibrate graphs on, and how to frame them like a camera's frames."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SAMPLE_IMAGES = ("astronaut.png", "coffee.png", "chelsea.png")


def sample_rgb() -> list[np.ndarray]:
    """Real photographs shipped with scikit-image (a portrait, an object, an animal)."""
    import skimage
    folder = Path(skimage.__file__).parent / "data"
    return [np.asarray(Image.open(folder / name).convert("RGB")) for name in SAMPLE_IMAGES]


def as_frame(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Cover-resize and centre-crop to (width, height), then BGR like a camera frame from OpenCV."""
    w, h = size
    img = Image.fromarray(rgb)
    scale = max(w / img.width, h / img.height)
    img = img.resize((max(w, round(img.width * scale)), max(h, round(img.height * scale))), Image.Resampling.BICUBIC)
    x, y = (img.width - w) // 2, (img.height - h) // 2
    return np.ascontiguousarray(np.asarray(img)[y:y + h, x:x + w, ::-1])
