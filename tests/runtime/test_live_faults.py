"""Live faults through the real VideoSource with a scripted capture device (tests/fake_capture.py): a camera
that changes resolution mid-run, one that stalls. Each test is bounded (`deadline`)."""
from __future__ import annotations

import sys
import threading
import time
import types

import cv2
import numpy as np
import pytest

from deadline import deadline
from fake_capture import Device, install
from pass_through import PassThrough
from runtime.pipeline import Pipeline, PipelineConfig
from runtime.sinks.base import NullSink
from runtime.sinks.video import FileSink
from runtime.sources import VideoSource

CAMERA = "/dev/video99"  # never opened: the fake device answers


def fake_pyvirtualcam() -> types.ModuleType:
    """pyvirtualcam's Camera as far as the sink uses it, with the real one's size check on send()."""
    module = types.ModuleType("pyvirtualcam")
    module.PixelFormat = types.SimpleNamespace(I420="I420", BGR="BGR")

    class Camera:
        sent: list = []

        def __init__(self, width, height, fps, fmt, device=None):
            self.width, self.height, self.fmt, self.device = width, height, fmt, device or "/dev/video10"

        def send(self, frame):
            expected = self.width * self.height * 3 // 2 if self.fmt == "I420" else self.width * self.height * 3
            if frame.size != expected:
                raise ValueError(f"unexpected frame size: {frame.size} != {expected}")
            Camera.sent.append(frame.copy())

        def close(self):
            pass
    module.Camera = Camera
    return module


def run(source, backend, sink, **cfg) -> dict:
    cfg = {"print_every": 0, "lossless": True, **cfg}
    return Pipeline(source, backend, sink, PipelineConfig(**cfg)).run()


@deadline(30)
def test_the_virtual_camera_survives_a_camera_resolution_change(monkeypatch, capsys):
    vcam = fake_pyvirtualcam()
    monkeypatch.setitem(sys.modules, "pyvirtualcam", vcam)
    monkeypatch.setattr(sys, "platform", "linux")
    from runtime.sinks.vcam import VirtualCamSink
    install(monkeypatch, Device([[64, 48, 3], [128, 72, 3]]))  # 4:3, then a 16:9 fallback
    source = VideoSource(CAMERA)
    sink = VirtualCamSink(source.size, 30.0)
    summary = run(source, PassThrough(), sink, max_frames=6)
    assert summary["frames"] == 6 and len(vcam.Camera.sent) == 6  # the camera stayed in the call
    luma = vcam.Camera.sent[-1][:48].reshape(48, 64)  # I420: the Y plane first
    assert luma[:5].max() < 20 and luma[-5:].max() < 20  # 128x72 into 64x48: 64x36 with bars above and below
    assert abs(int(luma[24, 32]) - int(luma[0, 0])) > 2  # the picture itself between them
    err = capsys.readouterr().err
    assert err.count("now gives 128x72") == 1  # said once, not per frame


@deadline(60)
def test_a_video_file_keeps_its_first_size_and_letterboxes_a_later_one(tmp_path, monkeypatch, capsys):
    install(monkeypatch, Device([[160, 120, 3], [320, 120, 3]]))
    source = VideoSource(CAMERA)
    out = tmp_path / "call.mp4"
    with FileSink(out, source.size, 30.0) as sink:
        run(source, PassThrough(), sink, max_frames=6)
    monkeypatch.undo()  # OpenCV's own VideoCapture again, to read the file back
    cap, frames = cv2.VideoCapture(str(out)), []
    while (got := cap.read())[0]:
        frames.append(got[1])
    assert len(frames) == 6 and all(f.shape == (120, 160, 3) for f in frames)
    last = frames[-1].astype(int)  # 320x120 into 160x120: 160x60 in the middle, 30 black rows above and below
    assert last[:25].max() < 20 and last[-25:].max() < 20 and abs(last[60].mean() - 106) < 8
    assert "now gives 320x120" in capsys.readouterr().err


@deadline(30)
def test_the_temporal_state_is_reset_when_the_source_changes_size(monkeypatch):
    install(monkeypatch, Device([[64, 48, 3], [96, 48, 3], [64, 48, 2]]))
    backend = PassThrough(size=(64, 48))  # a fixed-size graph: every frame is resized into it
    run(VideoSource(CAMERA), backend, NullSink(), max_frames=8)
    assert backend.resets == [3, 6]  # before the first 96x48 frame and before the first 64x48 one after


class Recorder(NullSink):
    """Keeps what it was given; asks to stop after `stalled_writes` frames written while stalled."""

    def __init__(self, stalled_writes: int) -> None:
        self.frames, self.statuses, self._limit = [], [], stalled_writes
        self.stop_asked: float | None = None

    def write(self, frame, original=None, status="", name=None):
        self.frames.append(frame.copy())
        self.statuses.append(status)
        if sum("camera stalled" in s for s in self.statuses) >= self._limit:
            self.stop_asked = time.perf_counter()
            return False
        return True


@deadline(30)
def test_a_stalled_camera_is_reported_keeps_the_output_fed_and_stops_promptly(monkeypatch, capsys):
    device = Device([[32, 24, 4], ["stall", None]])  # then a read that never returns
    install(monkeypatch, device)
    sink, source = Recorder(stalled_writes=5), VideoSource(CAMERA)
    try:
        run(source, PassThrough(), sink, print_every=0.2)
        returned = time.perf_counter()
        source.close()  # as the session does: not under the blocked read
        assert device.released == 0
    finally:
        device.unblock.set()
    for _ in range(100):  # the read returns and releases the capture itself
        if device.released:
            break
        time.sleep(0.02)
    assert device.released == 1
    assert len(sink.frames) >= 4 + 5 and all((f == sink.frames[3]).all() for f in sink.frames[4:])  # last frame repeated
    assert returned - sink.stop_asked < 2.0  # not the 10 s a blocked read used to hold the stop
    assert "camera stalled" in capsys.readouterr().err
