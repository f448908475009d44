"""ONNX graphs for every resolution: checker, structure, parity; engine sidecar refusals; TensorRT if present."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from export.__main__ import as_frame, export_all, main, sample_rgb
from export.graphs import FRAME_INPUT, FRAME_OUTPUT, RESOLUTIONS
from export.tensorrt_build import missing_gpu_stack
from runtime.engine_meta import EngineMeta, TensorInfo, check_engine, sha256_file, sidecar_path
from runtime.errors import SharpcamError
from train.checkpoint import FORMAT, save_atomic
from train.student import SeedStudent


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
    return out, export_all(checkpoint, out, list(RESOLUTIONS), frames=1)


def test_every_graph_passes_parity(exported):
    out, report = exported
    names = {"student.onnx"} | {f"student_{r}{s}.onnx" for r in RESOLUTIONS for s in ("", "_fp16")}
    assert set(report["graphs"]) == names
    for name, g in report["graphs"].items():
        assert g["ok"], (name, g)
        onnx.checker.check_model(onnx.load(str(out / name)), full_check=True)
    assert report["graphs"]["student.onnx"]["max_abs"] < 1e-4
    assert json.loads((out / "onnx_report.json").read_text()) == report


@pytest.mark.parametrize("res", list(RESOLUTIONS))
@pytest.mark.parametrize("suffix", ["", "_fp16"])
def test_frame_graph_structure(exported, res, suffix):
    out, _ = exported
    model = onnx.load(str(out / f"student_{res}{suffix}.onnx"))
    width, height = RESOLUTIONS[res]
    (inp,), (outp,) = model.graph.input, model.graph.output
    for value, name in ((inp, FRAME_INPUT), (outp, FRAME_OUTPUT)):
        assert value.name == name
        assert value.type.tensor_type.elem_type == onnx.TensorProto.UINT8
        assert [d.dim_value for d in value.type.tensor_type.shape.dim] == [height, width, 3]
    first = [n for n in model.graph.node if FRAME_INPUT in n.input]
    assert [n.op_type for n in first] == ["Cast"]  # TensorRT: cast uint8 before any reordering
    last = next(n for n in model.graph.node if FRAME_OUTPUT in n.output)
    assert last.op_type == "Cast"
    before_last = next(n for n in model.graph.node if last.input[0] in n.output)
    assert before_last.op_type == "Clip"
    conv_weights = {n.input[1] for n in model.graph.node if n.op_type == "Conv"}
    dtypes = {i.data_type for i in model.graph.initializer if i.name in conv_weights}
    assert dtypes == {onnx.TensorProto.FLOAT16 if suffix else onnx.TensorProto.FLOAT}


def test_frame_graph_keeps_bgr_order(exported):
    """A frame with content only in the blue channel must come back blue, not red."""
    from export.onnx_export import ort_session
    out, _ = exported
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[..., 0] = as_frame(sample_rgb()[0], (640, 480))[..., 1]
    result = ort_session(out / "student_480p.onnx").run(None, {FRAME_INPUT: frame})[0].astype(float)
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


@pytest.mark.skipif(missing_gpu_stack() is None, reason="TensorRT and a GPU are present")
def test_without_tensorrt_make_engines_writes_onnx_and_says_what_is_missing(checkpoint, tmp_path, capsys):
    assert main(["--checkpoint", str(checkpoint), "--out", str(tmp_path), "--resolutions", "480p"]) == 3
    assert (tmp_path / "student_480p_fp16.onnx").exists()
    err = capsys.readouterr().err
    assert "TensorRT" in err and "pip install -e '.[gpu]'" in err


@pytest.mark.skipif(missing_gpu_stack() is not None, reason=f"needs TensorRT and a CUDA GPU: {missing_gpu_stack()}")
def test_tensorrt_engine_builds_and_matches_onnxruntime(exported):
    from export.tensorrt_build import build_engine, compare_with_onnxruntime
    out, _ = exported
    meta = build_engine(out / "student_480p_fp16.onnx", out / "480p.plan", out / "timing.cache")
    assert meta.precision == "fp16" and sidecar_path(out / "480p.plan").exists()
    frames = [as_frame(im, (640, 480)) for im in sample_rgb()]
    assert compare_with_onnxruntime(out / "480p.plan", out / "student_480p.onnx", frames) <= 2
