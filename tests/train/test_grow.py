"""Growing S into M or L computes S's output exactly, then trains: every new weight gets a gradient."""
from __future__ import annotations

import pytest
import torch

from runtime.errors import SharpcamError
from train.grow import can_grow, grow
from train.student import FastStudent


@pytest.mark.parametrize("small_rep", [False, True])
@pytest.mark.parametrize("channels,blocks", [(32, 4), (64, 6)])
def test_the_grown_student_computes_what_the_small_one_does(small_rep, channels, blocks):
    torch.manual_seed(0)
    small = FastStudent(channels=16, blocks=4, scale=2, rep=small_rep)
    with torch.no_grad():  # trained-looking weights: nonzero everywhere, branches included
        for p in small.parameters():
            p.add_(0.05 * torch.randn_like(p))
    big = grow(small, FastStudent(channels=channels, blocks=blocks, scale=2))
    x = torch.rand(2, 3, 24, 32)
    small.eval(), big.eval()
    with torch.no_grad():
        torch.testing.assert_close(big(x), small(x), atol=1e-4, rtol=0)  # fuse() rounds


def test_every_new_weight_moves_within_two_steps_so_the_larger_student_can_learn():
    torch.manual_seed(0)
    big = grow(FastStudent(channels=16, blocks=2, scale=2), FastStudent(channels=32, blocks=3, scale=2))
    before = {name: p.detach().clone() for name, p in big.named_parameters()}
    opt = torch.optim.SGD(big.parameters(), lr=0.1)
    big.train()
    for _ in range(2):
        x = torch.rand(2, 3, 16, 16)
        opt.zero_grad()
        (big(x) - torch.rand_like(x)).abs().mean().backward()
        opt.step()
    def moved(name: str, rows: slice) -> bool:  # many of the rows' weights changed (a hidden unit whose ReLU is
        # shut on the whole tiny batch stays: ~half of them here; what this guards against is none moving)
        return (dict(big.named_parameters())[name][rows] != before[name][rows]).float().mean() > 0.4
    assert moved("head.weight", slice(16, None))  # the stream's new channels
    assert moved("body.0.conv1.weight", slice(16, None))  # a block's new hidden channels
    assert moved("body.0.conv2.weight", slice(None))
    assert moved("body.2.conv2.weight", slice(None))  # the new block's zero convolution


@pytest.mark.parametrize("small,big,why", [
    (dict(channels=16, blocks=4, scale=2), dict(channels=32, blocks=4, scale=4), "scale differs"),
    (dict(channels=32, blocks=4, scale=2), dict(channels=16, blocks=4, scale=2), "does not fit"),
    (dict(channels=16, blocks=4, scale=2), dict(channels=32, blocks=4, scale=2, rep=True), "rep=False"),
])
def test_what_cannot_grow_is_refused_with_the_reason(small, big, why):
    with pytest.raises(SharpcamError, match=why):
        grow(FastStudent(**small), FastStudent(**big))


def test_distill_starts_medium_from_a_small_checkpoint(mini_corpus, tmp_path):
    """--init with a smaller student of the family: the run's first validation equals the small one's."""
    import dataclasses
    from train.bank import BankConfig
    from train.checkpoint import FORMAT
    from train.config import preset
    from train.distill import train
    torch.manual_seed(1)
    small = FastStudent(channels=16, blocks=4, scale=2)
    ckpt = tmp_path / "small.pt"
    torch.save({"format": FORMAT, "model": {"name": "fast", "args": {"channels": 16, "blocks": 4, "scale": 2,
                                                                     "luma": False, "rep": False}},
                "state_dict": small.state_dict()}, ckpt)
    cfg = dataclasses.replace(preset("medium"), corpus=str(mini_corpus), run_dir=str(tmp_path / "m"),
                              cache_dir=str(tmp_path / "cache"), epochs=1, steps_per_epoch=1, batch=2, crop=32,
                              val_size=64, val_max=2, threads=1, init=str(ckpt), lr=1e-9,
                              student_args={**preset("medium").student_args, "rep": False},
                              bank=BankConfig(patch=48, margin=8, variants=1))
    history = train(cfg, fresh=True)
    reference = dataclasses.replace(cfg, student_args={"channels": 16, "blocks": 4, "scale": 2, "luma": False,
                                                       "rep": False}, run_dir=str(tmp_path / "s"))
    same = train(reference, fresh=True)
    assert history[0]["val_ssim"] == pytest.approx(same[0]["val_ssim"], abs=1e-4)


def _small_checkpoint(path) -> str:
    from train.checkpoint import FORMAT
    args = {"channels": 16, "blocks": 2, "scale": 2, "luma": False, "rep": False}
    torch.save({"format": FORMAT, "model": {"name": "fast", "args": args},
                "state_dict": FastStudent(**args).state_dict()}, path)
    return str(path)


def test_growing_through_init_checks_the_rule_once_in_grow(tmp_path, monkeypatch):
    """grow() owns the check; --init (train/resume.py) relies on it instead of asking can_grow first."""
    import train.grow
    import train.resume
    from train.config import TrainConfig
    from train.resume import load_init
    calls = []
    counted = lambda small, big: calls.append(1) or can_grow(small, big)  # noqa: E731
    monkeypatch.setattr(train.grow, "can_grow", counted)
    monkeypatch.setattr(train.resume, "can_grow", counted, raising=False)  # where a second check would live
    args = {"channels": 32, "blocks": 3, "scale": 2}
    cfg = TrainConfig(student="fast", student_args=args, init=_small_checkpoint(tmp_path / "s.pt"))
    assert load_init(cfg, FastStudent(**args)).startswith("grown from") and len(calls) == 1


@pytest.mark.parametrize("student,args,why", [
    ("fast", {"channels": 8, "blocks": 2, "scale": 2}, "does not fit"),
    ("recurrent", {"channels": 16, "blocks": 2, "scale": 2, "rep": True}, "rep=False"),  # same shape, checked too
])
def test_an_init_that_cannot_grow_says_why_and_what_to_do(tmp_path, student, args, why):
    from train.config import TrainConfig
    from train.resume import load_init
    from train.student import build_student
    cfg = TrainConfig(student=student, student_args=args, init=_small_checkpoint(tmp_path / "s.pt"))
    with pytest.raises(SharpcamError) as refused:
        load_init(cfg, build_student(student, args))
    message = str(refused.value)
    assert why in message and "cannot start from it" in message and "a smaller student of the family" in message
