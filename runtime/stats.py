"""Per-stage latency and end-to-end frame rate, measured every frame, summarised as percentiles."""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

import numpy as np

# Every step a frame takes, in pipeline order, named for what it measures (seconds in, ms out):
#   capture      reading a file or folder frame (not for cameras: waiting for an exposure is not latency)
#   cut_check    the test whether a frame starts a new scene (runtime/scene_cut.py)
#   skip_check   the load policy's test whether a frame barely changed (runtime/backends/adaptive.py)
#   resize_in    frame -> the model's fixed size (only when they differ), or the load policy's smaller scale
#   low_light    measuring the exposure and, when underexposed, brightening (runtime/low_light.py)
#   noise        measuring the model input's sensor noise for the still-region average, every Nth frame
#   route        measuring whether the source is clean, every Nth frame (runtime/route.py)
#   copy_in      host copy into pinned memory (GPU backends)
#   convert_in   uint8 BGR -> the float graph's RGB NCHW tensor (CPU float graph)
#   upload       host -> device transfer (GPU event time)
#   infer        the model itself (GPU event time, or wall time on the CPU)
#   download     device -> host transfer (GPU event time)
#   convert_out  the float graph's tensor -> uint8 BGR
#   copy_out     host copy out of pinned memory
#   still_avg    averaging still regions over time (runtime/still_regions.py)
#   resize_out   back to the frame's own size (the load policy: its correction scaled up and added)
#   output       the sink: window, file, virtual camera
# end_to_end runs from the frame's arrival to the sink's return; stages a backend does not have are absent.
STAGES = ("capture", "cut_check", "skip_check", "resize_in", "low_light", "noise", "route", "copy_in", "convert_in", "upload",
          "infer", "download", "convert_out", "copy_out", "still_avg", "resize_out",
          "output")


class LatencyStats:
    """Thread-safe rolling record of per-stage durations (seconds) and frame completion times."""

    def __init__(self, window: int = 2000) -> None:
        self._lock = threading.Lock()
        self._stages: dict[str, deque[float]] = {}
        self._done: deque[float] = deque(maxlen=window)
        self._window = window
        self.frames = 0
        self.errors = 0  # frames the backend failed on (passed through unchanged on live sources)
        self._drop_counters: list = []  # objects with a live `dropped` count (the pipeline's queues)
        self._descriptions: dict[str, Callable[[], str]] = {}  # live labels for the status line
        # CPU time of the whole process (every thread, user + sys) since the stats began, so the cost per
        # frame and the share of the machine are measured, not estimated.
        self._cpu0, self._wall0 = time.process_time(), time.perf_counter()

    def watch_drops(self, *counters) -> None:
        """Count drops from these objects' `dropped` attributes, read live: a status line in the middle of a
        run must show the drops so far, not a total copied in at the end."""
        self._drop_counters.extend(counters)

    def describe(self, key: str, read: Callable[[], str]) -> None:
        """Show `key value` in the status line, the value read when the line is drawn (e.g. the load policy)."""
        self._descriptions[key] = read

    @property
    def dropped(self) -> int:
        return sum(c.dropped for c in self._drop_counters)

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            self._stages.setdefault(stage, deque(maxlen=self._window)).append(seconds)

    def error(self) -> None:
        with self._lock:
            self.errors += 1

    def frame_done(self, end_to_end: float) -> None:
        with self._lock:
            self.frames += 1
            self._done.append(time.perf_counter())
            self._stages.setdefault("end_to_end", deque(maxlen=self._window)).append(end_to_end)

    def fps(self) -> float:
        with self._lock:
            done = list(self._done)
        if len(done) < 2:
            return 0.0
        return (len(done) - 1) / max(done[-1] - done[0], 1e-9)

    def cpu(self) -> dict:
        """Process CPU time per finished frame (ms) and the cores busy on average (CPU time over wall time)."""
        cpu, wall = time.process_time() - self._cpu0, time.perf_counter() - self._wall0
        return {"ms_per_frame": round(1000 * cpu / max(self.frames, 1), 2), "cores": round(cpu / max(wall, 1e-9), 2)}

    def summary(self) -> dict:
        """{stage: {p50_ms, p95_ms, p99_ms, n}}, plus frames, dropped, errors, fps and CPU use."""
        with self._lock:
            stages = {k: np.asarray(v) * 1000 for k, v in self._stages.items() if v}
        out: dict = {"frames": self.frames, "dropped": self.dropped, "errors": self.errors, "fps": round(self.fps(), 2),
                     "cpu": self.cpu(), "stages": {}}
        for name, ms in stages.items():
            p50, p95, p99 = np.percentile(ms, [50, 95, 99])
            out["stages"][name] = {"p50_ms": round(float(p50), 2), "p95_ms": round(float(p95), 2),
                                   "p99_ms": round(float(p99), 2), "n": int(ms.size)}
        return out

    def line(self) -> str:
        """One status line: fps, drops, errors, and p50/p95 of each stage in pipeline order (a backend's own
        stage names, unknown here, just before end_to_end)."""
        s = self.summary()
        known = [k for k in STAGES if k in s["stages"]]
        order = known + [k for k in s["stages"] if k not in known and k != "end_to_end"] + \
            (["end_to_end"] if "end_to_end" in s["stages"] else [])
        parts = [f"{k} {s['stages'][k]['p50_ms']:.1f}/{s['stages'][k]['p95_ms']:.1f}" for k in order]
        labels = "".join(f", {key} {read()}" for key, read in self._descriptions.items())
        return (f"{s['fps']:.1f} fps, {s['frames']} frames, {s['dropped']} dropped, {s['errors']} errors{labels}, "
                f"cpu {s['cpu']['ms_per_frame']:.1f} ms/frame ({s['cpu']['cores']:.2f} cores) | p50/p95 ms: "
                + ", ".join(parts))
