"""Every shipped student's graphs load in the runtime and keep the contract: the state calms a still scene and a
reset forgets it, strength 0 is the input bit for bit, on ONNX Runtime's frame and any-size graphs and OpenVINO."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.artifacts import SHIPPED_STUDENTS, graph_path
from runtime.backends.factory import Request, open_backend
from runtime.backends.openvino import openvino_available

BACKENDS = ["onnxruntime", pytest.param("openvino", marks=pytest.mark.skipif(
    not openvino_available(), reason="OpenVINO is not installed (pip install 'sharpcam[openvino]')"))]


def still(n: int, height: int = 480, width: int = 640) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    base = np.tile(np.linspace(40, 200, width), (height, 1))[..., None].repeat(3, 2)
    base[height // 3: 2 * height // 3, width // 3: 2 * width // 3] = 120
    return [np.clip(base + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8) for _ in range(n)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("student", SHIPPED_STUDENTS)
def test_the_graphs_keep_state_reset_and_strength(student, backend):
    frames = still(2)
    model = graph_path(student, "480p")
    opened, _ = open_backend(Request((640, 480), student, threads=1, backend=backend, model=model))
    try:
        first = opened.collect(opened.submit(frames[0]))[0]
        assert first.shape == frames[0].shape and first.dtype == np.uint8
        assert not np.array_equal(first, frames[0])  # the model does something at full strength
        after_first = opened.collect(opened.submit(frames[1]))[0]  # the state holds frame 0's output
        opened.reset()
        alone = opened.collect(opened.submit(frames[1]))[0]  # a reset: as if the stream began here
        opened.strength = 0.0
        assert np.array_equal(opened.collect(opened.submit(frames[1]))[0], frames[1])
    finally:
        opened.close()
    # the state is used: the still scene's fresh noise is calmed by the previous output, which a reset forgets
    assert not np.array_equal(after_first, alone)
    assert np.std(after_first.astype(float) - first) < np.std(alone.astype(float) - first)


@pytest.mark.parametrize("student", SHIPPED_STUDENTS)
def test_the_any_size_graph_runs_an_odd_size(student):
    frame = still(1, 97, 131)[0]
    opened, _ = open_backend(Request(None, student, threads=1, backend="onnxruntime", model=graph_path(student)))
    try:
        assert opened.collect(opened.submit(frame))[0].shape == frame.shape
    finally:
        opened.close()
