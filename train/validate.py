"""Validation during training: centre crops of the validation split, degraded under fixed conditions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from runtime.errors import SharpcamError
from train.conditions import condition_params
from train.corpus import Entry
from train.degrade import apply
from train.images import LoadReport, read_rgb
from train.metrics import psnr, ssim, unsharp_baseline
from train.tensors import run_model


class Validator:
    """Centre crops of the validation split under each of `conditions` (train.conditions.CONDITIONS; the report's
    benchmark blur by default); baselines computed once."""

    def __init__(self, entries: list[Entry], corpus: Path, size: int, limit: int,
                 conditions: tuple[str, ...] = ("benchmark",)) -> None:
        self.pairs = []
        for e in entries[:limit]:
            img = read_rgb(corpus / e.file, LoadReport())
            if img is None:
                continue
            h, w = img.shape[:2]
            th, tw = min(h, size) // 4 * 4, min(w, size) // 4 * 4
            y, x = (h - th) // 2, (w - tw) // 2
            for condition in conditions:
                degraded = apply(img, condition_params(condition, e.id))
                self.pairs.append((degraded[y:y + th, x:x + tw], img[y:y + th, x:x + tw]))
        if not self.pairs:
            raise SharpcamError("the validation split is empty: rebuild the corpus with more images")
        self.blurred_ssim = float(np.mean([ssim(lq, hq) for lq, hq in self.pairs]))
        self.unsharp_ssim = float(np.mean([ssim(unsharp_baseline(lq), hq) for lq, hq in self.pairs]))
        self.last_psnr = float("nan")

    @torch.no_grad()
    def __call__(self, model: torch.nn.Module) -> tuple[float, float]:
        was_training = model.training
        model.eval()
        outs = [(run_model(model, lq), hq) for lq, hq in self.pairs]
        model.train(was_training)
        return float(np.mean([ssim(o, hq) for o, hq in outs])), float(np.mean([psnr(o, hq) for o, hq in outs]))
