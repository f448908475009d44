"""benchmarks/gpu/streams.py on the CPU at N=2: every stream keeps its own state and strength, so each stream's
output through the shared engine equals that stream run alone; the paced trial and its report run for real."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.gpu.streams import Batched, Concurrent, alone, main, stream_outputs
from aot_engines import SIZE, clip

pytestmark = pytest.mark.slow


def two_streams() -> list[list[np.ndarray]]:
    frames = clip(8)
    return [frames[:6], frames[2:8][::-1]]  # different content, cuts at different times


def test_concurrent_streams_equal_each_stream_alone(aot_engine):
    runner = Concurrent(aot_engine, 2)  # strengths 0.5 and 1.0
    try:
        got = stream_outputs(runner, two_streams())
    finally:
        runner.close()
    for i, (frames, outputs) in enumerate(zip(two_streams(), got)):
        assert all(np.array_equal(a, b) for a, b in zip(outputs, alone(aot_engine, frames, 0.5 + 0.5 * (i % 2))))


def test_batched_streams_equal_each_stream_alone(aot_engine, aot_batched_engine):
    runner = Batched(aot_batched_engine, 2)
    try:
        got = stream_outputs(runner, two_streams())
        runner.backend.reset_stream(0)  # one stream's cut leaves the other's memory alone
    finally:
        runner.close()
    for i, (frames, outputs) in enumerate(zip(two_streams(), got)):
        want = alone(aot_engine, frames, 0.5 + 0.5 * (i % 2))
        for a, b in zip(outputs, want):
            diff = np.abs(a.astype(np.int16) - b)  # batched convolutions may round a value differently
            assert diff.max() <= 1 and (diff == 0).mean() > 0.999


def test_reset_of_one_stream_keeps_the_others_state(aot_batched_engine):
    from runtime.backends.torch_aot import TorchAotBackend
    frames = clip(4)
    a, b = TorchAotBackend(aot_batched_engine, streams=2), TorchAotBackend(aot_batched_engine, streams=2)
    try:
        for frame in frames[:2]:
            pair = np.stack([frame, frame])
            a.collect(a.submit(pair))
            b.collect(b.submit(pair))
        a.reset_stream(0)
        b.reset()
        pair = np.stack([frames[3], frames[3]])
        out_a, out_b = a.collect(a.submit(pair))[0], b.collect(b.submit(pair))[0]
        assert np.array_equal(out_a[0], out_b[0])  # stream 0 forgot, as after a full reset
        assert not np.array_equal(out_a[1], out_b[1])  # stream 1 remembered
    finally:
        a.close()
        b.close()


def test_paced_run_writes_a_report(aot_engine, aot_batched_engine, tmp_path):
    out = tmp_path / "streams"
    main(["--engine", str(aot_engine), "--batched", str(aot_batched_engine), "--streams", "1,2", "--seconds", "0.5",
          "--fps", "10", "--out", str(out)])
    report = json.loads(out.with_suffix(".json").read_text())
    assert [(t["mode"], t["streams"]) for t in report["trials"]] == \
        [("concurrent", 1), ("concurrent", 2), ("batched", 1), ("batched", 2)]
    for t in report["trials"]:
        assert 0 < t["p50_ms"] <= t["p99_ms"] < 1000 and t["fps_per_stream"] > 0
    assert "| batched | 2 |" in out.with_suffix(".md").read_text()
    assert report["engine_device"] == f"cpu fp32 {SIZE[0]}x{SIZE[1]}"
