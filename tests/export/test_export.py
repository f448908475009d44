"""ONNX graphs for every resolution: checker, structure, parity; engine sidecar refusals; TensorRT if present."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from export.__main__ import export_all, main
from export.graphs import RESOLUTIONS
from runtime.contract import FRAME_INPUT, FRAME_OUTPUT, STATE_INPUT, STATE_OUTPUT, STRENGTH_INPUT, first_frame_feeds
from export.tensorrt_build import missing_gpu_stack
from runtime.backends.engine_meta import EngineMeta, TensorInfo, check_engine, sha256_file
from runtime.artifacts import sidecar_path
from runtime.errors import SharpcamError
from train.checkpoint import FORMAT, save_atomic
from export.onnx_export import check_float_graph, export_float, export_frame, ort_session
from export.quantize import quantize_int8
from export.samples import as_frame, sample_rgb
from runtime.backends.onnxruntime import OnnxBackend
from train.student import FastStudent, SeedStudent


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A small but trained-looking student: the seed architecture with one residual block."""
    torch.manual_seed(0)
    model = SeedStudent(residual=True, blocks=1)
    path = tmp_path_factory.mktemp("ckpt") / "student.pt"
    save_atomic({"format": FORMAT, "model": {"name": "seed", "args": {"residual": True, "blocks": 1}},
                 "state_dict": model.state_dict(), "epoch": 1, "best_val_ssim": 0.0, "config": {}}, path)
    return path


@pytest.fixture(scope="module")
def exported(checkpoint, tmp_path_factory):
    out = tmp_path_factory.mktemp("engines")
    return out, export_all(checkpoint, out, list(RESOLUTIONS), "tiny", frames=1)


@pytest.mark.slow  # the module's export of every frame graph (~50 s here) falls on whichever test runs first
def test_every_graph_passes_parity(exported):
    out, report = exported
    names = {"tiny.onnx"} | {f"tiny_{r}{s}.onnx" for r in RESOLUTIONS for s in ("", "_fp16")}
    assert set(report["graphs"]) == names
    for name, g in report["graphs"].items():
        assert g["ok"], (name, g)
        onnx.checker.check_model(onnx.load(str(out / name)), full_check=True)
    assert report["graphs"]["tiny.onnx"]["max_abs"] < 1e-4
    assert json.loads((out / "tiny_onnx_report.json").read_text()) == report


@pytest.mark.slow  # the module's export of every frame graph (~50 s here) falls on whichever test runs first
@pytest.mark.parametrize("res", list(RESOLUTIONS))
@pytest.mark.parametrize("suffix", ["", "_fp16"])
def test_frame_graph_structure(exported, res, suffix):
    out, _ = exported
    model = onnx.load(str(out / f"tiny_{res}{suffix}.onnx"))
    width, height = RESOLUTIONS[res]
    values = {v.name: v for v in (*model.graph.input, *model.graph.output)}
    assert [v.name for v in model.graph.input] == [FRAME_INPUT, STATE_INPUT, STRENGTH_INPUT]
    assert [v.name for v in model.graph.output] == [FRAME_OUTPUT, STATE_OUTPUT]
    half = onnx.TensorProto.FLOAT16 if suffix else onnx.TensorProto.FLOAT
    for name, dtype, dims in ((FRAME_INPUT, onnx.TensorProto.UINT8, [height, width, 3]),
                              (FRAME_OUTPUT, onnx.TensorProto.UINT8, [height, width, 3]),
                              (STATE_INPUT, half, [1, 3, height, width]), (STATE_OUTPUT, half, [1, 3, height, width]),
                              (STRENGTH_INPUT, onnx.TensorProto.FLOAT, [1])):
        assert values[name].type.tensor_type.elem_type == dtype, name
        assert [d.dim_value for d in values[name].type.tensor_type.shape.dim] == dims, name
    first = [n for n in model.graph.node if FRAME_INPUT in n.input]
    assert [n.op_type for n in first] == ["Cast"]  # TensorRT: cast uint8 before any reordering
    last = next(n for n in model.graph.node if FRAME_OUTPUT in n.output)
    assert last.op_type == "Cast"
    before_last = next(n for n in model.graph.node if last.input[0] in n.output)
    assert before_last.op_type == "Clip"
    conv_weights = {n.input[1] for n in model.graph.node if n.op_type == "Conv"}
    dtypes = {i.data_type for i in model.graph.initializer if i.name in conv_weights}
    assert dtypes == {onnx.TensorProto.FLOAT16 if suffix else onnx.TensorProto.FLOAT}


