"""This browser's camera as a source: the page's getUserMedia track arrives over WebRTC, and the pipeline reads
it like a camera (runtime/frames.py's Source protocol), so a machine with only a browser can use sharpcam and
the round trip page -> sharpcam -> page can be measured.

The event loop receives the track's frames (`feed`) and keeps only the newest (a camera's frames are worthless
once a newer one exists, as the pipeline's drop-oldest queues say); the pipeline's capture thread takes it in
read(), converting it to BGR there so the event loop never does pixel work.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from runtime.imaging import opencv

BROWSER_CAMERA = "this browser's camera"  # the session's source label (no spec names it)
DEFAULT_FPS = 30.0  # when the page does not say its camera's rate


class BrowserCamera:
    """A live Source fed from the event loop. Its size is the first frame's; a later frame of another size (the
    browser lowering its resolution under load) is resized to it, so sinks keep one size."""

    live = True
    frame_count = None
    generation = 0
    last_name = None
    last_time = None
    decoder_warnings = 0  # the browser's frames arrive decoded

    def __init__(self, size: tuple[int, int], fps: float = DEFAULT_FPS) -> None:
        self.size, self.fps = size, fps
        self._changed = threading.Condition()
        self._newest: VideoFrame | None = None
        self._ended = False
        self.received = 0  # frames the browser sent
        self.taken = 0  # frames the pipeline read (the rest were replaced by newer ones first)

    def push(self, frame: VideoFrame) -> None:
        with self._changed:
            self._newest, self.received = frame, self.received + 1
            self._changed.notify_all()

    def end(self) -> None:
        """The browser's track ended (page closed, camera stopped): read() returns None, ending the run."""
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def read(self) -> np.ndarray | None:
        with self._changed:
            self._changed.wait_for(lambda: self._ended or self._newest is not None)
            if self._ended:
                return None
            frame, self._newest = self._newest, None
            self.taken += 1
        image = frame.to_ndarray(format="bgr24")
        if (image.shape[1], image.shape[0]) != self.size:
            image = opencv().resize(image, self.size)
        return image

    def close(self) -> None:
        self.end()


async def feed(track: MediaStreamTrack, fps: float | None,
               use: Callable[[BrowserCamera], Awaitable[None]]) -> BrowserCamera | None:
    """Receive the page's camera track until it ends. Its first frame sets the size; then `use(camera)` puts
    the camera under a session (while frames keep arriving). Returns the camera once its track ended (None
    when it ended before a first frame)."""
    try:
        first = await track.recv()
    except MediaStreamError:
        return None
    camera = BrowserCamera((first.width, first.height), fps or DEFAULT_FPS)
    camera.push(first)
    starting = asyncio.ensure_future(use(camera))
    try:
        while True:
            camera.push(await track.recv())
    except MediaStreamError:
        pass
    finally:
        camera.end()
        await starting
    return camera

