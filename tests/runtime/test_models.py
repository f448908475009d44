import copy

import pytest
import torch

from runtime.errors import SharpcamError
from train.student import FastStudent, RepConv3x3, SeedStudent, build_student, count_parameters
from train.teacher import RRDBNet, sharpen_same_size


@pytest.mark.parametrize("residual", [False, True])
def test_seed_student_has_the_reports_parameter_count(residual):
    assert count_parameters(SeedStudent(residual=residual)) == 334_147


def test_teacher_has_bsrgan_parameter_count():
    assert count_parameters(RRDBNet()) == 16_697_987


def test_student_keeps_size_and_clamps_only_in_eval():
    model = SeedStudent(residual=True)
    x = torch.rand(1, 3, 24, 32) * 3 - 1  # out of range on purpose
    model.train()
    assert model(x).shape == x.shape
    assert model(x).min() < 0 or model(x).max() > 1  # global skip passes the out-of-range input through
    model.eval()
    with torch.no_grad():
        y = model(x)
    assert y.min() >= 0 and y.max() <= 1


def test_global_residual_starts_near_identity():
    torch.manual_seed(0)
    plain, residual = SeedStudent(residual=False), SeedStudent(residual=True)
    residual.load_state_dict(plain.state_dict())
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(residual.train()(x) - plain.train()(x), x)


def test_unknown_student_is_a_clear_error():
    with pytest.raises(SharpcamError, match="unknown student"):
        build_student("nope")


def test_same_size_teacher_modes_keep_shape():
    tiny = RRDBNet(blocks=1)
    x = torch.rand(1, 3, 16, 20)
    for mode in ("down2", "down4", "native"):
        assert sharpen_same_size(tiny, x, mode).shape == x.shape
    with pytest.raises(ValueError):
        sharpen_same_size(tiny, x, "bogus")


# the fast (pixel-unshuffle) student ----------------------------------------------------------------
@pytest.mark.parametrize("args, params", [({}, 83_216), ({"luma": True}, 64_752),
                                          ({"luma": True, "scale": 2, "channels": 16}, 15_092)])
def test_fast_student_parameter_counts(args, params):
    assert count_parameters(FastStudent(**{"rep": False, **args})) == params


@pytest.mark.parametrize("luma", [False, True])
def test_fast_student_fuse_keeps_the_function_and_drops_the_branches(luma):
    torch.manual_seed(0)
    model = FastStudent(channels=16, blocks=2, scale=2, luma=luma, rep=True)
    for p in model.parameters():  # non-trivial weights in every branch
        torch.nn.init.normal_(p, std=0.05)
    x = torch.rand(2, 3, 20, 28)
    with torch.no_grad():
        before = model.eval()(x)
        fused = copy.deepcopy(model).fuse()
        after = fused(x)
    assert not any(isinstance(m, RepConv3x3) for m in fused.modules())
    assert count_parameters(fused) < count_parameters(model)
    assert (before - after).abs().max() < 1e-5
    assert (before - x.clamp(0, 1)).abs().max() > 1e-2  # the model does something, so the check means something


def test_fast_student_takes_any_size_and_luma_keeps_colour():
    torch.manual_seed(0)
    model = FastStudent(channels=16, blocks=1, scale=4, luma=True, rep=False).eval()
    x = torch.rand(1, 3, 37, 53)  # not multiples of 4: padded inside, cropped back
    with torch.no_grad():
        y = model(x)
    assert y.shape == x.shape
    change = y - x  # a luma correction adds the same amount to R, G and B (until the clamp)
    inside = ((y > 0) & (y < 1)).all(1)
    assert torch.allclose(change[:, 0][inside], change[:, 1][inside], atol=1e-6)


def test_fast_student_starts_near_identity():
    """The global skip: with the tail zeroed, the output is the input, whatever the body computes."""
    model = FastStudent(luma=False, rep=False)
    torch.nn.init.zeros_(model.tail.weight)
    torch.nn.init.zeros_(model.tail.bias)
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(model.eval()(x), x)
