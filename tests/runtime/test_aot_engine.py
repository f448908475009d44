"""Ahead-of-time compiled PyTorch engines (.pt2): built, checked, refused when foreign, run through the double
buffer. On this CPU the package is compiled for the CPU (the same export and the same backend code as on a
GPU, with `TorchDevice("cpu")` as the device); `make gpu-check` runs the CUDA build."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from aot_engines import CHECKPOINT, SIZE, clip
from export.samples import as_frame, sample_rgb
from export.aot_build import build_aot_engine
from runtime.artifacts import sidecar_path
from runtime.backends.aot_meta import AotMeta, Here, check_aot_engine
from runtime.backends.onnxruntime import OnnxBackend
from runtime.backends.engine_meta import sha256_file
from runtime.errors import SharpcamError
from runtime.backends.torch_aot import TorchAotBackend, torch_here

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def run(backend, frames: list[np.ndarray]) -> list[np.ndarray]:
    return [backend.collect(backend.submit(f))[0] for f in frames]


def test_sidecar_records_the_build(aot_engine):
    meta = AotMeta.load(sidecar_path(aot_engine))
    assert (meta.device, meta.precision, meta.size, meta.torch_version) == ("cpu", "fp32", SIZE, torch.__version__)
    assert meta.engine_sha256 == sha256_file(aot_engine) and meta.checkpoint_sha256 == sha256_file(CHECKPOINT)
    assert meta.parity_within >= 0.999


def test_engine_matches_the_onnx_graph_over_a_sequence(aot_engine):
    """The same student through ONNX Runtime's any-size graph: state carried frame to frame in both."""
    frames = clip()
    aot, onnx = TorchAotBackend(aot_engine), OnnxBackend(ROOT / "engines" / "webcam.onnx")
    try:
        for got, want in zip(run(aot, frames), run(onnx, frames)):
            diff = np.abs(got.astype(np.int16) - want)
            assert got.dtype == np.uint8 and got.shape == want.shape
            assert diff.max() <= 1 and (diff == 0).mean() > 0.999
    finally:
        aot.close()
        onnx.close()


def test_state_is_carried_and_reset_forgets_it(aot_engine):
    frames = clip()
    backend = TorchAotBackend(aot_engine)
    try:
        first = run(backend, frames[:1])[0]
        noisy = np.clip(frames[0].astype(np.int16) + np.random.default_rng(0).integers(-6, 7, frames[0].shape),
                        0, 255).astype(np.uint8)
        carried = run(backend, [noisy])[0]  # the still scene's memory holds part of the previous output
        backend.reset()
        fresh = run(backend, [noisy])[0]
        assert not np.array_equal(carried, fresh)
        backend.reset()
        assert np.array_equal(run(backend, frames[:1])[0], first)
    finally:
        backend.close()


def test_strength_zero_returns_the_input_exactly(aot_engine):
    backend = TorchAotBackend(aot_engine, strength=0.0)
    try:
        frames = clip(3)
        assert all(np.array_equal(out, f) for out, f in zip(run(backend, frames), frames))
        backend.strength = 1.0
        assert not np.array_equal(run(backend, frames[:1])[0], frames[0])
    finally:
        backend.close()


def test_two_frames_in_flight_give_the_sequential_result(aot_engine):
    """The double buffer with the real model: submit N+1 before collecting N, as the pipeline does."""
    frames = clip()
    sequential, overlapped = TorchAotBackend(aot_engine), TorchAotBackend(aot_engine)
    try:
        assert overlapped.in_flight == 2
        want = run(sequential, frames)
        got, pending = [], []
        for frame in frames:
            pending.append(overlapped.submit(frame))
            if len(pending) == overlapped.in_flight:
                got.append(overlapped.collect(pending.pop(0))[0])
        got += [overlapped.collect(h)[0] for h in pending]
        assert all(np.array_equal(a, b) for a, b in zip(got, want))
        _, timings = overlapped.collect(overlapped.submit(frames[0]))
        assert {"copy_in", "upload", "infer", "download", "copy_out"} <= set(timings) and timings["infer"] > 0
    finally:
        sequential.close()
        overlapped.close()
        overlapped.close()  # idempotent


