"""The temporal filter and the strength knob, in PyTorch, in the exported graphs and in the runtime."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from export.graphs import FloatGraph, FrameGraph, graph_inputs, lean_graph_fits, state_as_rgb
from export.onnx_export import export_float, export_frame, ort_session
from pass_through import PassThrough
from runtime.backends.onnxruntime import OnnxBackend
from runtime.contract import (FLOAT_INPUT, FLOAT_OUTPUT, FRAME_INPUT, FRAME_OUTPUT, RESET_BYTE, STATE_INPUT,
                              STATE_OUTPUT, STRENGTH_INPUT, reset_state)
from runtime.controls import Controls
from runtime.pipeline import Pipeline, PipelineConfig
from runtime.sinks.base import NullSink
from runtime.sinks.window import WindowView
from train.student import FastStudent
from train.temporal import TemporalConfig, TemporalFilter

SIZE = (64, 48)  # (width, height)


def _student() -> FastStudent:
    torch.manual_seed(0)
    return FastStudent(channels=16, blocks=1, scale=2, luma=False).eval()


def _noisy_still(n: int, std: float = 6.0) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    base = np.tile(np.linspace(40, 200, SIZE[0]), (SIZE[1], 1))[..., None].repeat(3, 2)
    return [np.clip(base + rng.normal(0, std, base.shape), 0, 255).astype(np.uint8) for _ in range(n)]


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    out, student = tmp_path_factory.mktemp("temporal"), _student()
    return student, {"float": export_float(student, out / "s.onnx"),
                     "fp32": export_frame(student, out / "s_small.onnx", SIZE, fp16=False),
                     "fp16": export_frame(student, out / "s_small_fp16.onnx", SIZE, fp16=True)}


def test_reset_state_bytes_are_negative_in_both_precisions():
    for dtype in (np.float32, np.float16):
        state = reset_state((1, 3, 4, 4), dtype)
        assert state.view(np.uint8).min() == state.view(np.uint8).max() == RESET_BYTE
        assert (state <= -1).all()


def test_filter_passes_a_reset_or_moved_frame_and_calms_a_still_one():
    filt = TemporalFilter(TemporalConfig(hold=0.6, low=3.0, high=8.0))
    cur = torch.rand(1, 3, 16, 16)
    reset = torch.from_numpy(reset_state((1, 3, 16, 16), np.float32))
    assert torch.equal(filt(cur, reset), cur), "a reset state passes the frame through exactly"
    moved = torch.roll(cur, 5, dims=3)
    assert torch.allclose(filt(cur, torch.zeros_like(cur) + 2.0), cur), "a big change is taken as is"
    prev = cur + 0.002  # half a level of change: noise
    out = filt(cur, prev)
    assert torch.allclose(out, cur + 0.6 * 0.002, atol=1e-6), "still pixels keep `hold` of the previous output"
    assert torch.equal(filt(moved, cur), moved), "moving fine texture is never blended (no trails)"


def test_strength_zero_returns_the_input_exactly_in_every_graph(graphs):
    _, paths = graphs
    frame = _noisy_still(1)[0]
    for name in ("fp32", "fp16"):
        session = ort_session(paths[name])
        dtype = np.float16 if name == "fp16" else np.float32
        out = session.run([FRAME_OUTPUT], {FRAME_INPUT: frame, STATE_INPUT: reset_state((1, 3, 48, 64), dtype),
                                           STRENGTH_INPUT: np.zeros(1, np.float32)})[0]
        assert np.array_equal(out, frame), name
    x = frame[..., ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255
    out = ort_session(paths["float"]).run([FLOAT_OUTPUT], {FLOAT_INPUT: x, STATE_INPUT: reset_state(x.shape, np.float32),
                                                           STRENGTH_INPUT: np.zeros(1, np.float32)})[0]
    assert np.array_equal(out, x)


def test_half_strength_is_halfway(graphs):
    _, paths = graphs
    frame = _noisy_still(1)[0]
    full, half = (OnnxBackend(paths["fp32"], strength=s) for s in (1.0, 0.5))
    a, b = full.collect(full.submit(frame))[0], half.collect(half.submit(frame))[0]
    expected = frame.astype(float) + 0.5 * (a.astype(float) - frame)
    assert np.abs(b - expected).max() <= 1.0


def test_onnx_state_graphs_match_pytorch_over_a_sequence(graphs):
    student, paths = graphs
    frames = _noisy_still(6)
    reference = FrameGraph(student, torch.float32)
    session = ort_session(paths["fp32"])
    _, torch_state, strength = graph_inputs(torch.from_numpy(frames[0]))
    onnx_state = torch_state.numpy()
    for f in frames:
        with torch.no_grad():
            want, torch_state = reference(torch.from_numpy(f), torch_state, strength)
        got, onnx_state = session.run([FRAME_OUTPUT, STATE_OUTPUT], {FRAME_INPUT: f, STATE_INPUT: onnx_state,
                                                                      STRENGTH_INPUT: strength.numpy()})
        assert np.abs(got.astype(int) - want.numpy().astype(int)).max() <= 1
        # the lean graph lays its state out its own way (H x W x 3 BGR); the numbers must be the same
        as_rgb = state_as_rgb(torch.from_numpy(onnx_state), lean_graph_fits(student)).numpy()
        assert np.abs(as_rgb - torch_state.numpy()).max() < 1e-4
    float_ref = FloatGraph(student)
    x = torch.from_numpy(frames[0][..., ::-1].copy()).permute(2, 0, 1)[None].float() / 255
    state = torch.from_numpy(reset_state(tuple(x.shape), np.float32))
    with torch.no_grad():
        want, _ = float_ref(x, state, strength)
    got = ort_session(paths["float"]).run([FLOAT_OUTPUT], {FLOAT_INPUT: x.numpy(), STATE_INPUT: state.numpy(),
                                                           STRENGTH_INPUT: strength.numpy()})[0]
    assert np.abs(got - want.numpy()).max() < 1e-4


def test_backend_state_calms_a_still_scene_and_reset_forgets_it(graphs):
    _, paths = graphs
    frames = _noisy_still(12, std=2.0)  # noise within the filter's "still" range (its default low/high)
    for path in (paths["fp32"], paths["float"]):
        backend = OnnxBackend(path)
        outs = [backend.collect(backend.submit(f))[0] for f in frames]
        fresh = OnnxBackend(path)
        per_frame = [fresh.collect(fresh.submit(f))[0] for f in frames[:1]]
        assert np.array_equal(outs[0], per_frame[0]), "the first frame of a stream is the per-frame output"
        calm = np.stack(outs[4:]).astype(float).std(0).mean()
        backend.reset()
        again = backend.collect(backend.submit(frames[0]))[0]
        assert np.array_equal(again, outs[0]), "after reset() the stream starts over"
        stateless = []
        for f in frames[4:]:
            backend.reset()
            stateless.append(backend.collect(backend.submit(f))[0])
        assert calm < 0.8 * np.stack(stateless).astype(float).std(0).mean()


def test_window_keys_toggle_before_after_and_step_strength():
    controls = Controls(strength=0.5)
    sink = WindowView(controls=controls)  # the window's keys: no display needed
    assert sink.handle_key(ord("b")) and controls.show_original
    assert sink.handle_key(ord(" ")) and not controls.show_original
    for _ in range(8):
        sink.handle_key(ord("+"))
    assert controls.strength == 1.0
    for _ in range(12):
        sink.handle_key(ord("-"))
    assert controls.strength == 0.0
    assert not sink.handle_key(ord("q")) and not sink.handle_key(27)


class _Source:
    size, fps, live, frame_count, last_name, last_time, decoder_warnings = (8, 8), 30.0, False, None, None, None, 0

    def __init__(self, n: int, controls: Controls, gap_at: int) -> None:
        self.n, self.i, self.controls, self.gap_at, self.generation = n, 0, controls, gap_at, 0

    def read(self):
        if self.i >= self.n:
            return None
        if self.i == 3:
            self.controls.strength = 0.25  # the user turns the knob mid-stream
        if self.i == self.gap_at:
            self.generation += 1  # a camera that reconnected
        self.i += 1
        return np.zeros((8, 8, 3), np.uint8)

    def close(self) -> None:
        pass


def test_pipeline_applies_the_users_strength_and_resets_on_a_discontinuity():
    controls, backend = Controls(strength=1.0), PassThrough()
    source = _Source(6, controls, gap_at=4)
    Pipeline(source, backend, NullSink(), PipelineConfig(print_every=0, controls=controls)).run()
    assert backend.strengths[0] == 1.0 and backend.strengths[-1] == 0.25
    assert backend.resets == [4]  # at the gap: 4 frames had run


@pytest.mark.parametrize("lean", [True, False])
def test_a_graph_with_the_filter_off_keeps_its_state_input_and_returns_the_per_frame_output(tmp_path, lean):
    """--temporal 0,...: the per-frame student. Its graphs used to lose their state input (an unused input is
    dropped by the exporter), and export's own check, which feeds a state, then failed."""
    student, off = _student(), TemporalConfig(hold=0.0)
    frame_path = export_frame(student, tmp_path / "off_small.onnx", SIZE, fp16=False, temporal=off, lean=lean)
    float_path = export_float(student, tmp_path / "off.onnx", temporal=off)
    frames = _noisy_still(3)
    for path in (frame_path, float_path):
        assert STATE_INPUT in [i.name for i in ort_session(path).get_inputs()]
    backend, fresh = OnnxBackend(frame_path), OnnxBackend(frame_path)
    streamed = [backend.collect(backend.submit(f))[0] for f in frames]
    assert np.array_equal(streamed[-1], fresh.collect(fresh.submit(frames[-1]))[0]), "no state carried: per frame"
