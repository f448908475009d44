"""The degradation interface: what turns a sharp image into the picture a student learns to fix.

Two kinds, each a config dataclass that is also the degradation, chosen by its `kind` field (stored in
every run's config.json and checkpoint):
- "blur" (train/blur.py `BlurConfig`): the report's benchmark blur, optionally with video-call artefacts;
- "camera" (train/camera.py `CameraConfig`): a camera's capture chain (optics, sensor noise, in-camera
  processing, codecs), what the `webcam` preset trains on.

A degradation samples a JSON-serialisable parameter dict from a seeded generator (`sample`) and turns it
into pixels (`apply`, `apply_clip`): the same parameters always give the same pixels, so the dict can key a
cache. The parameters say which kind drew them, so `apply` here needs no config: validation and the
quality benchmarks apply the fixed conditions of train/conditions.py with it.
"""
from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from runtime.errors import SharpcamError
from train.blur import BENCHMARK, BlurConfig
from train.camera import CAMERA, CameraConfig, is_camera_params


class Degradation(Protocol):
    kind: str
    # Pixels of real surroundings a crop needs to be degraded on its own; None: degrade the whole image.
    context: int | None

    def sample(self, rng: np.random.Generator) -> dict: ...

    def apply(self, img: np.ndarray, params: dict, frame: int = 0) -> np.ndarray: ...

    def apply_clip(self, frames: list[np.ndarray], params: dict, first: int = 0) -> list[np.ndarray]: ...


DegradeConfig = BlurConfig | CameraConfig
KINDS: dict[str, type[BlurConfig] | type[CameraConfig]] = {"blur": BlurConfig, "camera": CameraConfig}


def config_from_dict(raw: dict[str, Any]) -> DegradeConfig:
    """The degradation of a stored config (JSON lists become tuples)."""
    raw = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    kind = raw.pop("kind", None)
    if kind is None:
        # Stored before degradations had a kind (run folders' config.json, checkpoints such as the shipped
        # engines/*.pt): of the two configs, only the camera model's has `blur_prob`.
        kind = "camera" if "blur_prob" in raw else "blur"
    if kind not in KINDS:
        raise SharpcamError(f"unknown degradation kind {kind!r} in a stored config; known: {', '.join(KINDS)}")
    return KINDS[kind](**raw)


def for_params(params: dict) -> Degradation:
    """The degradation that applies `params` (whichever config drew them: applying needs no config)."""
    return CAMERA if is_camera_params(params) else BENCHMARK


def apply(img: np.ndarray, params: dict, frame: int = 0) -> np.ndarray:
    """Degrade an HxWx3 uint8 RGB image with parameters of either kind; same size out."""
    return for_params(params).apply(img, params, frame)


def apply_clip(frames: list[np.ndarray], params: dict, first: int = 0) -> list[np.ndarray]:
    """A clip through one degradation: fresh sensor noise per frame where the kind has any."""
    return for_params(params).apply_clip(frames, params, first)