def _here(**changes) -> Here:
    return dataclasses.replace(torch_here(), **changes)


def test_foreign_or_altered_engines_are_refused_with_advice(aot_engine, tmp_path):
    copy = tmp_path / aot_engine.name
    copy.write_bytes(aot_engine.read_bytes())
    sidecar = json.loads(sidecar_path(aot_engine).read_text())
    sidecar_path(copy).write_text(json.dumps(sidecar))
    assert check_aot_engine(copy, torch_here()).size == SIZE
    with pytest.raises(SharpcamError, match="built with PyTorch .*rebuild it on this machine"):
        check_aot_engine(copy, _here(torch_version="9.9.9"))
    sidecar_path(copy).write_text(json.dumps({**sidecar, "device": "cuda", "gpu_name": "NVIDIA H200",
                                                  "compute_capability": "9.0", "cuda_version": "13.0"}))
    with pytest.raises(SharpcamError, match="built for a CUDA GPU .* has none usable"):
        check_aot_engine(copy, _here(gpu_name=None, compute_capability=None))
    with pytest.raises(SharpcamError, match=r"built for NVIDIA H200 \(sm 9.0\), this GPU is NVIDIA L4"):
        check_aot_engine(copy, _here(gpu_name="NVIDIA L4", compute_capability="8.9", cuda_version="13.0"))
    sidecar_path(copy).write_text(json.dumps(sidecar))
    copy.write_bytes(aot_engine.read_bytes() + b"x")
    with pytest.raises(SharpcamError, match="does not match its sidecar's sha256"):
        TorchAotBackend(copy)
    sidecar_path(copy).unlink()
    with pytest.raises(SharpcamError, match="sidecar .* is missing"):
        TorchAotBackend(copy)


def test_the_factory_opens_a_pt2_engine_by_its_suffix(aot_engine):
    from runtime.backends.factory import Request, open_backend
    backend, why = open_backend(Request(engine=aot_engine))
    try:
        assert backend.name.startswith("pytorch-aot cpu fp32") and why.startswith("PyTorch AOT engine")
        assert backend.size == SIZE and backend.in_flight == 2
    finally:
        backend.close()


def test_the_automatic_choice_passes_over_a_cpu_package(aot_engine, tmp_path):
    """Named like a 480p GPU engine, but built for the CPU: auto goes on to the CPU backends and says why."""
    from runtime.backends.factory import Request, choose
    for name in ("webcam_480p.onnx", "webcam.onnx"):
        (tmp_path / name).write_bytes((ROOT / "engines" / name).read_bytes())
    (tmp_path / "webcam_480p.pt2").write_bytes(aot_engine.read_bytes())
    aot_json = json.loads(sidecar_path(aot_engine).read_text())
    sidecar_path(tmp_path / "webcam_480p.pt2").write_text(json.dumps(aot_json))
    backend, why = choose(Request(size=(640, 480), folder=tmp_path, backend="auto"))
    backend.close()
    assert "PyTorch engine" in why and "a CPU package" in why
    with pytest.raises(SharpcamError, match="a CPU package"):
        choose(Request(size=(640, 480), folder=tmp_path, backend="pytorch"))


