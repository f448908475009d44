"""The pipeline's honesty and fault handling: stage names and order, timing from the frame's arrival, and
per-frame errors (passed through on live sources, loud on files)."""
from __future__ import annotations

import time

import numpy as np
import pytest

from runtime.errors import SharpcamError
from runtime.pipeline import Pipeline, PipelineConfig
from runtime.sinks.base import NullSink
from runtime.stats import STAGES, LatencyStats


class Camera:
    """A live source whose read() waits `exposure` seconds for each frame, as a camera waits for the sensor."""
    fps, size = 30.0, (8, 6)
    frame_count, generation, last_name, last_time, decoder_warnings = None, 0, None, None, 0

    def __init__(self, frames: int, exposure: float = 0.0, live: bool = True) -> None:
        self.frames, self.exposure, self.live, self.read_count = frames, exposure, live, 0

    def read(self):
        if self.read_count >= self.frames:
            return None
        time.sleep(self.exposure)
        self.read_count += 1
        return np.full((6, 8, 3), self.read_count, np.uint8)

    def close(self):
        pass


class Flaky:
    """Adds 100 to each frame; raises on the frame values in `bad` (1-based, as Camera numbers them)."""
    name, size, strength = "flaky", None, 1.0
    in_flight, threads, multiple, compiles_per_size = 1, None, 1, False

    def __init__(self, bad=()) -> None:
        self.bad = set(bad)

    def submit(self, frame):
        if int(frame[0, 0, 0]) in self.bad:
            raise ValueError(f"bad frame {int(frame[0, 0, 0])}")
        return frame + 100, {"infer": 0.001}

    def collect(self, handle):
        return handle

    def reset(self):
        pass

    def close(self):
        pass


class Keep(NullSink):
    def __init__(self) -> None:
        self.frames = []

    def write(self, frame, original=None, status="", name=None):
        self.frames.append(int(frame[0, 0, 0]))
        return True


def _run(source, backend, **cfg):
    sink = Keep()
    cfg = PipelineConfig(print_every=0, lossless=True, **cfg)
    return Pipeline(source, backend, sink, cfg).run(), sink.frames


def test_a_live_source_passes_failed_frames_through_counts_and_reports_them_once(capsys):
    summary, frames = _run(Camera(10), Flaky(bad={3, 4, 7}))
    assert frames == [101, 102, 3, 4, 105, 106, 7, 108, 109, 110]  # originals where the model failed
    assert summary["errors"] == 3
    err = capsys.readouterr().err
    assert err.count("warning:") == 3 and "ValueError: bad frame 3" in err  # three distinct reasons


def test_the_same_reason_is_reported_once(capsys):
    backend = Flaky(bad=set(range(1, 11)))
    backend.submit = lambda frame: (_ for _ in ()).throw(RuntimeError("driver hiccup"))
    summary, frames = _run(Camera(10), backend, error_limit=20)
    assert summary["errors"] == 10 and frames == list(range(1, 11))
    assert capsys.readouterr().err.count("driver hiccup") == 1


def test_persistent_errors_stop_a_live_run():
    with pytest.raises(SharpcamError, match="5 frames in a row failed.*bad frame 5"):
        _run(Camera(20), Flaky(bad={1, 2, 3, 4, 5, 6}), error_limit=5)


def test_a_file_fails_on_its_first_error():
    with pytest.raises(ValueError, match="bad frame 2"):
        _run(Camera(10, live=False), Flaky(bad={2}))


def test_end_to_end_starts_when_the_frame_arrives_not_before_the_exposure():
    """A camera waiting 50 ms per frame: latency and the stages must not include that wait."""
    summary, _ = _run(Camera(6, exposure=0.05), Flaky())
    assert summary["stages"]["end_to_end"]["p95_ms"] < 50
    assert "capture" not in summary["stages"]  # a camera's read is waiting, not work
    file_summary, _ = _run(Camera(6, exposure=0.05, live=False), Flaky())
    assert file_summary["stages"]["capture"]["p50_ms"] >= 50  # a file's read is decoding: timed


def test_status_line_lists_stages_in_pipeline_order_with_errors_and_foreign_stages_last():
    stats = LatencyStats()
    for stage in ("output", "my_stage", "infer", "resize_in", "upload"):
        stats.add(stage, 0.001)
    stats.frame_done(0.01)
    stats.error()
    line = stats.line()
    assert "1 errors" in line
    positions = [line.index(f" {s} ") for s in ("resize_in", "upload", "infer", "output", "my_stage", "end_to_end")]
    assert positions == sorted(positions)
    assert STAGES.index("resize_in") < STAGES.index("upload") < STAGES.index("infer") < STAGES.index("output")
