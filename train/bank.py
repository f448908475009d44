"""The training patch bank: degraded, sharp and teacher patches, built once and cached on disk.

For every training image and variant v: a seeded degradation of the whole image, a seeded crop of
`patch + 2*margin` pixels, the teacher run on the degraded crop (the margin gives it real context
and is cut away afterwards). Teacher outputs are the expensive part (~2 s per patch on a 2-core CPU),
so each is stored under a key covering the image bytes, the degradation, the crop, the teacher mode,
the teacher weights and this file's format version.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from train.corpus import Entry
from train.degrade import DegradeConfig
from train.images import LoadReport, read_rgb
from train.seeds import seed_for
from train.teacher import sharpen_same_size
from train.teacher_cache import TeacherCache
from train.tensors import to_tensor

CACHE_VERSION = 2  # the teacher cache key's tag; 2: camera degradations (VP8 with a fixed quantizer)


@dataclass
class BankConfig:
    patch: int = 128
    margin: int = 12
    variants: int = 4
    teacher_mode: str = "down2"
    seed: int = 0


@dataclass
class Bank:
    """uint8 NCHW tensors; `teacher` is None when training without the teacher term."""
    lq: torch.Tensor
    hq: torch.Tensor
    teacher: torch.Tensor | None

    def __len__(self) -> int:
        return self.lq.shape[0]


def build_bank(entries: list[Entry], corpus: Path, degrade: DegradeConfig, cfg: BankConfig,
               teacher: torch.nn.Module | None, teacher_sha: str, cache: Path) -> Bank:
    teacher_cache = TeacherCache(cache)
    report = LoadReport()
    lq, hq, tq = [], [], []
    jobs = [(e, v) for e in entries for v in range(cfg.variants)]
    images: dict[str, tuple[np.ndarray, str] | None] = {}
    for entry, variant in tqdm(jobs, desc="patch bank", unit="patch"):
        if entry.id not in images:
            img = read_rgb(corpus / entry.file, report)
            images[entry.id] = None if img is None else (img, hashlib.sha256(img.tobytes()).hexdigest())
        if images[entry.id] is None:
            continue
        img, img_sha = images[entry.id]
        low, high, box, params = _degraded_patch(img, entry.id, variant, degrade, cfg)
        lq.append(_center(low, cfg.margin))
        hq.append(_center(high, cfg.margin))
        if teacher is not None:
            key = [CACHE_VERSION, img_sha, params, box, cfg.teacher_mode, teacher_sha]
            tq.append(teacher_cache.get(key, partial(_teacher_patch, teacher, low, cfg)))
    report.warn()
    if not lq:
        raise ValueError("no training patches: the training split is empty or unreadable")
    stack = lambda xs: torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).contiguous()  # noqa: E731
    return Bank(stack(lq), stack(hq), stack(tq) if tq else None)


def _degraded_patch(img: np.ndarray, image_id: str, variant: int, degrade: DegradeConfig,
                    cfg: BankConfig) -> tuple[np.ndarray, np.ndarray, list[int], dict]:
    rng = np.random.default_rng(seed_for("bank", cfg.seed, image_id, variant))
    params = degrade.sample(rng)
    side = cfg.patch + 2 * cfg.margin
    h, w = img.shape[:2]
    if h < side or w < side:
        raise ValueError(f"{image_id}: {w}x{h} is smaller than a {side}px training patch")
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    if degrade.context is None:
        low = degrade.apply(img, params)[y:y + side, x:x + side]
        return low, img[y:y + side, x:x + side], [y, x, side], params
    b = degrade.context
    y0, x0 = max(y - b, 0), max(x - b, 0)
    region = img[y0:min(y + side + b, h), x0:min(x + side + b, w)]
    low = degrade.apply(region, params)[y - y0:y - y0 + side, x - x0:x - x0 + side]
    return np.ascontiguousarray(low), img[y:y + side, x:x + side], [y, x, side], params


def _center(a: np.ndarray, margin: int) -> np.ndarray:
    return np.ascontiguousarray(a[margin:a.shape[0] - margin, margin:a.shape[1] - margin])


def _teacher_patch(teacher: torch.nn.Module, low: np.ndarray, cfg: BankConfig) -> np.ndarray:
    out = sharpen_same_size(teacher, to_tensor(low), cfg.teacher_mode)
    return _center(out[0].permute(1, 2, 0).mul(255).round().byte().numpy(), cfg.margin)
