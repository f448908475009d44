"""Image helpers every stage shares: OpenCV (imported on first use), padding and resizing, image suffixes."""
from __future__ import annotations

import os
import time
from types import ModuleType

import numpy as np

from runtime.optional import require

# What the image folder source and `sharpcam sharpen` read (OpenCV decodes each of them).
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
SYSTEM_FONTS = "/usr/share/fonts"


def opencv() -> ModuleType:
    """The cv2 module, or a SharpcamError saying how to install it. OpenCV's own log lines ('[ WARN ]' when a
    camera index is probed, '[ERROR]' from a probe that finds none) and its bundled Qt's font warnings are
    kept off the terminal: a failure reaches sharpcam as a return value or cv2.error, and sharpcam says what
    went wrong itself. A user's own settings of these variables win."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")
    os.environ.setdefault("OPENCV_VIDEOIO_DEBUG", "0")
    os.environ.setdefault("QT_LOGGING_RULES", "*.debug=false;qt.qpa.*=false")
    if "QT_QPA_FONTDIR" not in os.environ and os.path.isdir(SYSTEM_FONTS):
        os.environ["QT_QPA_FONTDIR"] = SYSTEM_FONTS  # opencv-python's Qt looks in its own, empty, fonts folder
    return require("cv2", "OpenCV is needed for cameras, video files and windows: pip install opencv-python")


def pad_to_multiple(image: np.ndarray, multiple: int) -> np.ndarray:
    """Edge-replicate the bottom and right so height and width are multiples of `multiple` (the image itself
    when they already are): what pixel-unshuffle students and 4:2:0 video need."""
    pad_h, pad_w = -image.shape[0] % multiple, -image.shape[1] % multiple
    return np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge") if pad_h or pad_w else image


def pad_to_size(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Reflect the bottom and right out to `size` (width, height): a tile padded to a fixed-size model keeps
    natural-looking content at its border (edge-replicated when a side is one pixel, which cannot reflect)."""
    height, width = image.shape[:2]
    mode = "reflect" if min(height, width) > 1 else "edge"
    return np.pad(image, ((0, size[1] - height), (0, size[0] - width), (0, 0)), mode=mode)


def resize(image: np.ndarray, size: tuple[int, int], out: np.ndarray | None = None) -> np.ndarray:
    """To `size` (width, height) by area averaging: the least aliasing when shrinking, used for every frame
    resize on the way into a model and back. `out`: written into where it has the result's shape and type."""
    cv2 = opencv()
    return cv2.resize(image, tuple(size), dst=out, interpolation=cv2.INTER_AREA)


def resize_timed(image: np.ndarray, size: tuple[int, int] | None) -> tuple[np.ndarray, float | None]:
    """(image at `size`, seconds it took), or (image, None) when it already has that size: no step taken."""
    if size is None or (image.shape[1], image.shape[0]) == tuple(size):
        return image, None
    start = time.perf_counter()
    resized = resize(image, size)
    return resized, time.perf_counter() - start


def grey_thumbnail(frame: np.ndarray, divisor: int) -> np.ndarray:
    """A frame's grey view at 1/divisor of each side, area-averaged (noise averages out, motion and cuts do
    not), int16 for differences: the skip policy's, the scene-cut test's and the still-region average's."""
    cv2 = opencv()
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    size = (max(1, grey.shape[1] // divisor), max(1, grey.shape[0] // divisor))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.int16)
