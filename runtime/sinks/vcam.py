"""The virtual camera: what video-call apps read."""
from __future__ import annotations

import sys

import numpy as np

from runtime.errors import SharpcamError
from runtime.imaging import opencv
from runtime.optional import require
from runtime.sinks.base import Sink
from runtime.sinks.fixed_size import FixedSize


def vcam_install_help() -> str:
    if sys.platform.startswith("linux"):
        return ("install v4l2loopback and load it: 'sudo apt install v4l2loopback-dkms && sudo modprobe "
                "v4l2loopback devices=1 exclusive_caps=1 card_label=sharpcam' (exclusive_caps=1 lets Chrome "
                "and Meet see it)")
    return ("install OBS Studio (obsproject.com), start its virtual camera once, then close OBS; on Windows "
            "Unity Capture works too")


class VirtualCamSink(Sink):
    """pyvirtualcam: v4l2loopback on Linux, OBS (or Unity Capture) on Windows and macOS.

    One conversion per frame, never two: on Linux, where v4l2loopback consumers read I420, OpenCV's SIMD code
    converts BGR to I420 and pyvirtualcam passes it straight through; elsewhere the BGR frame goes as it is
    and pyvirtualcam converts it once to the backend's own format (NV12 for OBS on Windows, UYVY on macOS),
    for which OpenCV has no BGR conversion. `mirror` flips left-right first (a selfie view).
    The device keeps the size it opened with: a camera that changes resolution mid-call is scaled into it
    (runtime/sinks/fixed_size.py) instead of crashing pyvirtualcam and dropping out of the call.
    """

    def __init__(self, size: tuple[int, int], fps: float, device: str | None = None, mirror: bool = False) -> None:
        pyvirtualcam = require("pyvirtualcam", "the virtual camera needs pyvirtualcam: pip install pyvirtualcam; "
                                               "or use --sink window / --sink out.mp4")
        self.opencv, self.mirror = opencv(), mirror
        self._i420 = sys.platform.startswith("linux")
        fmt = pyvirtualcam.PixelFormat.I420 if self._i420 else pyvirtualcam.PixelFormat.BGR
        try:
            self._cam = pyvirtualcam.Camera(width=size[0], height=size[1], fps=fps, fmt=fmt, device=device)
        except RuntimeError as err:
            raise SharpcamError(f"no virtual camera available ({err}). To get one, {vcam_install_help()}. "
                                "'sharpcam devices' lists the outputs; meanwhile use --sink window or "
                                "--sink out.mp4") from err
        self.name = f"virtual camera {self._cam.device}"
        self._size = FixedSize(size, self.name)

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        frame = self._size.fit(frame)
        if self.mirror:
            frame = self.opencv.flip(frame, 1)
        if self._i420:
            frame = self.opencv.cvtColor(frame, self.opencv.COLOR_BGR2YUV_I420)
        self._cam.send(frame)
        return True

    def close(self) -> None:
        if self._cam is not None:
            self._cam.close()
            self._cam = None