@pytest.mark.slow  # the module's export of every frame graph (~50 s here) falls on whichever test runs first
def test_frame_graph_keeps_bgr_order(exported):
    """A frame with content only in the blue channel must come back blue, not red."""
    from export.onnx_export import ort_session
    out, _ = exported
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[..., 0] = as_frame(sample_rgb()[0], (640, 480))[..., 1]
    result = ort_session(out / "tiny_480p.onnx").run(None, first_frame_feeds(FRAME_INPUT, frame))[0].astype(float)
    assert result[..., 0].mean() > 5 * max(result[..., 2].mean(), 1.0)


def _fake_engine(tmp_path: Path) -> Path:
    engine = tmp_path / "480p.plan"
    engine.write_bytes(b"serialized engine bytes")
    EngineMeta("10.9.0", "NVIDIA H100", "9.0", "fp16", "0" * 64, sha256_file(engine),
               [TensorInfo(FRAME_INPUT, [480, 640, 3], "uint8", "input")]).save(sidecar_path(engine))
    return engine


def test_matching_engine_is_accepted(tmp_path):
    meta = check_engine(_fake_engine(tmp_path), "10.9.0", "NVIDIA H100", "9.0")
    assert meta.tensors[0].name == FRAME_INPUT


@pytest.mark.parametrize("version, gpu, cc, message", [
    ("11.1.0", "NVIDIA H100", "9.0", "TensorRT 10.9.0"),
    ("10.9.0", "NVIDIA L4", "8.9", "built for NVIDIA H100"),
])
def test_foreign_engine_is_refused_with_rebuild_advice(tmp_path, version, gpu, cc, message):
    with pytest.raises(SharpcamError, match="make engines") as err:
        check_engine(_fake_engine(tmp_path), version, gpu, cc)
    assert message in str(err.value)


def test_altered_engine_or_missing_sidecar_is_refused(tmp_path):
    engine = _fake_engine(tmp_path)
    engine.write_bytes(b"tampered")
    with pytest.raises(SharpcamError, match="sha256"):
        check_engine(engine, "10.9.0", "NVIDIA H100", "9.0")
    sidecar_path(engine).unlink()
    with pytest.raises(SharpcamError, match="sidecar .* missing"):
        check_engine(engine, "10.9.0", "NVIDIA H100", "9.0")
    sidecar_path(engine).write_text("{not json")
    with pytest.raises(SharpcamError, match="unreadable"):
        check_engine(engine, "10.9.0", "NVIDIA H100", "9.0")


@pytest.mark.slow
@pytest.mark.skipif(missing_gpu_stack() is None, reason="TensorRT and a GPU are present")
def test_without_tensorrt_make_engines_writes_onnx_and_says_what_is_missing(checkpoint, tmp_path, capsys):
    assert main(["--checkpoint", str(checkpoint), "--name", "tiny", "--out", str(tmp_path), "--resolutions", "480p"]) == 3
    assert (tmp_path / "tiny_480p_fp16.onnx").exists()
    err = capsys.readouterr().err
    assert "TensorRT" in err and "pip install -e '.[gpu]'" in err  # a checkout's advice (a wheel's: sharpcam[gpu])


