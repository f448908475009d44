"""The pipeline: capture -> preprocess -> infer -> postprocess -> output, overlapped on three threads.

capture thread --q_in--> worker thread (resize, submit/collect) --q_out--> caller's thread (sink).
Queues hold one frame and drop the oldest when a later stage is slower, so a slow model adds no
latency: it shows fewer, fresh frames. Drops are counted. Finite sources that are not paced (files,
folders) use lossless queues instead, so a file-to-file job keeps every frame. The sink runs on the
caller's thread because GUI toolkits want their windows on the main thread.
"""
from __future__ import annotations

import sys
import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from runtime.backends import Backend
from runtime.queues import Closed, DropOldestQueue
from runtime.sinks import NullSink
from runtime.sources import FrameSource, opencv
from runtime.stats import LatencyStats


@dataclass
class Frame:
    index: int
    image: np.ndarray  # BGR, as captured
    t0: float  # perf_counter() when capture of this frame began
    name: str | None = None  # the source's name for it (a folder's file name), taken at capture time
    generation: int = 0  # the source's count of discontinuities (reconnects) when it was captured


@dataclass
class Controls:
    """What the user may change while the pipeline runs (the window's keys); the worker applies it to the
    backend before each frame. `strength` 0..1; `show_original` is the window's before/after toggle."""
    strength: float = 1.0
    show_original: bool = False


@dataclass
class PipelineConfig:
    max_frames: int | None = None
    lossless: bool | None = None  # None: lossless for files and folders, drop-oldest for cameras
    pace: bool = False  # play finite sources at their frame rate, like a camera
    in_flight: int = 1  # frames inside the backend at once; 2 overlaps upload with compute on a GPU
    print_every: float = 2.0  # seconds between status lines on stderr; 0 disables
    controls: Controls | None = None  # None: the backend's strength, fixed


class Pipeline:
    def __init__(self, source: FrameSource, backend: Backend, sink: NullSink, cfg: PipelineConfig | None = None,
                 stats: LatencyStats | None = None) -> None:
        self.source, self.backend, self.sink = source, backend, sink
        self.cfg = cfg or PipelineConfig()
        self.stats = stats or LatencyStats()
        lossless = self.cfg.lossless if self.cfg.lossless is not None else not (source.live or self.cfg.pace)
        self.q_in: DropOldestQueue[Frame] = DropOldestQueue(1, lossless=lossless)
        self.q_out: DropOldestQueue[tuple[Frame, np.ndarray]] = DropOldestQueue(1, lossless=lossless)
        self.stats.watch_drops(self.q_in, self.q_out)
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self._generation = 0

    # capture ---------------------------------------------------------------------------------------
    def _capture(self) -> None:
        try:
            index, period = 0, 1.0 / self.source.fps if self.cfg.pace else 0.0
            next_due = time.perf_counter()
            while not self._stop.is_set() and (self.cfg.max_frames is None or index < self.cfg.max_frames):
                if period:
                    time.sleep(max(0.0, next_due - time.perf_counter()))
                    next_due += period
                t0 = time.perf_counter()
                image = self.source.read()
                if image is None:
                    break
                self.stats.add("capture", time.perf_counter() - t0)
                # the name of the frame read() just returned: only this thread reads the source
                self.q_in.put(Frame(index, image, t0, getattr(self.source, "last_name", None),
                                    getattr(self.source, "generation", 0)))
                index += 1
        except BaseException as err:  # noqa: BLE001 - re-raised on the caller's thread
            self._errors.append(err)
        finally:
            self.q_in.close()

    # preprocess, infer, postprocess ----------------------------------------------------------------
    def _work(self) -> None:
        inflight: deque = deque()
        try:
            while not self._stop.is_set():
                try:
                    frame = self.q_in.get(timeout=0.0 if inflight else 0.05)
                except TimeoutError:
                    if inflight:
                        self._finish(*inflight.popleft())
                    continue
                except Closed:
                    break
                self._apply_controls(frame)
                start = time.perf_counter()
                image = self._resize(frame.image, self.backend.size)
                resize_in = time.perf_counter() - start
                inflight.append((frame, self.backend.submit(image), resize_in))
                if len(inflight) >= self.cfg.in_flight:
                    self._finish(*inflight.popleft())
            while inflight:
                self._finish(*inflight.popleft())
        except BaseException as err:  # noqa: BLE001
            self._errors.append(err)
            self._stop.set()
        finally:
            self.q_out.close()

    def _apply_controls(self, frame: Frame) -> None:
        """The user's strength, and a temporal reset when the source says its frames broke continuity
        (a camera that reconnected): the filter must not blend across the gap."""
        controls = self.cfg.controls
        if controls is not None and controls.strength != self.backend.strength:
            self.backend.strength = controls.strength
        if frame.generation != self._generation:
            self._generation = frame.generation
            self.backend.reset()

    def _finish(self, frame: Frame, handle, resize_in: float) -> None:
        out, timings = self.backend.collect(handle)
        start = time.perf_counter()
        out = self._resize(out, (frame.image.shape[1], frame.image.shape[0]))
        resize_out = time.perf_counter() - start
        self.stats.add("preprocess", resize_in + timings.get("preprocess", 0.0) + timings.get("upload", 0.0))
        self.stats.add("infer", timings.get("infer", 0.0))
        self.stats.add("postprocess", resize_out + timings.get("postprocess", 0.0) + timings.get("download", 0.0))
        self.q_out.put((frame, out))

    @staticmethod
    def _resize(image: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
        if size is None or (image.shape[1], image.shape[0]) == tuple(size):
            return image
        return opencv().resize(image, tuple(size), interpolation=opencv().INTER_AREA)

    # output ----------------------------------------------------------------------------------------
    def run(self) -> dict:
        """Run until the source ends, --frames is reached, the sink asks to stop, or Ctrl-C."""
        threads = [threading.Thread(target=self._capture, name="capture", daemon=True),
                   threading.Thread(target=self._work, name="worker", daemon=True)]
        for t in threads:
            t.start()
        last_print = last_status = time.perf_counter()
        status = ""  # the latency line drawn on a preview, refreshed twice a second, not every frame
        try:
            while True:
                try:
                    frame, out = self.q_out.get(timeout=0.5)
                except TimeoutError:
                    continue
                except Closed:
                    break
                start = time.perf_counter()
                if self.cfg.print_every and start - last_status > 0.5:
                    status, last_status = self.stats.line(), start
                # unnamed frames go by index, so a folder sink's numbering survives dropped frames
                name = frame.name if frame.name is not None else f"{frame.index:06d}"
                keep_going = self.sink.write(out, frame.image, status, name=name)
                now = time.perf_counter()
                self.stats.add("output", now - start)
                self.stats.frame_done(now - frame.t0)
                if self.cfg.print_every and now - last_print > self.cfg.print_every:
                    print(self.stats.line(), file=sys.stderr, flush=True)
                    last_print = now
                if not keep_going:
                    break
        finally:
            self._stop.set()
            self.q_in.close()
            self.q_out.close()
            for t in threads:
                t.join(timeout=10)
        if self._errors:
            raise self._errors[0]
        return self.stats.summary()
