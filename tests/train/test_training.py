"""Loss, patch bank and teacher cache, smoke training, checkpoints and resume."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from runtime.errors import SharpcamError
from train.bank import BankConfig, build_bank
from train.checkpoint import load_checkpoint, ship, student_from_checkpoint
from train.config import TrainConfig, preset
from train.corpus import load_manifest
from train.blur import BlurConfig
from train.config import FAST_ARGS
from train.distill import train
from train.distill_cli import parse_args
from train.losses import distill_loss, ssim_loss
from train.metrics import ssim


def test_loss_is_the_reports_formula():
    torch.manual_seed(0)
    s, sharp, teach = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    loss, l1, mse = distill_loss(s, sharp, teach, 0.7)
    expected = 0.7 * F.l1_loss(s, sharp) + 0.3 * F.mse_loss(s, teach)
    assert torch.allclose(loss, expected)
    assert l1 == pytest.approx(F.l1_loss(s, sharp).item()) and mse == pytest.approx(F.mse_loss(s, teach).item())
    only_l1, _, none = distill_loss(s, sharp, None, 1.0)
    assert none is None and torch.allclose(only_l1, F.l1_loss(s, sharp))


class CountingTeacher(nn.Module):
    """A stand-in x4 'teacher' that counts its calls, to test the cache without 20 s per patch."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.w = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return F.interpolate(x, scale_factor=4, mode="nearest") * self.w


def test_teacher_outputs_are_cached_and_keyed_by_weights(mini_corpus, tmp_path):
    entries = [e for e in load_manifest(mini_corpus) if e.split == "train"]
    cfg = BankConfig(patch=32, margin=4, variants=2)
    teacher = CountingTeacher()
    bank = build_bank(entries, mini_corpus, BlurConfig(), cfg, teacher, "sha-a", tmp_path)
    assert len(bank) == 2 * len(entries) and teacher.calls == len(bank)
    assert bank.lq.shape == bank.hq.shape == bank.teacher.shape == (len(bank), 3, 32, 32)
    again = build_bank(entries, mini_corpus, BlurConfig(), cfg, teacher, "sha-a", tmp_path)
    assert teacher.calls == len(bank)  # all from the cache
    assert torch.equal(again.teacher, bank.teacher) and torch.equal(again.lq, bank.lq)
    build_bank(entries, mini_corpus, BlurConfig(), cfg, teacher, "sha-b", tmp_path)
    assert teacher.calls == 2 * len(bank)  # other weights, other keys


def _smoke(corpus: Path, run: Path, **changes) -> TrainConfig:
    cfg = preset("smoke")
    cfg = dataclasses.replace(cfg, corpus=str(corpus), run_dir=str(run), cache_dir=str(run.parent / "cache"),
                              bank=BankConfig(patch=48, margin=8, variants=2), crop=32, threads=2, **changes)
    return cfg


