"""The pipeline on the CPU: a slow model drops frames instead of adding latency, a file goes through to a
file frame for frame, and a frame of another size is resized in and out."""
from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from runtime.backends.onnxruntime import OnnxBackend
from runtime.cam import main as cam_main
from runtime.pipeline import Pipeline, PipelineConfig
from runtime.sinks.base import NullSink
from runtime.sources import BuiltinClip, open_source
from tiny_graphs import export_tiny_graphs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    return export_tiny_graphs(tmp_path_factory.mktemp("graphs"))


def sharpness(frame: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


class SlowBackend:
    """Identity model that takes `delay` seconds per frame."""
    name, size, strength = "slow", None, 1.0
    in_flight, threads, multiple, compiles_per_size = 1, None, 1, False

    def __init__(self, delay: float) -> None:
        self.delay, self.frames = delay, 0

    def submit(self, frame):
        time.sleep(self.delay)
        self.frames += 1
        return frame, {"infer": self.delay}

    def collect(self, handle):
        return handle

    def close(self):
        pass


class FastCamera:
    """A live source producing 200 frames as fast as it can (a camera faster than the model)."""
    live, fps, size = True, 30.0, (32, 24)
    frame_count, generation, last_name, last_time, decoder_warnings = None, 0, None, None, 0

    def __init__(self) -> None:
        self.produced = 0

    def read(self):
        if self.produced >= 200:
            return None
        self.produced += 1
        time.sleep(0.002)
        return np.full((24, 32, 3), self.produced % 256, np.uint8)

    def close(self):
        pass


def test_slow_model_drops_oldest_frames_instead_of_adding_latency():
    source, backend = FastCamera(), SlowBackend(0.03)
    pipeline = Pipeline(source, backend, NullSink(), PipelineConfig(print_every=0))
    summary = pipeline.run()
    assert summary["dropped"] > 50
    assert summary["frames"] + summary["dropped"] == source.produced == 200
    # latency stays near one model step plus one queued frame, instead of growing with the backlog
    assert summary["stages"]["end_to_end"]["p95_ms"] < 10 * 30


def test_file_to_pipeline_to_file(graphs, tmp_path):
    """Blurred clip -> 480p frame graph -> .avi; every frame arrives and comes out sharper."""
    src = tmp_path / "blurred.avi"
    clip = BuiltinClip(seconds=0.2)
    writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    inputs = []
    while (frame := clip.read()) is not None:
        inputs.append(cv2.GaussianBlur(frame, (7, 7), 1.8))
        writer.write(inputs[-1])
    writer.release()
    model = ROOT / "engines" / "fast_480p.onnx"
    out, stats = tmp_path / "sharp.avi", tmp_path / "stats.json"
    cam_main(["--model", str(model), "--source", str(src), "--sink", str(out), "--stats", str(stats), "--quiet"])
    summary = json.loads(stats.read_text())
    cap, outputs = cv2.VideoCapture(str(out)), []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        outputs.append(frame)
    assert len(outputs) == len(inputs) - summary["dropped"] == summary["frames"] == 6
    assert np.mean([sharpness(o) for o in outputs]) > 1.2 * np.mean([sharpness(i) for i in inputs])
    for stage in ("capture", "infer", "output", "end_to_end"):
        assert summary["stages"][stage]["n"] == 6
    assert not {"resize_in", "resize_out"} & set(summary["stages"])  # a frame graph at its own size


def test_mismatched_size_is_resized_in_and_out(graphs, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), np.full((120, 160, 3), 60 * i, np.uint8))
    source = open_source(str(folder))
    got = []

    class Collect(NullSink):
        def write(self, frame, original=None, status="", name=None):
            got.append(frame.shape)
            return True

    summary = Pipeline(source, OnnxBackend(graphs["480p"]), Collect(), PipelineConfig(print_every=0)).run()
    assert got == [(120, 160, 3)] * 3
    assert summary["stages"]["resize_in"]["n"] == summary["stages"]["resize_out"]["n"] == 3




def test_the_shared_pass_through_stand_in_is_a_whole_backend_that_changes_nothing():
    """tests/pass_through.py: the stand-in the pipeline tests share defines every Backend member."""
    from pass_through import PassThrough
    from runtime.backends.base import Backend
    backend = PassThrough()
    members = set(Backend.__annotations__) | {name for name in vars(Backend) if not name.startswith("_")}
    assert [m for m in sorted(members) if not hasattr(backend, m)] == []
    frame = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    out, times = backend.collect(backend.submit(frame))
    backend.reset()
    assert out is frame and "infer" in times and backend.frames == 1 and backend.resets == [1]
