"""The pipeline: capture -> resize_in -> [backend stages] -> resize_out -> output, overlapped on three threads.

capture thread --q_in--> worker thread (resize, submit/collect) --q_out--> caller's thread (sink).
Queues hold one frame and drop the oldest when a later stage is slower, so a slow model adds no
latency: it shows fewer, fresh frames. Drops are counted. Finite sources that are not paced (files,
folders) use lossless queues instead, so a file-to-file job keeps every frame. The sink runs on the
caller's thread because GUI toolkits want their windows on the main thread.

Timing (runtime/stats.py names the stages): a frame's end-to-end latency starts when read() hands it over,
so waiting for a camera's next exposure is not counted as latency; the read itself is timed as "capture"
only for files and folders, where it is decoding work. The backend reports its own steps (copies into
and out of pinned memory, upload, infer, download, or the CPU graph's conversions).

Errors: a live source keeps going when one frame fails: the original frame is passed through, counted
(`errors`), reported once per reason, and the run stops only after `error_limit` failures in a row. A file
fails loudly on its first error, since a file job that silently skips frames is a broken file job.

Live faults: the temporal state is reset whenever the source's frame size changes (a camera that switched
resolution), whatever the backend, as when it reconnects. A camera that delivers nothing for `stall_after`
seconds is reported ("camera stalled" in the status line) and its last output is shown again at the
camera's rate, so a virtual camera keeps feeding the call; a stop does not wait for a read that never
returns (the capture thread is left behind, and the source closed when that read ends).
"""
from __future__ import annotations

import sys
import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from runtime.backends.base import Backend, reset_temporal
from runtime.controls import Controls
from runtime.errors import SharpcamError
from runtime.frames import Frame, Source
from runtime.host_frames import FrameLending
from runtime.imaging import resize_timed
from runtime.low_light import LowLight, low_light_step
from runtime.queues import Closed, DropOldestQueue
from runtime.scene_cut import SceneCuts
from runtime.still_regions import StillAverage
from runtime.sinks.base import Sink
from runtime.stats import LatencyStats


@dataclass
class PipelineConfig:
    max_frames: int | None = None
    lossless: bool | None = None  # None: lossless for files and folders, drop-oldest for cameras
    pace: bool = False  # play finite sources at their frame rate, like a camera
    in_flight: int = 1  # frames inside the backend at once; 2 overlaps upload with compute on a GPU
    print_every: float = 2.0  # seconds between status lines on stderr; 0 disables
    controls: Controls | None = None  # None: the backend's strength, fixed
    tolerate_errors: bool | None = None  # None: pass failed frames through for live sources, fail for files
    error_limit: int = 30  # failed frames in a row that stop a tolerant run (a second at 30 fps)
    stall_after: float = 2.0  # seconds without a frame from a live source before it counts as stalled
    low_light: LowLight | None = None  # brightens underexposed frames before the model (runtime/low_light.py)
    scene_cuts: SceneCuts | None = None  # resets the temporal state at a cut (runtime/scene_cut.py)
    still_average: StillAverage | None = None  # averages still regions of the output (runtime/still_regions.py)


