"""From the pipeline's sink to the page's video: a sink that publishes each frame, a hub that keeps the latest,
and a WebRTC track per viewer that sends it.

The pipeline calls the sink on its own thread; the tracks live on aiohttp's event loop. The sink puts the
before and after pictures side by side in one frame (before | after), so the page's split and toggle always
compare the same instant and one encoder serves both halves. A slow viewer never holds the pipeline up: the
hub keeps only the latest frame, and a track that fell behind sends the newest one. With no viewer (no page
open, or its peer gone) the sink skips that picture and its conversion to the encoder's planes (~5 ms a 480p
frame on one core): the recording, snapshot and virtual camera still get every frame.
"""
from __future__ import annotations

import asyncio
import fractions
import threading
import time
from typing import TYPE_CHECKING

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from runtime.sinks.base import Sink

if TYPE_CHECKING:
    from runtime.app.outputs import Outputs

CLOCK_RATE = 90_000  # RTP's video clock
TIME_BASE = fractions.Fraction(1, CLOCK_RATE)
# VP8's rate: aiortc starts at 0.5 and stops at 1.5 Mbit/s, made for calls over the internet; the page must show
# fine detail (the model's effect), so the app starts at 10 and may grow to 20 Mbit/s as the browser's bandwidth
# estimate allows (measured on the built-in clip: ~7 Mbit/s, VP8 quantizer ~7, where 1.5 Mbit/s gave ~29).
VP8_START_BITRATE, VP8_MAX_BITRATE = 10_000_000, 20_000_000


def allow_high_bitrate(local: bool) -> None:
    """aiortc reads these module settings when an encoder starts and each time the browser's estimate
    arrives; it has no per-connection option. `local`: the page is on this machine, where the estimate's slow
    start (seconds of a blurred picture) only hides detail, so the rate never goes below the start."""
    from aiortc.codecs import vpx
    vpx.DEFAULT_BITRATE, vpx.MAX_BITRATE = VP8_START_BITRATE, VP8_MAX_BITRATE
    if local:
        vpx.MIN_BITRATE = VP8_START_BITRATE


def side_by_side(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """before | after, one BGR picture twice the width (the page shows either half, or a split of the two)."""
    if before.shape != after.shape:  # the pipeline resizes back to the frame's size; this is a guard
        raise ValueError(f"before {before.shape} and after {after.shape} differ")
    return np.concatenate([before, after], axis=1)


class FrameHub:
    """The latest published frame and its number; tracks wait on the event loop for a newer one."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._changed = asyncio.Condition()
        self.latest: np.ndarray | None = None  # yuv420p planes, (height * 3 / 2, width)
        self.number = 0  # how many frames were published
        self.closed = False
        self.viewers = 0  # live tracks reading it (changed on the loop; the pipeline's thread only reads it)

    def publish_threadsafe(self, frame: np.ndarray) -> None:
        """From the pipeline's thread: hand the frame to the event loop (never blocks on a viewer)."""
        self._on_loop(lambda: self._loop.create_task(self._publish(frame)))

    def close_threadsafe(self) -> None:
        self._on_loop(lambda: self._loop.create_task(self._close()))

    def _on_loop(self, call) -> None:
        try:
            self._loop.call_soon_threadsafe(call)
        except RuntimeError:  # the loop already closed (the server stopped first): no viewer is left to serve
            pass

    async def _publish(self, frame: np.ndarray) -> None:
        async with self._changed:
            self.latest, self.number = frame, self.number + 1
            self._changed.notify_all()

    async def _close(self) -> None:
        async with self._changed:
            self.closed = True
            self._changed.notify_all()

    async def after(self, number: int) -> tuple[np.ndarray, int]:
        """The latest frame once it is newer than frame `number`; MediaStreamError once the hub closed."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.closed or (self.latest is not None and self.number > number))
            if self.closed:
                raise MediaStreamError
            return self.latest, self.number


class HubSink(Sink):
    """The pipeline's last stage in the app: before | after into the hub, converted to the encoder's YUV planes here
    on the pipeline's thread so the event loop only sends. write() returns False once stop() was called,
    which ends the pipeline's run."""

    name = "app"
    keeps_frames = True  # `latest` (the paused still) and the outputs' snapshot hold the frames written

    def __init__(self, hub: FrameHub, outputs: "Outputs | None" = None) -> None:
        self.hub, self.outputs = hub, outputs  # outputs: the page's recording, snapshot and virtual camera
        self._stop = threading.Event()
        self.latest: tuple[np.ndarray, np.ndarray] | None = None  # (before, after) BGR: the page's paused still
        self.converted = 0  # frames converted for the page's video (none while no one watches)

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        if self.outputs is not None:
            self.outputs.write(frame)
        self.latest = (original if original is not None else frame, frame)
        if self.hub.viewers > 0:
            picture = side_by_side(*self.latest)
            self.hub.publish_threadsafe(VideoFrame.from_ndarray(picture, format="bgr24").to_ndarray(format="yuv420p"))
            self.converted += 1
        return not self._stop.is_set()

    def still(self) -> np.ndarray | None:
        """The latest before | after as one BGR picture, uncompressed (None before the first frame)."""
        latest = self.latest
        return None if latest is None else side_by_side(*latest)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self.hub.close_threadsafe()


class HubTrack(MediaStreamTrack):
    """One viewer's video: each new frame of the hub, stamped with the time it was sent."""

    kind = "video"

    def __init__(self, hub: FrameHub) -> None:
        super().__init__()
        self.hub = hub
        hub.viewers += 1
        self._seen = 0
        self._start: float | None = None

    def stop(self) -> None:
        """Ended (aiortc stops it when its connection's sender ends): one viewer fewer."""
        if self.readyState == "live":
            self.hub.viewers -= 1
        super().stop()

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        planes, self._seen = await self.hub.after(self._seen)
        now = time.monotonic()
        self._start = now if self._start is None else self._start
        frame = VideoFrame.from_ndarray(planes, format="yuv420p")  # each viewer's own: its encoder stamps it
        frame.pts, frame.time_base = int((now - self._start) * CLOCK_RATE), TIME_BASE
        return frame
