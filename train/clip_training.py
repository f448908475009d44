"""Training and validating the recurrent student on clips (the `temporal` preset; the bank: train/clips.py).

Each step unrolls the student over a batch of clips as the runtime runs it, y_t = student(x_t, y_{t-1}) from a
reset at t = 0 (y_{-1} := x_0), feeding back the clamped output (what the graph's state holds). The gradient
flows through the fed-back frames (backpropagation through time, not detached): the student learns what its
output does to the next frame, which is what temporal stability is about; clips are short (4-6 frames), so
it costs T forward passes' memory, no more. Loss, averaged over frames:
    L1(y_t, clean_t) + ssim_weight * (1 - SSIM(y_t, clean_t))            (the webcam preset's per-frame terms)
  + temporal_weight * mean |(y_t - y_{t-1}) - (clean_t - clean_{t-1})|   (t >= 1)
The temporal term asks the output to change as the clean clip changes, no more (shimmer, noise) and no less
(trails, a frozen picture after a cut). A share of the clips cut to another clip mid-way without a reset
(`ClipConfig.cut_prob`): the runtime's cut test (runtime/scene_cut.py) misses cuts between similar pictures,
so the student must still recover from an unrelated previous frame by itself.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from runtime.errors import SharpcamError
from train.clips import ClipBank, ClipConfig, motion_clip
from train.conditions import condition_params
from train.corpus import Entry
from train.degrade import apply_clip
from train.images import LoadReport, read_rgb
from train.losses import ssim_loss
from train.metrics import psnr, ssim, unsharp_baseline
from train.seeds import seed_for


def sample_clips(bank: ClipBank, clips: ClipConfig, batch: int, crop: int, gen: torch.Generator,
                 device: torch.device, rank: int = 0, world: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """(degraded, clean) float batches B x T x 3 x crop x crop in [0,1]: random clips, one random crop and
    flip/rotation each (the same for all its frames), some cut to another clip mid-way. Every rank draws the
    global batch and keeps its shard, as train.distill.sample_batch does."""
    n, frames, side = len(bank), bank.lq.shape[1], bank.lq.shape[-1]
    lows, highs = [], []
    for index in range(batch * world):
        i, j = torch.randint(n, (2,), generator=gen).tolist()
        cut = torch.rand(1, generator=gen).item() < clips.cut_prob
        at = int(torch.randint(1, frames, (1,), generator=gen).item())
        y, x = torch.randint(side - crop + 1, (2,), generator=gen).tolist()
        k, flip = torch.randint(4, (1,), generator=gen).item(), torch.rand(1, generator=gen).item() < 0.5
        if not rank * batch <= index < (rank + 1) * batch:  # another rank's sample: drawn to keep in step
            continue
        for out, src in ((lows, bank.lq), (highs, bank.hq)):
            clip = torch.cat([src[i, :at], src[j, at:]]) if cut else src[i]
            clip = torch.rot90(clip[..., y:y + crop, x:x + crop], k, (2, 3))
            out.append(clip.flip(3) if flip else clip)
    to = lambda xs: torch.stack(xs).to(device, non_blocking=True).float().div_(255)  # noqa: E731
    return to(lows), to(highs)


def unroll(net: torch.nn.Module, clip: torch.Tensor) -> torch.Tensor:
    """The student over B x T x 3 x H x W frames as the runtime runs it; B x T x 3 x H x W out."""
    outs, previous = [], None
    for t in range(clip.shape[1]):
        y = net(clip[:, t], previous)
        outs.append(y)
        previous = y.clamp(0.0, 1.0)  # the graph's state: its clamped output
    return torch.stack(outs, 1)


def clip_loss(out: torch.Tensor, clean: torch.Tensor, ssim_weight: float,
              temporal_weight: float) -> tuple[torch.Tensor, float, float]:
    """(loss, per-frame L1, temporal term) for unrolled outputs and clean clips, B x T x 3 x H x W."""
    l1 = F.l1_loss(out, clean)
    loss = l1
    if ssim_weight:
        loss = loss + ssim_weight * ssim_loss(out.flatten(0, 1), clean.flatten(0, 1))
    temporal = ((out[:, 1:] - out[:, :-1]) - (clean[:, 1:] - clean[:, :-1])).abs().mean()
    if temporal_weight:
        loss = loss + temporal_weight * temporal
    return loss, l1.item(), temporal.item()


class ClipValidator:
    """Fixed validation clips (a still view and a pan of each validation photo, under each condition),
    unrolled like training; the score is the mean SSIM over every frame, so noise calmed over time counts
    and so do trails. The same interface as train.validate.Validator (scores, baselines, last PSNR)."""

    MOTIONS = ("still", "pan")

    def __init__(self, entries: list[Entry], corpus: Path, size: int, limit: int, conditions: tuple[str, ...],
                 frames: int) -> None:
        self.clips: list[tuple[np.ndarray, np.ndarray]] = []  # (degraded, clean): T x H x W x 3 uint8
        for e in entries[:limit]:
            img = read_rgb(corpus / e.file, LoadReport())
            if img is None:
                continue
            side = min(size, *img.shape[:2]) // 4 * 4
            for motion in self.MOTIONS:
                rng = np.random.default_rng(seed_for("val-clip", e.id, motion))
                clean = motion_clip(img, img, motion, rng, side, frames)
                for condition in conditions:
                    low = apply_clip(clean, condition_params(condition, f"{e.id}/{motion}"))
                    self.clips.append((np.stack(low), np.stack(clean)))
        if not self.clips:
            raise SharpcamError("the validation split is empty: rebuild the corpus with more images")
        pairs = [(lo, hi) for low, high in self.clips for lo, hi in zip(low, high)]
        self.blurred_ssim = float(np.mean([ssim(lo, hi) for lo, hi in pairs]))
        self.unsharp_ssim = float(np.mean([ssim(unsharp_baseline(lo), hi) for lo, hi in pairs]))
        self.last_psnr = float("nan")

    @torch.no_grad()
    def __call__(self, model: torch.nn.Module) -> tuple[float, float]:
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        scores, psnrs = [], []
        for low, clean in self.clips:
            x = torch.from_numpy(low).permute(0, 3, 1, 2)[None].to(device).float() / 255
            out = unroll(model, x)[0].permute(0, 2, 3, 1).mul(255).round().byte().cpu().numpy()
            scores += [ssim(o, c) for o, c in zip(out, clean)]
            psnrs += [psnr(o, c) for o, c in zip(out, clean)]
        model.train(was_training)
        return float(np.mean(scores)), float(np.mean(psnrs))