class Pipeline:
    def __init__(self, source: Source, backend: Backend, sink: Sink, cfg: PipelineConfig | None = None,
                 stats: LatencyStats | None = None) -> None:
        self.source, self.backend, self.sink = source, backend, sink
        self.cfg = cfg or PipelineConfig()
        self.stats = stats or LatencyStats()
        lossless = self.cfg.lossless if self.cfg.lossless is not None else not (source.live or self.cfg.pace)
        # a GPU backend's pinned frames, lent where source and sink allow: no host copy in or out
        self.lending = FrameLending.open(source, backend, sink.keeps_frames)
        release = self.lending.release
        self.q_in: DropOldestQueue[Frame] = DropOldestQueue(1, lossless=lossless, on_drop=release)
        self.q_out: DropOldestQueue[tuple[Frame, np.ndarray]] = DropOldestQueue(
            1, lossless=lossless, on_drop=lambda item: release(item[0]))
        self.stats.watch_drops(self.q_in, self.q_out)
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self._generation = 0
        self._frame_shape: tuple[int, ...] | None = None  # the last frame's, to reset on a size change
        self._last_arrival = time.perf_counter()  # when the source last handed a frame over
        self._stall_printed = 0.0  # when a "camera stalled" line was last printed
        self._tolerant = self.cfg.tolerate_errors if self.cfg.tolerate_errors is not None else source.live
        self._failed_in_a_row = 0
        self._reported: set[str] = set()

    # capture ---------------------------------------------------------------------------------------
    def _capture(self) -> None:
        try:
            index, period = 0, 1.0 / self.source.fps if self.cfg.pace else 0.0
            next_due = time.perf_counter()
            while not self._stop.is_set() and (self.cfg.max_frames is None or index < self.cfg.max_frames):
                if period:
                    time.sleep(max(0.0, next_due - time.perf_counter()))
                    next_due += period
                start = time.perf_counter()
                image, loan = self.lending.read(self.source)
                arrived = time.perf_counter()
                if image is None:
                    break
                self._last_arrival = arrived
                if not self.source.live:  # decoding a file is work; a camera's read is mostly waiting
                    self.stats.add("capture", arrived - start)
                # the name and time of the frame read() just returned: only this thread reads the source
                self.q_in.put(Frame(index, image, arrived, self.source.last_name, self.source.generation,
                                    self.source.last_time, loans=[] if loan is None else [loan]))
                index += 1
        except BaseException as err:  # noqa: BLE001 - re-raised on the caller's thread
            self._errors.append(err)
        finally:
            self.q_in.close()

    # resize, backend, resize back ------------------------------------------------------------------
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
                submitted = self._submit(frame)
                if submitted is not None:
                    inflight.append(submitted)
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
        (a camera that reconnected) or its frame size changed: the filter must not blend across the gap,
        nor carry a state of one size into frames resized from another."""
        controls = self.cfg.controls
        if controls is not None:
            if controls.strength != self.backend.strength:
                self.backend.strength = controls.strength
            self._apply_low_light(controls.low_light)
            if not controls.temporal:  # the filter off: every frame starts from a reset state
                self._forget_temporal()
        resized = self._frame_shape is not None and frame.image.shape != self._frame_shape
        cuts = self.cfg.scene_cuts
        if frame.generation != self._generation or resized:
            self._generation = frame.generation
            self.backend.reset()
            self._forget_still()
            if self.cfg.low_light is not None:  # a new scene: its exposure is measured afresh
                self.cfg.low_light.reset()
            if cuts is not None:
                cuts.reset()
        if cuts is not None:
            start = time.perf_counter()
            if cuts(frame.image):  # a cut inside the stream, which no source announces: the state is the old scene's
                self._forget_temporal()
            self.stats.add("cut_check", time.perf_counter() - start)
        self._frame_shape = frame.image.shape

    def _forget_temporal(self) -> None:
        """The model's temporal state and what the still-region average holds; not the load policy's frame."""
        reset_temporal(self.backend)
        self._forget_still()

    def _forget_still(self) -> None:
        if self.cfg.still_average is not None:
            self.cfg.still_average.reset()

    def _apply_low_light(self, mode: str | None) -> None:
        """The user's low-light mode (the app's toggle), here on the worker that runs the step."""
        step = self.cfg.low_light
        if mode is None or mode == (step.cfg.mode if step is not None else "off"):
            return
        if step is None:
            self.cfg.low_light = low_light_step(mode, self.source.fps)
        else:
            step.set_mode(mode)

    def _submit(self, frame: Frame) -> tuple[Frame, object, float | None] | None:
        try:
            self._apply_controls(frame)
            image, resize_in = resize_timed(frame.image, self.backend.size)
            if self.cfg.low_light is not None:  # after the resize: on the model's pixels, as few as there are
                start = time.perf_counter()
                image = self.cfg.low_light(image)
                self.stats.add("low_light", time.perf_counter() - start)
            still = self.cfg.still_average
            if still is not None:  # the still average's noise scale, on what the model sees (every Nth frame)
                start = time.perf_counter()
                if still.see_input(image):
                    self.stats.add("noise", time.perf_counter() - start)
            return frame, self.backend.submit(image), resize_in
        except Exception as err:  # noqa: BLE001 - _failed decides: pass through (live) or stop
            self._failed(frame, err)
            return None

    def _finish(self, frame: Frame, handle: object, resize_in: float | None) -> None:
        try:
            out, timings = self.backend.collect(handle)
            self.lending.borrowed(frame, out)  # a lent output goes back when the frame leaves, whatever happens
            still = self.cfg.still_average
            if still is not None:  # on the model's pixels, after its strength blend, before the resize back
                start = time.perf_counter()
                out = still(out, self.backend.strength)
                timings = {**timings, "still_avg": time.perf_counter() - start}
            out, resize_out = resize_timed(out, (frame.image.shape[1], frame.image.shape[0]))
        except Exception as err:  # noqa: BLE001
            self._failed(frame, err)
            return
        self._failed_in_a_row = 0
        stages = dict(timings)  # a backend may resize too (a load policy's smaller model): both count
        for stage, seconds in (("resize_in", resize_in), ("resize_out", resize_out)):
            if seconds is not None:
                stages[stage] = stages.get(stage, 0.0) + seconds
        for stage, seconds in stages.items():
            self.stats.add(stage, seconds)
        self.q_out.put((frame, out))

    def _failed(self, frame: Frame, err: Exception) -> None:
        """A frame the backend could not process: re-raise (files), or pass the original through (live)."""
        if not self._tolerant:
            raise err
        self._failed_in_a_row += 1
        self.stats.error()
        reason = f"{type(err).__name__}: {err}"
        if self._failed_in_a_row >= self.cfg.error_limit:
            raise SharpcamError(f"{self._failed_in_a_row} frames in a row failed, the last with {reason}; "
                                "stopping (frames were passed through unchanged meanwhile)") from err
        if reason not in self._reported:  # once per reason: a status line counts the rest
            self._reported.add(reason)
            print(f"warning: frame {frame.index} failed ({reason}); passing it through unchanged and going on",
                  file=sys.stderr, flush=True)
        self.q_out.put((frame, frame.image))

    # output ----------------------------------------------------------------------------------------
    def _repeat_if_stalled(self, frame: Frame, out: np.ndarray) -> bool:
        """A live source silent for `stall_after` s: show the last output again (a virtual camera that
        stops receiving frames freezes or drops out of the call) and say so. Returns the sink's keep-going."""
        silent = time.perf_counter() - self._last_arrival
        if not self.source.live or silent < self.cfg.stall_after:
            return True
        status = f"camera stalled (no frame for {silent:.1f} s; showing the last one) | {self.stats.line()}"
        now = time.perf_counter()
        if self.cfg.print_every and now - self._stall_printed > self.cfg.print_every:
            print(status, file=sys.stderr, flush=True)
            self._stall_printed = now
        name = frame.name if frame.name is not None else f"{frame.index:06d}"
        return self.sink.write(out, frame.image, status, name=name)

    def run(self) -> dict:
        """Run until the source ends, --frames is reached, the sink asks to stop, or Ctrl-C."""
        threads = [threading.Thread(target=self._capture, name="capture", daemon=True),
                   threading.Thread(target=self._work, name="worker", daemon=True)]
        for t in threads:
            t.start()
        last_print = last_status = time.perf_counter()
        status = ""  # the latency line drawn on a preview, refreshed twice a second, not every frame
        last: tuple[Frame, np.ndarray] | None = None  # what a stalled camera's output repeats
        wait = min(0.5, 1.0 / max(self.source.fps, 2.0)) if self.source.live else 0.5
        try:
            while True:
                try:
                    frame, out = self.q_out.get(timeout=wait)
                except TimeoutError:
                    if last is not None and not self._repeat_if_stalled(*last):
                        break
                    continue
                except Closed:
                    break
                start = time.perf_counter()
                if self.cfg.print_every and start - last_status > 0.5:
                    status, last_status = self.stats.line(), start
                # unnamed frames go by index, so a folder sink's numbering survives dropped frames
                name = frame.name if frame.name is not None else f"{frame.index:06d}"
                keep_going = self.sink.write_at(frame.pts, out, frame.image, status, name=name)
                if last is not None:  # its pinned frames are free once a newer frame was written
                    self.lending.release(last[0])
                last = (frame, out)
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
            for t in threads:  # a camera read that never returns must not hold the stop
                t.join(timeout=1 if t.name == "capture" and self.source.live else 10)
            self._give_back_all(last)
        if self._errors:
            raise self._errors[0]
        summary = self.stats.summary()
        if self.lending.inputs is not None or self.lending.outputs is not None:
            summary["pinned_frames"] = self.lending.report()
        return summary

    def _give_back_all(self, last: tuple[Frame, np.ndarray] | None) -> None:
        """The loans of the last frame written and of frames nobody will take from the queues."""
        frames = [last[0]] if last is not None else []
        frames += self.q_in.drain() + [frame for frame, _ in self.q_out.drain()]
        for frame in frames:
            self.lending.release(frame)
