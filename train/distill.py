"""`make train`: knowledge distillation of a student from the RRDB teacher.

    python -m train.distill                       # the shipped configuration (~1 h on a 2-core CPU)
    python -m train.distill --preset smoke        # under a minute, for tests
    python -m train.distill --preset temporal     # the recurrent S on clips (train/clip_training.py)
    torchrun --nproc_per_node=4 -m train.distill  # several GPUs (DistributedDataParallel; gloo on CPUs)

Under torchrun --batch is per worker: N workers step on one global batch of N x --batch, drawn once and
sharded, so the loss curve matches one process with N x --batch (tests/train/test_ddp.py checks it on 2 CPU ranks).

Loss: alpha * L1(student, sharp) + (1 - alpha) * MSE(student, teacher), alpha 0.7 (the report's).
Adam, reduce-on-plateau on validation SSIM, random crops and the 8 flips/rotations. Every epoch writes
metrics.csv/json, curves.png, last.pt, and best.pt when validation SSIM improves; a killed run picks up
from last.pt (losing at most the epoch in progress) unless --fresh is given.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.distributed as dist
from tqdm import tqdm

from runtime.files import write_text_atomic
from runtime.errors import SharpcamError
from train.bank import Bank, build_bank
from train.clip_training import ClipValidator, clip_loss, sample_clips, unroll
from train.clips import ClipBank, build_clip_bank
from train.checkpoint import FORMAT, save_atomic, ship
from train.config import TrainConfig
from train.corpus import load_manifest
from train.losses import distill_loss, ssim_loss
from train.plots import plot_curves
from train.resume import load_init, resume
from train.student import build_student, count_parameters
from train.teacher_weights import load_teacher
from train.validate import Validator



def sample_batch(bank: Bank, cfg: TrainConfig, gen: torch.Generator, device: torch.device, rank: int = 0,
                 world: int = 1):
    """Random patches, random crops inside them, random flips/rotations; returns float tensors in [0,1].

    Under DDP every rank draws the same global batch of `cfg.batch * world` (one generator, seeded alike on
    every rank) and keeps its own shard: the averaged gradients then equal a single process's on the whole
    global batch, so a run on N workers follows the same loss curve as one worker with N times the batch.
    With one worker this is the draw it always was."""
    idx = torch.randint(len(bank), (cfg.batch * world,), generator=gen)
    side, crop = bank.lq.shape[-1], cfg.crop
    outs: list[list[torch.Tensor]] = [[], [], []]
    mine = range(rank * cfg.batch, (rank + 1) * cfg.batch)
    for n, i in enumerate(idx.tolist()):
        y, x = torch.randint(side - crop + 1, (2,), generator=gen).tolist()
        k, flip = torch.randint(4, (1,), generator=gen).item(), torch.rand(1, generator=gen).item() < 0.5
        if n not in mine:  # another rank's sample: drawn only to keep the generator in step
            continue
        sources = (bank.lq, bank.hq, bank.teacher)
        for out, src in zip(outs, sources):
            if src is None:
                continue
            p = torch.rot90(src[i, :, y:y + crop, x:x + crop], k, (1, 2))
            out.append(p.flip(2) if flip else p)
    to = lambda xs: torch.stack(xs).to(device, non_blocking=True).float().div_(255) if xs else None  # noqa: E731
    return to(outs[0]), to(outs[1]), to(outs[2])


def setup_distributed() -> tuple[int, int, torch.device]:
    """(rank, world size, device); torchrun sets WORLD_SIZE, RANK and LOCAL_RANK."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            torch.cuda.set_device(local)
            return dist.get_rank(), world, torch.device("cuda", local)
        return dist.get_rank(), world, torch.device("cpu")
    return 0, 1, torch.device("cuda" if torch.cuda.is_available() else "cpu")


def prepare_data(cfg: TrainConfig, rank: int) -> tuple[Bank | ClipBank, Validator | ClipValidator | None]:
    entries = load_manifest(Path(cfg.corpus))
    train_entries = [e for e in entries if e.split == "train"]
    if cfg.clips is not None:  # the recurrent student: clips, validated on clips
        validator = None if rank else ClipValidator([e for e in entries if e.split == "val"], Path(cfg.corpus),
                                                    cfg.val_size, cfg.val_max, tuple(cfg.val_conditions),
                                                    cfg.clips.frames)
        return build_clip_bank(train_entries, Path(cfg.corpus), cfg.degrade, cfg.clips), validator
    teacher, teacher_sha = (None, "")
    if cfg.alpha < 1.0:
        teacher, teacher_sha = load_teacher(cfg.teacher)
    bank = build_bank(train_entries, Path(cfg.corpus), cfg.degrade, cfg.bank, teacher, teacher_sha,
                      Path(cfg.cache_dir))
    del teacher
    validator = None
    if rank == 0:
        validator = Validator([e for e in entries if e.split == "val"], Path(cfg.corpus), cfg.val_size, cfg.val_max,
                              tuple(cfg.val_conditions))
    return bank, validator


