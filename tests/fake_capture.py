"""A scripted capture device behind the real runtime.sources.VideoSource: cv2.VideoCapture is replaced by
FakeCapture, which plays a script of frame runs and stalls, so live faults (a resolution change, a camera
that stops delivering) are tested through the code a real camera goes through.

In-process: `install(monkeypatch, device)`. In a child process (signal tests):
    python tests/fake_capture.py '{"script": [[640, 480, 5], ["stall", null]], "slow_load": 0, "slow_close": 0}' \
        -- --source /dev/video99 --sink out.mp4
runs runtime.cam's main() with the device installed (`pace`: seconds per frame; `jpeg_noise`: each frame
writes a libjpeg warning to fd 2); `slow_load` / `slow_close` stretch the model load and
the video file's finalisation so a test can signal inside them (a marker line on stderr says when).
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

WIDTH, HEIGHT, FPS, COUNT, BUFFERSIZE, FOURCC = 3, 4, 5, 7, 38, 6  # cv2.CAP_PROP_* values


class Device:
    """A camera's script: [width, height, n] runs of frames (grey 101, 102, 103... by frame), ["stall", seconds]
    (None: a read that never returns) and, past the end, reads that fail (an unplugged camera)."""

    def __init__(self, script: list, pace: float = 0.0, jpeg_noise: bool = False) -> None:
        self._pace = pace  # seconds each frame takes to arrive, as a camera's exposure does
        self._jpeg_noise = jpeg_noise  # each frame makes "libjpeg" write a warning to fd 2, as MJPG cameras do
        self._steps = [list(step) for step in script]
        self._lock = threading.Lock()
        self.frames_read = 0
        self.released = 0
        self.unblock = threading.Event()  # ends a never-returning stall (a test's teardown)

    def mode(self) -> tuple[int, int]:
        with self._lock:
            for step in self._steps:
                if step[0] != "stall":
                    return step[0], step[1]
        return 0, 0

    def read(self) -> tuple[bool, np.ndarray | None]:
        with self._lock:
            while self._steps and self._steps[0][0] != "stall" and self._steps[0][2] <= 0:
                self._steps.pop(0)
            if not self._steps:
                return False, None
            step = self._steps[0]
            if step[0] != "stall":
                time.sleep(self._pace)
                step[2] -= 1
                self.frames_read += 1
                if self._jpeg_noise:  # written to the descriptor, as C code does, past Python's sys.stderr
                    os.write(2, b"Corrupt JPEG data: 2 extraneous bytes before marker 0xd9\n")
                return True, np.full((step[1], step[0], 3), 100 + self.frames_read % 100, np.uint8)
            self._steps.pop(0)
        if step[1] is None:
            self.unblock.wait()
            return False, None
        time.sleep(step[1])
        return self.read()


class FakeCapture:
    """What VideoSource calls on a cv2.VideoCapture."""

    def __init__(self, device: Device) -> None:
        self._device, self._open = device, True

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self._open

    def set(self, prop: int, value: float) -> bool:
        return True

    def get(self, prop: int) -> float:
        width, height = self._device.mode()
        return {WIDTH: width, HEIGHT: height, FPS: 30.0}.get(prop, 0.0)

    def read(self):
        return self._device.read()

    def release(self) -> None:
        self._open = False
        self._device.released += 1


def install(monkeypatch, device: Device) -> None:
    import cv2
    monkeypatch.setattr(cv2, "VideoCapture", lambda *args, **kwargs: FakeCapture(device))


class _Patch:
    """monkeypatch's setattr for a child process, which has no pytest."""

    @staticmethod
    def setattr(owner, name, value) -> None:
        setattr(owner, name, value)


def _stretch(owner, name: str, seconds: float, marker: str) -> None:
    """Make owner.name say `marker` on stderr and take `seconds` longer before it does its work."""
    original = getattr(owner, name)

    def stretched(*args, **kwargs):
        print(marker, file=sys.stderr, flush=True)
        time.sleep(seconds)
        return original(*args, **kwargs)
    setattr(owner, name, stretched)


def _mark_first(owner, name: str, marker: str) -> None:
    """Make owner.name say `marker` on stderr once its first call has returned."""
    original, said = getattr(owner, name), []

    def marked(*args, **kwargs):
        result = original(*args, **kwargs)
        if not said:
            said.append(True)
            print(marker, file=sys.stderr, flush=True)
        return result
    setattr(owner, name, marked)


def _child(config: dict, argv: list[str]) -> None:
    import runtime.session as session
    from runtime.cam import main
    from runtime.sinks.video import VideoWriter
    install(_Patch, Device(config.get("script", []), config.get("pace", 0.0), config.get("jpeg_noise", False)))
    if config.get("slow_load"):
        _stretch(session, "open_backend", config["slow_load"], "fake: loading the model")
    if config.get("mark_first_write"):
        _mark_first(VideoWriter, "write", "fake: first frame written")
    if config.get("slow_close"):
        _stretch(VideoWriter, "close", config["slow_close"], "fake: finalising the file")
    main(argv)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    split = sys.argv.index("--")
    _child(json.loads(sys.argv[1]), sys.argv[split + 1:])