@pytest.fixture(scope="module")
def smoke_run(mini_corpus, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "smoke"
    cfg = _smoke(mini_corpus, run, epochs=3, steps_per_epoch=8)
    return cfg, train(cfg, fresh=True)


def test_smoke_training_loss_falls_and_writes_outputs(smoke_run):
    cfg, history = smoke_run
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["loss"] < history[0]["loss"]
    assert history[0]["teacher_mse"] is not None
    run = Path(cfg.run_dir)
    for name in ("last.pt", "best.pt", "metrics.csv", "metrics.json", "curves.png"):
        assert (run / name).stat().st_size > 0, name


def test_checkpoint_round_trip(smoke_run, tmp_path):
    cfg, history = smoke_run
    best = Path(cfg.run_dir) / "best.pt"
    model, ckpt = student_from_checkpoint(best)
    assert ckpt["model"] == {"name": "seed", "args": {"residual": True}}
    assert TrainConfig.from_dict(ckpt["config"]) == cfg
    assert ckpt["best_val_ssim"] == max(h["val_ssim"] for h in history)
    ship(best, tmp_path / "student.pt")
    shipped, small = student_from_checkpoint(tmp_path / "student.pt")
    assert "optimizer" not in small
    x = torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        assert torch.equal(model(x), shipped(x))


def test_resume_continues_exactly(mini_corpus, tmp_path):
    straight = train(_smoke(mini_corpus, tmp_path / "a", epochs=2, steps_per_epoch=4, alpha=1.0), fresh=True)
    train(_smoke(mini_corpus, tmp_path / "b", epochs=1, steps_per_epoch=4, alpha=1.0), fresh=True)  # "killed"
    resumed_cfg = _smoke(mini_corpus, tmp_path / "b", epochs=2, steps_per_epoch=4, alpha=1.0)
    first = load_checkpoint(tmp_path / "b" / "last.pt")
    del first["config"]["degrade"]["kind"]  # as a run folder written before degradations had a kind
    torch.save(first, tmp_path / "b" / "last.pt")
    resumed = train(dataclasses.replace(resumed_cfg, threads=2))  # more epochs and threads: the same run
    assert len(resumed) == 2
    assert resumed[1]["loss"] == pytest.approx(straight[1]["loss"], rel=1e-5)
    a = load_checkpoint(tmp_path / "a" / "last.pt")["state_dict"]
    b = load_checkpoint(tmp_path / "b" / "last.pt")["state_dict"]
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_resume_refuses_a_different_config(mini_corpus, tmp_path):
    train(_smoke(mini_corpus, tmp_path / "c", epochs=1, steps_per_epoch=2, alpha=1.0), fresh=True)
    with pytest.raises(SharpcamError, match=r"different configuration \(alpha\)"):
        train(_smoke(mini_corpus, tmp_path / "c", epochs=1, steps_per_epoch=2, alpha=0.5))


def test_missing_checkpoint_and_corpus_are_clear(tmp_path):
    with pytest.raises(SharpcamError, match="make train"):
        load_checkpoint(tmp_path / "none.pt")
    with pytest.raises(SharpcamError, match="make corpus"):
        load_manifest(tmp_path)


def test_cli_builds_the_fast_preset_and_merges_architecture_arguments():
    cfg, _ = parse_args(["--preset", "fast", "--arch-args", '{"channels": 32}', "--variants", "8",
                         "--crop", "128", "--alpha", "1"])
    assert cfg.student == "fast" and cfg.student_args == {**FAST_ARGS, "channels": 32}
    assert cfg.bank.variants == 8 and cfg.crop == 128 and cfg.alpha == 1.0
    cfg, _ = parse_args(["--arch", "seed"])  # the default preset already is the seed
    assert cfg.student == "seed" and cfg.student_args == {"residual": True}
    cfg, _ = parse_args(["--preset", "fast", "--arch", "seed"])  # another architecture drops the preset's args
    assert cfg.student == "seed" and cfg.student_args == {}


@pytest.mark.parametrize("argv, message", [(["--crop", "200"], "larger than the bank"),
                                           (["--preset", "fast", "--no-residual"], "seed student only")])
def test_cli_refuses_contradictions(argv, message):
    with pytest.raises(SharpcamError, match=message):
        parse_args(argv)


def test_fast_student_trains_with_the_ssim_term_and_no_teacher(mini_corpus, tmp_path):
    """The fast preset's path: no teacher in the bank (alpha 1), an SSIM term, a pixel-unshuffle student."""
    cfg = _smoke(mini_corpus, tmp_path / "fast", student="fast", student_args=dict(FAST_ARGS), alpha=1.0,
                 ssim_weight=1.0, epochs=2, steps_per_epoch=6)
    history = train(cfg, fresh=True)
    assert len(history) == 2 and history[-1]["teacher_mse"] is None
    model, ckpt = student_from_checkpoint(tmp_path / "fast" / "best.pt")
    assert ckpt["model"] == {"name": "fast", "args": FAST_ARGS}
    assert 0 < history[-1]["val_ssim"] <= 1


def test_ssim_loss_is_scikit_images_ssim():
    torch.manual_seed(0)
    a = torch.rand(1, 3, 40, 48)
    b = (a + 0.1 * torch.randn_like(a)).clamp(0, 1)
    as_image = lambda t: t[0].permute(1, 2, 0).numpy()  # noqa: E731
    assert 1 - ssim_loss(a, b).item() == pytest.approx(ssim(as_image(a), as_image(b)), abs=1e-5)
    assert ssim_loss(a, a).item() == pytest.approx(0.0, abs=1e-6)
