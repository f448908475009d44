"""Training clips for the recurrent student: short camera clips with real motion, through the degradation model.

A clip is `frames` views of one training photo through a moving camera, each an affine view (cv2.warpAffine)
of the photo, so every frame has a clean ground truth:
- still: a fixed view (the noise alone changes: what a still scene's temporal noise reduction must calm);
- pan: the view slides 1-6 px per frame in a random direction;
- zoom: the view scales by 0.5-3% per frame, in or out;
- shake: a hand-held camera, the view jitters by 0.5-3 px and a fraction of a degree per frame;
- local: a still or slowly panning background with an elliptical patch of another photo moving over it at
  1-5 px per frame (a talking head over a room): occlusion, and background uncovered behind it.
Then one camera (train/degrade.py `apply_clip`: fresh sensor noise per frame, the codec across the clip) on
a view `margin` px larger than the clip on every side, so blur, noise correlation and codec blocks near the
clip's edge see real pixels, and the margin cut away. Scene cuts (a clip that switches to another one
mid-way, with no reset: the runtime's cut test misses some, e.g. between two crops of one picture) are made
when batches are drawn (train/clip_training.py), from two clips of this bank.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from train.corpus import Entry
from train.degrade import DegradeConfig
from train.images import LoadReport, read_rgb
from train.seeds import seed_for

MOTIONS = ("still", "pan", "zoom", "shake", "local")


@dataclass(frozen=True)
class ClipConfig:
    frames: int = 5
    side: int = 112  # the clip's frames are side x side; training crops (--crop) are taken inside
    per_image: int = 8  # clips per training photo, each with its own motion and camera
    text_per_image: int | None = None  # clips per text photo (documents, slides, code) when more: text shimmers
    margin: int = 16  # real pixels around the clip while it is degraded
    motion_weights: tuple[float, ...] = (0.2, 0.2, 0.15, 0.15, 0.3)  # MOTIONS' shares
    cut_prob: float = 0.15  # share of drawn clips that cut to another clip mid-way (train/clip_training.py)
    seed: int = 0


@dataclass
class ClipBank:
    """uint8 tensors N x T x 3 x side x side: the degraded clips and their clean frames."""
    lq: torch.Tensor
    hq: torch.Tensor
    teacher: None = None  # the clips train without the teacher term (distill.py reads the attribute)

    def __len__(self) -> int:
        return self.lq.shape[0]


def view(img: np.ndarray, centre: tuple[float, float], scale: float, angle: float, size: int) -> np.ndarray:
    """The size x size view of `img` centred on `centre` (x, y), magnified by `scale`, rotated by `angle` degrees."""
    m = cv2.getRotationMatrix2D(centre, angle, scale)
    m[:, 2] += (size / 2 - centre[0], size / 2 - centre[1])
    return cv2.warpAffine(img, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def motion_clip(img: np.ndarray, other: np.ndarray, motion: str, rng: np.random.Generator, size: int,
                frames: int) -> list[np.ndarray]:
    """Clean frames (RGB uint8, size x size) of `img` seen through a camera moving as `motion` says; `other`
    gives the moving patch of "local"."""
    h, w = img.shape[:2]
    centre = np.array([rng.uniform(size / 2, max(size / 2, w - size / 2)),
                       rng.uniform(size / 2, max(size / 2, h - size / 2))])
    direction = rng.uniform(0, 2 * np.pi)
    unit = np.array([np.cos(direction), np.sin(direction)])
    speed = rng.uniform(1, 6) if motion == "pan" else rng.uniform(0, 1) if motion == "local" else 0.0
    rate = rng.uniform(0.005, 0.03) * rng.choice([-1, 1]) if motion == "zoom" else 0.0
    jitter = rng.uniform(0.5, 3.0) if motion == "shake" else 0.0
    out = []
    for t in range(frames):
        c = centre + unit * speed * t + rng.normal(0, jitter, 2) * (t > 0)
        angle = float(rng.normal(0, 0.3)) if jitter and t else 0.0
        out.append(view(img, (float(c[0]), float(c[1])), (1 + rate) ** t, angle, size))
    if motion == "local":
        out = _moving_patch(out, other, rng)
    return out


def _moving_patch(background: list[np.ndarray], other: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """An elliptical patch of `other` (soft-edged, a head's size in the frame) moving 1-5 px per frame over it."""
    size = background[0].shape[0]
    rx, ry = rng.uniform(0.2, 0.4) * size, rng.uniform(0.25, 0.45) * size
    oh, ow = other.shape[:2]
    source = (rng.uniform(size / 2, max(size / 2, ow - size / 2)), rng.uniform(size / 2, max(size / 2, oh - size / 2)))
    patch = view(other, source, 1.0, 0.0, size).astype(np.float32)
    start = rng.uniform(-0.25, 0.25, 2) * size
    direction = rng.uniform(0, 2 * np.pi)
    velocity = rng.uniform(1, 5) * np.array([np.cos(direction), np.sin(direction)])
    return moving_oval(background, patch, (int(rx), int(ry)), start, velocity)


def moving_oval(background: list[np.ndarray], patch: np.ndarray, radii: tuple[int, int],
                start: Sequence[float], velocity: Sequence[float]) -> list[np.ndarray]:
    """`patch` (float32, the frames' size) seen through a soft oval of `radii` centred in the frame, moved by
    start + velocity * t (px) over each background frame t: a head moving over a room (the stability suite's
    local-motion scene makes one too)."""
    height, width = background[0].shape[:2]
    mask = np.zeros((height, width), np.float32)
    cv2.ellipse(mask, (width // 2, height // 2), radii, 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 1.5)
    out = []
    for t, bg in enumerate(background):
        shift = np.float32([[1, 0, start[0] + velocity[0] * t], [0, 1, start[1] + velocity[1] * t]])
        p = cv2.warpAffine(patch, shift, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        m = cv2.warpAffine(mask, shift, (width, height), flags=cv2.INTER_LINEAR)[..., None]
        out.append(np.clip(m * p + (1 - m) * bg, 0, 255).round().astype(np.uint8))
    return out


def degraded_clip(clean: list[np.ndarray], degrade: DegradeConfig, params: dict, margin: int,
                  ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(degraded, clean) frames with the margin cut away."""
    low = degrade.apply_clip(clean, params)
    cut = lambda f: np.ascontiguousarray(f[margin:f.shape[0] - margin, margin:f.shape[1] - margin])  # noqa: E731
    return [cut(f) for f in low], [cut(f) for f in clean]


def build_clip_bank(entries: list[Entry], corpus: Path, degrade: DegradeConfig, cfg: ClipConfig) -> ClipBank:
    report = LoadReport()
    photos = [(e.id, img, e.category) for e in entries if (img := read_rgb(corpus / e.file, report)) is not None]
    report.warn()
    if not photos:
        raise ValueError("no training clips: the training split is empty or unreadable")
    weights = np.array(cfg.motion_weights, float) / sum(cfg.motion_weights)
    lq, hq = [], []
    for index, (image_id, img, category) in enumerate(tqdm(photos, desc="clip bank", unit="photo")):
        clips = cfg.text_per_image if category == "text" and cfg.text_per_image else cfg.per_image
        for variant in range(clips):
            rng = np.random.default_rng(seed_for("clips", cfg.seed, image_id, variant))
            motion = MOTIONS[int(rng.choice(len(MOTIONS), p=weights))]
            other = photos[(index + 1 + int(rng.integers(len(photos) - 1 or 1))) % len(photos)][1]
            clean = motion_clip(img, other, motion, rng, cfg.side + 2 * cfg.margin, cfg.frames)
            low, high = degraded_clip(clean, degrade, degrade.sample(rng), cfg.margin)
            lq.append(np.stack(low))
            hq.append(np.stack(high))
    stack = lambda xs: torch.from_numpy(np.stack(xs)).permute(0, 1, 4, 2, 3).contiguous()  # noqa: E731
    return ClipBank(stack(lq), stack(hq))