def test_cam_runs_a_pt2_engine_end_to_end(aot_engine, tmp_path):
    """`runtime.cam --engine NAME.pt2`: the built-in clip through the engine (frames resized to its size)."""
    import subprocess
    import sys
    stats = tmp_path / "stats.json"
    done = subprocess.run([sys.executable, "-m", "runtime.cam", "--engine", str(aot_engine), "--source", "builtin",
                           "--frames", "8", "--sink", str(tmp_path / "out") + "/", "--stats", str(stats), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(stats.read_text())
    assert summary["frames"] == 8 and summary["backend"].startswith("PyTorch AOT engine")
    assert {"upload", "infer", "download"} <= set(summary["stages"])
    assert len(list((tmp_path / "out").glob("*.png"))) == 8


def test_the_pipeline_reads_into_and_writes_from_the_engines_pinned_frames(aot_engine):
    """runtime.cam's pipeline through the engine with its lent pinned frames (the source decodes into one, the
    sink reads another: no host copy) gives what the copying path gives, frame for frame."""
    from runtime.pipeline import Pipeline, PipelineConfig
    from runtime.sources import BuiltinClip
    from test_host_frames import Recording
    results = {}
    for keeps in (False, True):  # a sink that keeps frames gets plain arrays: the copying path
        backend, sink = TorchAotBackend(aot_engine), Recording(keeps_frames=keeps)
        try:
            summary = Pipeline(BuiltinClip(SIZE, seconds=0.4), backend, sink,
                               PipelineConfig(in_flight=backend.in_flight, print_every=0)).run()
        finally:
            backend.close()
        results[keeps] = summary, [out for _, out in sink.frames]
    (lent, lent_frames), (plain, plain_frames) = results[False], results[True]
    assert lent["pinned_frames"]["inputs"]["misses"] == lent["pinned_frames"]["outputs"]["misses"] == 0
    assert "pinned_frames" not in plain and len(lent_frames) == len(plain_frames) == 12
    assert all(np.array_equal(a, b) for a, b in zip(lent_frames, plain_frames))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (PyTorch sees none)")
def test_cuda_engine_runs_from_captured_graphs_and_allocates_nothing_per_frame(tmp_path):
    """The FP16 CUDA package through the double buffer: CUDA graphs captured, strength 0 exact, and over 1,000
    frames (two in flight, input written in place, output read in place) no allocation at all on the device."""
    from train.checkpoint import student_from_checkpoint
    size, path = (640, 480), tmp_path / "webcam_480p.pt2"
    student, _ = student_from_checkpoint(CHECKPOINT)
    frames = [as_frame(im, size) for im in sample_rgb()]
    meta = build_aot_engine(student, sha256_file(CHECKPOINT), path, size, frames, device="cuda")
    assert (meta.device, meta.precision, meta.gpu_name) == ("cuda", "fp16", torch.cuda.get_device_name(0))
    backend = TorchAotBackend(path)
    try:
        assert backend.cuda_graphs == "on", backend.cuda_graphs
        backend.strength = 0.0
        assert np.array_equal(backend.collect(backend.submit(frames[0]))[0], frames[0])
        backend.strength = 1.0
        for frame in frames * 4:  # warm-up: every slot used, every path taken
            backend.collect(backend.submit(frame), copy=False)
        torch.cuda.synchronize()
        before = torch.cuda.memory_stats()
        pending = []
        for n in range(1000):
            slot_input = backend.next_input()  # a decoder would write the frame here; no copy in submit
            np.copyto(slot_input, frames[n % len(frames)])
            pending.append(backend.submit(slot_input))
            if len(pending) == backend.in_flight:
                backend.collect(pending.pop(0), copy=False)
        for handle in pending:
            backend.collect(handle, copy=False)
        torch.cuda.synchronize()
        after = torch.cuda.memory_stats()
        for key in ("allocation.all.allocated", "segment.all.allocated"):
            assert after[key] == before[key], f"{after[key] - before[key]} {key} over 1,000 frames"
        # the pipeline's way: lent pinned frames in and out, given back after each frame (runtime/host_frames.py)
        inputs, outputs = backend.lend_frames(6)
        before, pending = torch.cuda.memory_stats(), []
        for n in range(1000):
            frame = inputs.lend()
            np.copyto(frame, frames[n % len(frames)])
            pending.append((backend.submit(frame), frame))
            if len(pending) == backend.in_flight:
                handle, sent = pending.pop(0)
                out, _ = backend.collect(handle)
                assert outputs.give_back(out) and inputs.give_back(sent)
        for handle, sent in pending:
            assert outputs.give_back(backend.collect(handle)[0]) and inputs.give_back(sent)
        torch.cuda.synchronize()
        after = torch.cuda.memory_stats()
        assert inputs.misses == outputs.misses == 0
        for key in ("allocation.all.allocated", "segment.all.allocated"):
            assert after[key] == before[key], f"{after[key] - before[key]} {key} over 1,000 lent frames"
    finally:
        backend.close()
