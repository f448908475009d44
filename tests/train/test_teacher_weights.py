"""Each teacher format, its refusal paths, and parity with the ncnn package itself."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from runtime.errors import SharpcamError
from train.teacher_weights import default_ncnn_param, load_teacher, ncnn_state_dict

PARAM = default_ncnn_param()


@pytest.fixture(scope="module")
def teacher():
    model, sha = load_teacher()
    assert len(sha) == 64
    return model


@pytest.fixture(scope="module")
def basicsr_state(teacher):
    return {k: v.clone() for k, v in teacher.state_dict().items()}


def _kair_name(key: str) -> str:
    import re
    key = re.sub(r"^body\.(\d+)\.rdb(\d)\.", lambda m: f"RRDB_trunk.{m[1]}.RDB{m[2]}.", key)
    for new, old in (("conv_body", "trunk_conv"), ("conv_up1", "upconv1"), ("conv_up2", "upconv2"),
                     ("conv_hr", "HRconv")):
        key = key.replace(new + ".", old + ".")
    return key


def test_ncnn_matches_the_ncnn_package(teacher):
    ncnn = pytest.importorskip("ncnn", reason="the ncnn package (pip install ncnn) runs the reference")
    x = np.random.default_rng(0).random((3, 20, 24), dtype=np.float32)
    net = ncnn.Net()
    assert net.load_param(str(PARAM)) == 0
    assert net.load_model(str(PARAM.with_suffix(".bin"))) == 0
    ex = net.create_extractor()
    ex.input("data", ncnn.Mat(x))
    ret, out = ex.extract("output")
    assert ret == 0
    ref = np.array(out)
    with torch.no_grad():
        ours = teacher(torch.from_numpy(x)[None])[0].numpy()
    assert ours.shape == ref.shape == (3, 80, 96)
    assert np.linalg.norm(ours - ref) / np.linalg.norm(ref) < 1e-4


def test_bsrgan_kair_checkpoint_loads(tmp_path, basicsr_state, teacher):
    path = tmp_path / "BSRGAN.pth"
    torch.save({_kair_name(k): v for k, v in basicsr_state.items()}, path)
    assert "RRDB_trunk.0.RDB1.conv1.weight" in torch.load(path, weights_only=True)
    model, _ = load_teacher(path)
    for k, v in model.state_dict().items():
        assert torch.equal(v, basicsr_state[k]), k


@pytest.mark.parametrize("wrapper", ["params_ema", "params"])
def test_realesrgan_basicsr_checkpoint_loads(tmp_path, basicsr_state, wrapper):
    path = tmp_path / "RealESRGAN_x4plus.pth"
    torch.save({wrapper: basicsr_state}, path)
    model, _ = load_teacher(path)
    assert torch.equal(model.conv_last.weight, basicsr_state["conv_last.weight"])


def test_missing_and_wrong_shapes_are_named(tmp_path, basicsr_state):
    state = dict(basicsr_state)
    del state["conv_hr.bias"]
    state["conv_first.weight"] = torch.zeros(64, 3, 5, 5)
    path = tmp_path / "broken.pth"
    torch.save(state, path)
    with pytest.raises(SharpcamError) as err:
        load_teacher(path)
    message = str(err.value)
    assert "broken.pth" in message and "conv_hr.bias" in message and "conv_first.weight" in message


def test_foreign_names_are_refused_not_silently_skipped(tmp_path, basicsr_state):
    path = tmp_path / "renamed.pth"
    torch.save({"net." + k: v for k, v in basicsr_state.items()}, path)
    with pytest.raises(SharpcamError, match="702 missing"):
        load_teacher(path)


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "junk.pth"
    path.write_bytes(b"this is not a checkpoint")
    with pytest.raises(SharpcamError, match="junk.pth"):
        load_teacher(path)
    with pytest.raises(SharpcamError, match="not found"):
        load_teacher(tmp_path / "absent.pth")


def _copy_ncnn(tmp_path: Path) -> Path:
    param = tmp_path / "t.param"
    shutil.copy(PARAM, param)
    shutil.copy(PARAM.with_suffix(".bin"), param.with_suffix(".bin"))
    return param


def test_truncated_ncnn_bin_is_refused(tmp_path):
    param = _copy_ncnn(tmp_path)
    data = param.with_suffix(".bin").read_bytes()
    param.with_suffix(".bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(SharpcamError, match="truncated"):
        ncnn_state_dict(param, param.with_suffix(".bin"))


def test_ncnn_bin_with_trailing_bytes_is_refused(tmp_path):
    param = _copy_ncnn(tmp_path)
    with open(param.with_suffix(".bin"), "ab") as f:
        f.write(b"\0" * 8)
    with pytest.raises(SharpcamError, match="trailing"):
        load_teacher(param)


def test_other_ncnn_model_is_refused(tmp_path):
    param = tmp_path / "small.param"
    anime = PARAM.with_name("REALESRGAN_X4PLUSANIME_UP4X.param")  # 6 blocks, not 23
    shutil.copy(anime, param)
    shutil.copy(anime.with_suffix(".bin"), param.with_suffix(".bin"))
    with pytest.raises(SharpcamError, match="convolutions"):
        load_teacher(param)


def test_bad_param_magic(tmp_path):
    param = _copy_ncnn(tmp_path)
    param.write_text("hello\n")
    with pytest.raises(SharpcamError, match="magic"):
        load_teacher(param)
