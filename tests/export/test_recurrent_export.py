"""A recurrent student's graphs (issue 20, item 3): the state the runtime feeds back is the student's previous
output, ONNX matches PyTorch over a clip with a reset in the middle, a reset is a stream's first frame, and
strength 0 returns the input exactly."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch

from export.graphs import FloatGraph, FrameGraph, LeanFrameGraph, frame_graph, graph_inputs, state_as_rgb
from export.onnx_export import export_float, export_frame, ort_session
from runtime.backends.onnxruntime import OnnxBackend
from runtime.contract import (FLOAT_INPUT, FLOAT_OUTPUT, FRAME_INPUT, FRAME_OUTPUT, STATE_INPUT, STATE_OUTPUT,
                              STRENGTH_INPUT, TEMPORAL, reset_state)
from train.student import RecurrentStudent

SIZE = (64, 48)  # (width, height)
RESET_AT = 3  # the clip's frame fed a reset state (a reconnect mid-stream)


def _student(gate: bool = False) -> RecurrentStudent:
    torch.manual_seed(0)  # default initialisation: every previous-frame weight nonzero, the state matters
    student = RecurrentStudent(channels=8, blocks=2, scale=2, gate=gate).eval()
    if gate:  # a gate that blends: random weights, and a bias that opens it part way
        torch.nn.init.normal_(student.gate.weight, std=0.1)
        torch.nn.init.constant_(student.gate.bias, 0.4)
    return student


def _clip(n: int = 6) -> list[np.ndarray]:
    """A noisy gradient panning 2 px per frame: the previous output differs from the frame, as in a stream."""
    rng = np.random.default_rng(0)
    base = np.tile(np.linspace(30, 220, SIZE[0] + 2 * n), (SIZE[1], 1))[..., None].repeat(3, 2)
    base[:, :, 1] = base[:, ::-1, 1]
    return [np.clip(base[:, 2 * t:2 * t + SIZE[0]] + rng.normal(0, 6, (SIZE[1], SIZE[0], 3)), 0, 255).astype(np.uint8)
            for t in range(n)]


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "gated"])
def graphs(tmp_path_factory, request):
    out, student = tmp_path_factory.mktemp("recurrent"), _student(gate=request.param)
    return student, {"float": export_float(student, out / "r.onnx"),
                     "fp32": export_frame(student, out / "r_small.onnx", SIZE, fp16=False),
                     "generic": export_frame(student, out / "r_generic.onnx", SIZE, fp16=False, lean=False),
                     "fp16": export_frame(student, out / "r_small_fp16.onnx", SIZE, fp16=True)}


def _student_clip(student: RecurrentStudent, frames: list[np.ndarray]) -> list[np.ndarray]:
    """The PyTorch student unrolled by hand, y_t = student(x_t, y_{t-1}), a reset at RESET_AT; BGR levels."""
    outs, previous = [], None
    for t, f in enumerate(frames):
        x = torch.from_numpy(f[..., ::-1].copy()).permute(2, 0, 1)[None].float() / 255
        with torch.no_grad():
            previous = student(x, None if t == RESET_AT else previous)
        outs.append(previous[0].permute(1, 2, 0).numpy()[..., ::-1] * 255)
    return outs


@pytest.mark.parametrize("name,levels", [("fp32", 1), ("generic", 1), ("fp16", 2)])
def test_frame_graphs_match_the_unrolled_student_over_a_clip_with_a_reset(graphs, name, levels):
    student, paths = graphs
    frames = _clip()
    want = _student_clip(student, frames)
    session = ort_session(paths[name])
    dtype = np.float16 if name == "fp16" else np.float32
    state, one = reset_state((1, 3, *SIZE[::-1]), dtype), np.ones(1, np.float32)
    for t, f in enumerate(frames):
        if t == RESET_AT:
            state = reset_state((1, 3, *SIZE[::-1]), dtype)
        feeds = {FRAME_INPUT: f, STATE_INPUT: state, STRENGTH_INPUT: one}
        got, state = session.run([FRAME_OUTPUT, STATE_OUTPUT], feeds)
        worst = np.abs(got.astype(float) - want[t]).max()
        assert worst <= levels + 0.5, (t, worst)  # rounding to levels adds half a level
    assert json_hold(paths[name]) == 0.0, "a recurrent student's graphs leave the hand-made gate out by default"


def json_hold(path) -> float:
    import json
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    return json.loads(props[TEMPORAL])["hold"]


def test_float_graph_state_matches_pytorch_over_a_clip_with_a_reset(graphs):
    student, paths = graphs
    session, reference = ort_session(paths["float"]), FloatGraph(student)
    xs = [torch.from_numpy(f[..., ::-1].copy()).permute(2, 0, 1)[None].float() / 255 for f in _clip()]
    state_t = torch.from_numpy(reset_state((1, 3, *SIZE[::-1]), np.float32))
    state_o, one = state_t.numpy(), np.ones(1, np.float32)
    for t, x in enumerate(xs):
        if t == RESET_AT:
            state_o = reset_state(x.shape, np.float32)
            state_t = torch.from_numpy(state_o.copy())
        with torch.no_grad():
            want, state_t = reference(x, state_t, torch.ones(1))
        got, state_o = session.run([FLOAT_OUTPUT, STATE_OUTPUT], {FLOAT_INPUT: x.numpy(), STATE_INPUT: state_o,
                                                                   STRENGTH_INPUT: one})
        assert np.abs(got - want.numpy()).max() < 1e-4 and np.abs(state_o - state_t.numpy()).max() < 1e-4


def test_lean_and_generic_frame_graphs_are_the_same_function(graphs):
    student = graphs[0]
    lean, generic = frame_graph(student), FrameGraph(student)
    assert isinstance(lean, LeanFrameGraph)
    frames = [torch.from_numpy(f) for f in _clip()]
    _, state_l, one = graph_inputs(frames[0])
    state_g = state_l.clone()
    with torch.no_grad():
        for f in frames:
            a, state_l = lean(f, state_l, one)
            b, state_g = generic(f, state_g, one)
            assert (a.int() - b.int()).abs().max() <= 1
            assert (state_as_rgb(state_l, lean=True) - state_g).abs().max() < 1e-4


def test_a_reset_state_gives_a_streams_first_frame_and_strength_zero_the_input(graphs):
    _, paths = graphs
    frames = _clip()
    for name in ("fp32", "fp16", "generic"):
        backend = OnnxBackend(paths[name])
        streamed = [backend.collect(backend.submit(f))[0] for f in frames[:3]]
        backend.reset()  # every byte of the state RESET_BYTE
        after_reset = backend.collect(backend.submit(frames[2]))[0]
        fresh = OnnxBackend(paths[name])
        first = fresh.collect(fresh.submit(frames[2]))[0]
        assert np.array_equal(after_reset, first), name
        assert not np.array_equal(streamed[2], first), "mid-stream the previous output changes the frame"
        off = OnnxBackend(paths[name], strength=0.0)
        for f in frames:
            assert np.array_equal(off.collect(off.submit(f))[0], f), name


@pytest.mark.slow  # compiles two AOTInductor packages (~20-40 s each on this CPU)
@pytest.mark.parametrize("batch", [None, 2])
def test_aot_packages_of_a_recurrent_student_match_its_eager_graph_over_a_clip(tmp_path, batch):
    """The AOT path (export/aot_build.py) takes the (gated) recurrent student: the lean CPU layout, and the
    generic one the CUDA and batched engines use; parity is checked over a clip with the state carried."""
    from export.aot_build import build_aot_engine
    student = _student(gate=True)
    meta = build_aot_engine(student, "0" * 64, tmp_path / "r.pt2", SIZE, _clip(), device="cpu", batch=batch)
    assert meta.layout == ("lean" if batch is None else "generic")
    assert meta.parity_within >= 0.999 and meta.parity_max_levels <= 1
