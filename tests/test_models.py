import pytest
import torch

from runtime.errors import SharpcamError
from train.student import SeedStudent, build_student, count_parameters
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
