"""The recurrent student (issue 20, item 3): it starts as the shipped S, a reset state is "no previous frame",
and the previous frame it is given changes what it computes once it has learned to read it."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from runtime.errors import SharpcamError
from train.checkpoint import student_from_checkpoint
from train.config import WEBCAM_ARGS
from train.student import FastStudent, RecurrentStudent
from train.temporal import reset_state

SHIPPED_S = Path("engines/webcam.pt")


def _perturbed(model: torch.nn.Module, scale: float = 0.05) -> torch.nn.Module:
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(scale * torch.randn_like(p))
    return model.eval()


def test_adopting_the_shipped_s_computes_s_exactly_whatever_the_previous_frame():
    s, _ = student_from_checkpoint(SHIPPED_S)
    recurrent = RecurrentStudent(**WEBCAM_ARGS).adopt(s).eval()
    torch.manual_seed(0)
    x, unrelated = torch.rand(2, 3, 48, 64), torch.rand(2, 3, 48, 64)
    with torch.no_grad():
        want = s(x)
        for previous in (None, unrelated, x, reset_state((2, 3, 48, 64))):
            torch.testing.assert_close(recurrent(x, previous), want, atol=1e-6, rtol=0)


def test_a_reset_state_is_no_previous_frame_in_float32_and_float16():
    student = _perturbed(RecurrentStudent(channels=8, blocks=2, scale=2))
    x = torch.rand(1, 3, 32, 40)
    with torch.no_grad():
        alone = student(x)
        torch.testing.assert_close(student(x, reset_state((1, 3, 32, 40))), alone, atol=0, rtol=0)
        half = student.half()
        torch.testing.assert_close(half(x.half(), reset_state((1, 3, 32, 40), torch.float16)), half(x.half()),
                                   atol=0, rtol=0)


def test_a_trained_recurrent_student_reads_the_previous_frame():
    """Not a test that cannot fail: with nonzero previous-frame weights the output depends on the state."""
    student = _perturbed(RecurrentStudent(channels=8, blocks=2, scale=2))
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert (student(x, torch.rand_like(x)) - student(x)).abs().max() > 1e-3


def test_odd_sizes_are_padded_like_the_fast_student():
    student = _perturbed(RecurrentStudent(channels=8, blocks=2, scale=2))
    x, previous = torch.rand(1, 3, 31, 45), torch.rand(1, 3, 31, 45)
    with torch.no_grad():
        out = student(x, previous)
        padded = student(torch.nn.functional.pad(x, (0, 1, 0, 1), mode="replicate"),
                         torch.nn.functional.pad(previous, (0, 1, 0, 1), mode="replicate"))
    assert out.shape == x.shape
    torch.testing.assert_close(out, padded[..., :31, :45])


def test_adopting_a_student_of_another_shape_is_refused_with_what_to_do():
    with pytest.raises(SharpcamError, match="grow"):
        RecurrentStudent(channels=32, blocks=4, scale=2).adopt(FastStudent(channels=16, blocks=4, scale=2))


@pytest.mark.parametrize("gate", [False, True])
def test_init_from_s_grows_it_first_when_the_recurrent_student_is_larger(gate):
    from train.config import TrainConfig
    from train.resume import load_init
    cfg = TrainConfig(student="recurrent", student_args={"channels": 32, "blocks": 4, "scale": 2, "luma": False,
                                                         "rep": False, "gate": gate}, init=str(SHIPPED_S))
    model = RecurrentStudent(**cfg.student_args)
    assert "grown" in load_init(cfg, model)
    same = TrainConfig(student="recurrent", student_args={**WEBCAM_ARGS, "gate": gate}, init=str(SHIPPED_S))
    assert "grown" not in load_init(same, RecurrentStudent(**same.student_args))
    s, _ = student_from_checkpoint(SHIPPED_S)
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x, torch.rand_like(x)), s(x), atol=1e-4, rtol=0)  # grow's rounding


def test_the_gated_student_starts_as_s_blends_once_its_gate_opens_and_never_across_a_reset():
    s, _ = student_from_checkpoint(SHIPPED_S)
    gated = RecurrentStudent(**WEBCAM_ARGS, gate=True).adopt(s).eval()
    x, previous = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(gated(x, previous), s(x), atol=1e-6, rtol=0)
        torch.nn.init.constant_(gated.gate.bias, 1.0)  # fully open: the previous output, clamped
        torch.testing.assert_close(gated(x, previous), previous, atol=1e-6, rtol=0)
        torch.testing.assert_close(gated(x, reset_state((1, 3, 32, 32))), gated(x), atol=0, rtol=0)
        torch.testing.assert_close(gated(x), s(x), atol=1e-6, rtol=0)


def test_every_new_weight_of_the_gated_student_gets_a_gradient_at_step_0():
    s, _ = student_from_checkpoint(SHIPPED_S)
    gated = RecurrentStudent(**WEBCAM_ARGS, gate=True).adopt(s).train()
    x, previous, clean = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
    (gated(x, previous) - clean).abs().mean().backward()
    assert gated.gate.weight.grad.abs().sum() > 0 and gated.gate.bias.grad.abs().sum() > 0
    assert gated.head.weight.grad[:, gated.frame_planes:].abs().sum() > 0  # the previous-frame inputs