def train(cfg: TrainConfig, fresh: bool = False, ship_to: Path | None = None) -> list[dict]:
    """Run (or resume) training; returns the per-epoch history."""
    check_clip_training(cfg)
    rank, world, device = setup_distributed()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    run = Path(cfg.run_dir)
    torch.manual_seed(cfg.seed)
    model = build_student(cfg.student, cfg.student_args).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=cfg.plateau_factor,
                                                       patience=cfg.plateau_patience)
    gen = torch.Generator().manual_seed(cfg.seed)  # alike on every rank: sample_batch shards one draw
    if cfg.init:  # fine-tuning or growing: the weights only; a resumed run's last.pt overrides them below
        how = load_init(cfg, model)
        if rank == 0:
            print(f"starting from {cfg.init} ({how})", flush=True)
    history, start_epoch, best = resume(run / "last.pt", cfg, fresh, model, opt, sched, gen)
    load_manifest(Path(cfg.corpus))  # refused here, before the run folder's config.json is replaced
    if rank == 0:
        run.mkdir(parents=True, exist_ok=True)
        write_text_atomic(run / "config.json", json.dumps(cfg.to_dict(), indent=1))
    try:
        bank, validator = prepare_data(cfg, rank)
    except ValueError as err:  # train/bank.py: "no training patches" (an empty or unreadable train split)
        raise SharpcamError(f"{err}; check {cfg.corpus} (rebuild it with 'make corpus')") from err
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    use_amp = device.type == "cuda"
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
    if rank == 0:
        print(f"student {cfg.student} {cfg.student_args}: {count_parameters(model):,} parameters; "
              f"{len(bank)} patches; alpha {cfg.alpha}; device {device} x{world}")
    for epoch in range(start_epoch, cfg.epochs):
        start = time.perf_counter()
        with _epoch_guard(run, cfg, epoch):
            sums = _train_epoch(net, model, bank, cfg, gen, device, opt, scaler, amp_dtype if use_amp else None,
                                desc=f"epoch {epoch + 1}/{cfg.epochs}", rank=rank, world=world)
            weight_gap = _ranks_weight_gap(model) if world > 1 else None
            val_ssim = _validate(validator, model, device, world)
            _check_finite(model, val_ssim)
        sched.step(val_ssim)
        if rank != 0:
            continue
        steps = cfg.steps_per_epoch
        row = {"epoch": epoch + 1, "loss": sums["loss"] / steps, "l1": sums["l1"] / steps,
               "teacher_mse": sums["teacher_mse"] / steps if bank.teacher is not None else None,
               **({"temporal": sums["teacher_mse"] / steps} if cfg.clips is not None else {}),
               "val_ssim": val_ssim, "val_psnr": validator.last_psnr,
               "val_ssim_blurred": validator.blurred_ssim, "val_ssim_unsharp": validator.unsharp_ssim,
               "lr": opt.param_groups[0]["lr"], "seconds": time.perf_counter() - start}
        if world > 1:  # DDP keeps replicas identical; a gap here means the ranks diverged (a bug, not noise)
            row.update(world=world, ranks_max_weight_gap=weight_gap)
        history.append(row)
        print(f"epoch {epoch + 1}: loss {row['loss']:.4f}, val SSIM {val_ssim:.4f} "
              f"(blurred {validator.blurred_ssim:.4f}, unsharp {validator.unsharp_ssim:.4f}), {row['seconds']:.0f}s")
        best = _save_epoch(run, cfg, model, opt, sched, gen, history, best)
    if rank == 0 and ship_to is not None and (run / "best.pt").exists():
        ship(run / "best.pt", ship_to)
        print(f"shipped {run / 'best.pt'} -> {ship_to}")
    if world > 1:
        dist.destroy_process_group()
    return history


def _train_epoch(net, model, bank: Bank, cfg: TrainConfig, gen: torch.Generator, device: torch.device, opt,
                 scaler, amp_dtype: torch.dtype | None, desc: str, rank: int = 0,
                 world: int = 1) -> dict[str, float]:
    """`steps_per_epoch` optimizer steps; returns the loss terms summed over steps, each the mean over the
    global batch (every rank's shard averaged), so the curve does not depend on the number of workers."""
    net.train()
    sums = {"loss": 0.0, "l1": 0.0, "teacher_mse": 0.0}  # teacher_mse: the temporal term when training on clips
    bar = tqdm(range(cfg.steps_per_epoch), desc=desc, disable=rank != 0)
    for _ in bar:
        with torch.autocast(device.type, dtype=amp_dtype or torch.bfloat16, enabled=amp_dtype is not None):
            if cfg.clips is not None:
                lq, hq = sample_clips(bank, cfg.clips, cfg.batch, cfg.crop, gen, device, rank, world)
                out = unroll(net, lq)
            else:
                lq, hq, tq = sample_batch(bank, cfg, gen, device, rank, world)
                out = net(lq)
        if cfg.clips is not None:
            loss, l1, mse = clip_loss(out.float(), hq, cfg.ssim_weight, cfg.temporal_weight)
        else:
            loss, l1, mse = distill_loss(out.float(), hq, tq, cfg.alpha)
            if cfg.ssim_weight:
                loss = loss + cfg.ssim_weight * ssim_loss(out.float(), hq)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)  # clip the true gradients, not the scaled ones
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        scaler.step(opt)
        scaler.update()
        terms = (loss.item(), l1, mse or 0.0)
        if world > 1:  # the shards' means averaged: the global batch's mean (equal shard sizes)
            reduced = torch.tensor(terms, dtype=torch.float64, device=device)
            dist.all_reduce(reduced)
            terms = tuple((reduced / world).tolist())
        if not math.isfinite(terms[0]):  # every rank sees the reduced value: all stop alike
            raise Diverged(f"the loss became {terms[0]} (--lr {opt.param_groups[0]['lr']:g})")
        for key, value in zip(("loss", "l1", "teacher_mse"), terms):
            sums[key] += value
        bar.set_postfix(loss=f"{terms[0]:.4f}")
    return sums


