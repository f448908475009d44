"""The OpenVINO backend: same pictures as ONNX Runtime, its state kept inside, any frame size, the choice."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from runtime.backends.onnxruntime import OnnxBackend
from runtime.errors import SharpcamError
from runtime.backends.factory import Request, open_backend
from runtime.artifacts import graph_path

ov_module = pytest.importorskip("openvino", reason="OpenVINO is not installed (pip install 'sharpcam[openvino]')")

from runtime.backends.openvino import OpenVinoBackend, native_bf16  # noqa: E402

FRAME_GRAPH = graph_path("webcam", "480p")
ANY_SIZE_GRAPH = graph_path("webcam")


def _noisy_still(n: int, size: tuple[int, int], std: float = 2.0) -> list[np.ndarray]:
    """A smooth still scene with fresh sensor-like noise per frame: the temporal filter's case."""
    rng = np.random.default_rng(0)
    height, width = size
    base = np.tile(np.linspace(40, 200, width), (height, 1))[..., None].repeat(3, 2)
    base[height // 3: 2 * height // 3, width // 3: 2 * width // 3] = 120  # an edge to sharpen
    return [np.clip(base + rng.normal(0, std, base.shape), 0, 255).astype(np.uint8) for _ in range(n)]


@pytest.mark.parametrize("size", [(480, 640), (479, 641), (96, 160)])
def test_same_pictures_as_onnx_runtime_over_a_sequence(size):
    """Float32 OpenVINO on the 480p graph, reshaped to any (even odd) size, follows ONNX Runtime's any-size
    graph frame by frame: the state chains the same way inside the infer request."""
    ov = OpenVinoBackend(FRAME_GRAPH, threads=1, precision="f32")
    ort = OnnxBackend(ANY_SIZE_GRAPH, threads=1, device="cpu")
    for frame in _noisy_still(5, size):
        a, _ = ov.submit(frame)
        b, _ = ort.submit(frame)
        assert a.shape == frame.shape and a.dtype == np.uint8
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    ov.close()


def test_state_calms_a_still_scene_and_reset_forgets_it():
    frames = _noisy_still(10, (96, 160))
    ov = OpenVinoBackend(FRAME_GRAPH, threads=1, precision="f32")
    first, _ = ov.submit(frames[0])
    outs = [ov.submit(f)[0].astype(float) for f in frames[1:]]
    alone = [OpenVinoBackend(FRAME_GRAPH, threads=1, precision="f32").submit(f)[0].astype(float) for f in frames[1:4]]
    assert np.std(outs[-3:], axis=0).mean() < 0.8 * np.std(alone, axis=0).mean()
    ov.reset()
    again, _ = ov.submit(frames[0])
    assert np.array_equal(again, first)  # a reset state: as if the stream began here


def test_strength_zero_is_the_input_and_half_is_between():
    frame = _noisy_still(1, (96, 160))[0]
    ov = OpenVinoBackend(FRAME_GRAPH, threads=1, precision="f32", strength=0.0)
    assert np.array_equal(ov.submit(frame)[0], frame)
    ov.strength = 1.0
    full = ov.submit(frame)[0].astype(float)
    ov.reset()
    ov.strength = 0.5
    half = ov.submit(frame)[0].astype(float)
    assert np.abs(half - (frame + 0.5 * (full - frame))).max() <= 1.0


def test_bf16_stays_close_where_the_cpu_has_it():
    if not native_bf16():
        pytest.skip("this CPU has no native bf16 (AMX or AVX512_BF16): OpenVINO runs float32 here")
    frame = _noisy_still(1, (96, 160))[0]
    f32 = OpenVinoBackend(FRAME_GRAPH, threads=1, precision="f32").submit(frame)[0].astype(int)
    bf16 = OpenVinoBackend(FRAME_GRAPH, threads=1, precision="bf16").submit(frame)[0].astype(int)
    assert np.abs(bf16 - f32).mean() < 0.5 and np.abs(bf16 - f32).max() <= 4


def test_graphs_without_a_state_or_of_another_kind_are_refused(tmp_path):
    with pytest.raises(SharpcamError, match="not a frame graph"):
        OpenVinoBackend(ANY_SIZE_GRAPH)
    with pytest.raises(SharpcamError, match="not found"):
        OpenVinoBackend(tmp_path / "missing.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a graph")
    with pytest.raises(SharpcamError, match="cannot read"):
        OpenVinoBackend(bad)
    with pytest.raises(SharpcamError, match="precision"):
        OpenVinoBackend(FRAME_GRAPH, precision="int4")


def test_the_automatic_choice_prefers_openvino_on_a_cpu():
    backend, why = open_backend(Request((1280, 720)))
    assert backend.name.startswith("openvino-cpu") and "TensorRT" in why
    backend.close()
    backend, _ = open_backend(Request((1280, 720), backend="onnxruntime"))
    assert backend.name.startswith("onnxruntime")
    backend.close()
    backend, _ = open_backend(Request((640, 480), backend="openvino", model=Path(FRAME_GRAPH)))
    assert backend.name.startswith("openvino")
    backend.close()


def test_a_float16_graph_keeps_its_float16_state():
    """The _fp16 graphs' state is float16: the reset written into OpenVINO's variable must match it."""
    fp16 = graph_path("webcam", "480p", fp16=True)
    ov = OpenVinoBackend(fp16, threads=1, precision="f32")
    ort = OnnxBackend(fp16, threads=1, device="cpu")
    for frame in _noisy_still(3, (480, 640)):
        a, _ = ov.submit(frame)
        b, _ = ort.submit(frame)
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 2
    ov.reset()
    assert ov.submit(frame)[0].shape == frame.shape