@pytest.mark.gpu
@pytest.mark.slow
@pytest.mark.skipif(missing_gpu_stack() is not None, reason=f"needs TensorRT and a CUDA GPU: {missing_gpu_stack()}")
def test_tensorrt_engine_builds_and_matches_onnxruntime(exported):
    from export.tensorrt_build import build_engine, compare_with_onnxruntime
    out, _ = exported
    meta = build_engine(out / "tiny_480p_fp16.onnx", out / "480p.plan", out / "timing.cache")
    assert meta.precision == "fp16" and sidecar_path(out / "480p.plan").exists()
    frames = [as_frame(im, (640, 480)) for im in sample_rgb()]
    assert compare_with_onnxruntime(out / "480p.plan", out / "tiny_480p.onnx", frames) <= 2


# the fast student: fused at export, its size multiple recorded, INT8 --------------------------------
@pytest.fixture(scope="module")
def fast_student():
    torch.manual_seed(0)
    student = FastStudent(channels=16, blocks=1, scale=4, luma=True, rep=True)
    for p in student.parameters():  # non-trivial weights in every branch, so fusion errors would show
        torch.nn.init.normal_(p, std=0.05)
    return student.eval()


def test_fast_student_graph_is_fused_and_matches_pytorch(fast_student, tmp_path):
    path = export_float(fast_student, tmp_path / "fast.onnx")
    model = onnx.load(str(path))
    assert {p.key: p.value for p in model.metadata_props}["size_multiple"] == "4"
    assert sum(n.op_type == "Conv" for n in model.graph.node) == 4  # head, 2 fused body convs, tail
    parity = check_float_graph(fast_student, path, [im[:192, :256] for im in sample_rgb()])
    assert parity.max_abs < 1e-4, parity


def test_runtime_pads_odd_sizes_for_the_fast_student(fast_student, tmp_path):
    """ONNX Runtime's float graph needs multiples of 4; OnnxBackend pads and crops back."""
    path = export_float(fast_student, tmp_path / "fast.onnx")
    rgb = sample_rgb()[0][:101, :157]
    out, _ = OnnxBackend(path, device="cpu").submit(np.ascontiguousarray(rgb[..., ::-1]))
    with torch.no_grad():
        ref = fast_student(torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 255)[0]
    ref = (ref.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)[..., ::-1]
    assert out.shape == rgb.shape
    assert np.abs(out.astype(int) - ref.astype(int)).max() <= 1


def test_int8_graph_is_quantized_close_and_keeps_metadata(fast_student, tmp_path):
    size = (128, 96)
    fp32 = export_frame(fast_student, tmp_path / "f.onnx", size, fp16=False)
    frames = [as_frame(im, size) for im in sample_rgb()]
    int8 = quantize_int8(fp32, tmp_path / "f_int8.onnx", frames[:2])
    model = onnx.load(str(int8))
    assert sum(n.op_type == "QuantizeLinear" for n in model.graph.node) >= 4
    assert {p.key: p.value for p in model.metadata_props}["size_multiple"] == "4"
    got, want = (ort_session(p).run(None, first_frame_feeds(FRAME_INPUT, frames[2]))[0].astype(int)
                 for p in (int8, fp32))
    correction = np.abs(want - frames[2].astype(int)).mean()  # what the model changes, in levels
    assert np.abs(got - want).mean() < 0.1 * correction  # on a photo not used for calibration
    with pytest.raises(SharpcamError, match="128x96"):
        quantize_int8(fp32, tmp_path / "bad.onnx", [as_frame(sample_rgb()[0], (64, 64))])


@pytest.mark.slow
def test_export_cli_writes_int8_graphs_on_request(checkpoint, tmp_path):
    assert main(["--checkpoint", str(checkpoint), "--name", "tiny", "--out", str(tmp_path), "--resolutions",
                 "480p", "--onnx-only", "--int8"]) == 0
    model = onnx.load(str(tmp_path / "tiny_480p_int8.onnx"))
    assert any(n.op_type == "QuantizeLinear" for n in model.graph.node)
    assert not (tmp_path / "tiny_720p_int8.onnx").exists()