class Diverged(SharpcamError):
    """A non-finite loss or weights: nothing of this epoch is saved, the last good checkpoint stays."""


def _check_finite(model: torch.nn.Module, val_ssim: float) -> None:
    """After an epoch: weights that went to inf/NaN on the last step, or a NaN validation, are not saved."""
    if not math.isfinite(val_ssim) or not all(torch.isfinite(p).all() for p in model.parameters()):
        raise Diverged(f"the weights or the validation SSIM ({val_ssim}) became non-finite")


@contextmanager
def _epoch_guard(run: Path, cfg: TrainConfig, epoch: int) -> Iterator[None]:
    """An epoch that runs out of memory or diverges ends the run in one line; nothing of it is saved, so the
    run folder keeps the last good epoch's checkpoints and metrics."""
    try:
        yield
    except Diverged as err:
        kept = f"{run / 'last.pt'} (epoch {epoch}) is kept" if epoch else "nothing was saved"
        raise Diverged(f"training diverged in epoch {epoch + 1}: {err}; {kept}; train again with a lower --lr "
                       "(and --fresh: a resumed run keeps its configuration)") from err
    except (torch.OutOfMemoryError, RuntimeError) as err:
        if not isinstance(err, torch.OutOfMemoryError) and "can't allocate memory" not in str(err):
            raise
        raise SharpcamError(f"out of memory in epoch {epoch + 1} (--batch {cfg.batch}, --crop {cfg.crop}); lower "
                            "--batch or --crop (and pass --fresh: a resumed run keeps its configuration)") from err


def _ranks_weight_gap(model: torch.nn.Module) -> float:
    """The largest difference between any rank's weights and rank 0's (0.0 when DDP kept them in step)."""
    flat = torch.cat([p.detach().reshape(-1).double() for p in model.parameters()])
    reference = flat.clone()
    dist.broadcast(reference, src=0)
    gap = (flat - reference).abs().max().reshape(1)
    dist.all_reduce(gap, op=dist.ReduceOp.MAX)
    return float(gap.item())


def _validate(validator: Validator | None, model: torch.nn.Module, device: torch.device, world: int) -> float:
    """Rank 0 measures; the others receive the number so every scheduler steps alike."""
    value = torch.zeros(1, device=device)
    if validator is not None:
        score, validator.last_psnr = validator(model)
        value += score
    if world > 1:
        dist.broadcast(value, src=0)
    return float(value.item())


def _save_epoch(run: Path, cfg: TrainConfig, model, opt, sched, gen, history: list[dict], best: float) -> float:
    """Write metrics, curves and checkpoints for the epoch just finished; return the best SSIM so far."""
    latest = history[-1]
    improved = latest["val_ssim"] > best
    best = max(best, latest["val_ssim"])
    ckpt = {"format": FORMAT, "model": {"name": cfg.student, "args": cfg.student_args},
            "state_dict": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "generator": gen.get_state(), "epoch": latest["epoch"], "best_val_ssim": best,
            "history": history, "config": cfg.to_dict()}
    if improved:
        save_atomic(ckpt, run / "best.pt")
    save_atomic(ckpt, run / "last.pt")  # last, so a kill between the two never loses the best
    write_text_atomic(run / "metrics.json", json.dumps(history, indent=1))
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=list(latest))
    writer.writeheader()
    writer.writerows(history)
    write_text_atomic(run / "metrics.csv", table.getvalue())
    plot_curves(history, run / "curves.png", f"{cfg.student} {cfg.student_args}, alpha {cfg.alpha}")
    return best


def check_clip_training(cfg: TrainConfig) -> None:
    """Clips train a recurrent student, without the teacher, on crops that fit in the clips."""
    if cfg.clips is None:
        return
    if cfg.student != "recurrent":
        raise SharpcamError("--preset temporal trains on clips, which needs the recurrent student, "
                            f"not --arch {cfg.student}")
    if cfg.alpha < 1.0:
        raise SharpcamError("--preset temporal trains without the teacher: leave --alpha at 1")
    if cfg.crop > cfg.clips.side:
        raise SharpcamError(f"--crop {cfg.crop} is larger than the {cfg.clips.side} px training clips")


if __name__ == "__main__":  # `python -m train.distill`: the command's CLI lives in train/distill_cli.py
    from train.distill_cli import main
    main()
