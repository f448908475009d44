"""A smoke run of every training preset: its architecture, degradation and losses, at smoke size.

The family presets (small, medium, large) are what `make train`, `make train-medium` and `make train-large`
run for an hour or more; here each runs two steps on the mini corpus so a broken recipe fails in CI, not an
hour into a training run.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from train.bank import BankConfig
from train.checkpoint import student_from_checkpoint
from train.config import FAMILY_ARGS, PRESETS, TrainConfig, preset
from train.distill import train
from train.student import count_parameters

ROOT = Path(__file__).resolve().parents[2]


def _shrunk(name: str, corpus: Path, run: Path) -> TrainConfig:
    """The preset as it is, only smaller: same architecture, degradation kind, loss weights and validation."""
    cfg = preset(name)
    return dataclasses.replace(cfg, corpus=str(corpus), run_dir=str(run), cache_dir=str(run.parent / "cache"),
                               init=None,  # medium and large start from the tier below (test below, test_grow.py)
                               epochs=1, steps_per_epoch=2, batch=2, crop=32, val_size=64, val_max=2, threads=1,
                               bank=dataclasses.replace(cfg.bank, patch=48, margin=8, variants=1),
                               clips=cfg.clips and dataclasses.replace(cfg.clips, side=48, margin=8, per_image=1))


@pytest.mark.parametrize("name", [p for p in PRESETS if p != "smoke"])
def test_every_preset_trains_a_step_and_writes_a_loadable_checkpoint(name, mini_corpus, tmp_path):
    cfg = _shrunk(name, mini_corpus, tmp_path / name)
    history = train(cfg, fresh=True)
    assert len(history) == 1 and torch.isfinite(torch.tensor(history[0]["loss"]))
    model, ckpt = student_from_checkpoint(Path(cfg.run_dir) / "best.pt")
    assert ckpt["model"] == {"name": preset(name).student, "args": preset(name).student_args}
    assert ckpt["config"]["degrade"]["kind"] == preset(name).degrade.kind
    out = model(torch.rand(1, 3, 20, 28))
    assert out.shape == (1, 3, 20, 28)


def test_the_family_grows_by_the_cost_its_tiers_promise():
    """S is the webcam student; M ~3-4x its cost, L >= 20x. Parameters stand in for multiply-adds: every family
    student has the same unshuffle factor (where each starts from: the test below)."""
    from train.student import build_student
    small = preset("webcam").student_args
    cost = {name: count_parameters(build_student("fast", args)) for name, args in
            {"small": small, **FAMILY_ARGS}.items()}
    assert {args["scale"] for args in FAMILY_ARGS.values()} == {small["scale"]}
    assert 3.0 <= cost["medium"] / cost["small"] <= 4.0
    assert cost["large"] / cost["small"] >= 20


def test_each_family_tier_grows_from_the_shipped_tier_below():
    """M starts from S's checkpoint and L from M's: each init exists, holds the tier below, and fits the shape."""
    from train.grow import can_grow
    for name, below in (("medium", "webcam"), ("large", "medium")):
        cfg = preset(name)
        _, ckpt = student_from_checkpoint(ROOT / cfg.init)
        assert Path(cfg.init).stem == below and ckpt["model"]["args"] == preset(below).student_args
        assert can_grow(ckpt["model"]["args"], cfg.student_args) is None
