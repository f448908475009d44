"""Adaptive load: keep a call fluid when the model cannot keep up with the camera (the report's section 7.3).

Without a policy, a model slower than the camera makes the drop-oldest queues show fewer frames: the
picture stutters. The policies trade a little quality for time instead, and are named so a user can pin
one (`--load-policy`) and the status line can say which is running:

- `full`: the model at the frame's size.
- `scale75`, `scale50`: the model runs on the frame shrunk to 75% or 50% of its width and height; its
  correction (output minus its input, at the small size) is scaled up and added to the full-size frame.
  The frame keeps its own detail; only the correction is coarser. About 0.56x and 0.25x of the model's time.
- `skip`: the model is skipped on frames that barely changed since the last one it ran on (a still
  scene), and that frame's output is shown again: a still picture stays still and costs nothing. "Barely
  changed" is judged on a 1/8-size thumbnail, where sensor noise averages out and motion does not.
- `auto` (the default): a ladder from cheapest to fastest, `1 thread` (the model on one core: the least
  CPU per frame, where it keeps up) -> `full` (all cores) -> `scale75` -> `scale50`. It starts at the top
  and steps down when the time the model takes per frame exceeds the frame budget (1 / camera FPS, with
  headroom for capture and output), and back up when there is room again. The `1 thread` rung exists
  only where the engine can change its thread count (OpenVINO) and --threads was left at 0. When all
  cores turned out no faster than one (another app is using the other core), the smaller sizes run on
  one thread too: the same frame rate for less CPU. Moves are limited to one every second so it does not
  oscillate; each move resets the temporal filter (the model's size or request changed). Only where frames
  would otherwise be dropped (a camera, a paced file): a file converted frame by frame keeps every frame
  at full size.
  Under `--student auto` the ladder starts at the student the start-up probe chose (runtime/backends/family.py)
  and steps down the smaller students (one rung each: full size, all cores) before the smallest's own rungs:
  `large` -> `medium` -> `webcam 1 thread` -> `webcam full` -> ... A step up is estimated from the probe's
  times (the next student's over this one's, times what this rung takes now), following the machine's load.

The policies wrap a backend that takes any frame size (OpenVINO, or ONNX Runtime's any-size graph): a
backend compiled for one size (a TensorRT engine, a fixed-size ONNX graph) runs as it is.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from runtime.backends.base import Backend
from runtime.imaging import grey_thumbnail, opencv

SCALES = {"1 thread": 1.0, "full": 1.0, "scale75": 0.75, "scale50": 0.5}  # the auto ladder, top first
POLICIES = ("auto", "full", "scale75", "scale50", "skip")
SPEEDUP_OF_ALL_CORES = 1.7  # 1 -> 2 threads at 720p/1080p, free-running (benchmarks/results/cpu_cost.md)
THREADS_MUST_GAIN = 1.3  # all cores must be this much faster than one to be worth their CPU


@dataclass(frozen=True)
class AutoConfig:
    headroom: float = 0.8  # the model may use this share of the frame budget; the rest is capture/output
    step_up_below: float = 0.45  # go back up when the model would fit in this share at the next size up
    min_seconds_between_moves: float = 1.0
    window: int = 15  # at most this many recent frames' median model time decides


@dataclass
class LadderStudent:
    """A student the auto ladder may run: its opened backend, and its model time per full-size frame as the
    start-up probe measured it (only the ratios between students matter: 1.0 for a student alone)."""
    name: str
    backend: Backend
    seconds: float = 1.0


@dataclass(frozen=True)
class Rung:
    """One step of the auto ladder: a student (its index, smallest first) at a SCALES level."""
    student: int
    level: str


@dataclass(frozen=True)
class SkipConfig:
    """Chosen from a probe of the stability clips' 1/8 thumbnails (4 test photos; the probe was not kept): a
    still scene under office light changed by 0.7-1.2 levels on average (max 4-8), under low light by 1.8-2.3
    (max 8-13); a 3 px/frame pan by 1.2-8.4 (max 5-73). Both limits must hold, so low-light noise and textured
    motion run the model. What it then skips: benchmarks/results/cpu_probes.md (`benchmarks.cpu_probes`)."""
    thumbnail_divisor: int = 8  # 1280x720 -> 160x90: noise averages over 64 pixels
    mean_change: float = 1.2  # 8-bit levels of mean thumbnail change that still counts as "still"
    max_change: float = 10.0  # and of the largest change: one moving object in a still room runs the model


class AdaptiveBackend:
    """A Backend that applies a load policy around another (CPU) backend that takes any frame size.

    `students`: under --student auto, the students the auto ladder may move between, smallest first, `inner`
    the first's backend (empty: `inner` alone, as for a pinned student). Only the smallest gets the size
    rungs, and only where its backend takes any size: larger students' fixed-size engines join the ladder too.
    """

    def __init__(self, inner: Backend, policy: str = "auto", camera_fps: float = 30.0, realtime: bool = True,
                 auto: AutoConfig = AutoConfig(), skip: SkipConfig = SkipConfig(),
                 clock: Callable[[], float] = time.perf_counter,
                 log: Callable[[str], None] | None = None, students: Sequence[LadderStudent] = ()) -> None:
        if policy not in POLICIES:
            raise ValueError(f"unknown load policy {policy!r}")
        if students and students[0].backend is not inner:
            raise ValueError("the ladder's smallest student must be `inner`")
        self.students = list(students) or [LadderStudent("", inner)]
        self.inner, self.policy, self.auto_cfg, self.skip_cfg = inner, policy, auto, skip
        self.realtime = realtime  # frames arrive on a clock (camera, paced file); else auto stays at full
        self.budget = 1.0 / camera_fps
        self._ladder = self._auto_ladder()
        # each student's thread count as opened; None: the engine's thread count cannot change
        self._all_threads = [s.backend.threads for s in self.students]
        self._seen: dict[Rung, float] = {}  # median model seconds per frame last measured on each rung
        top = len(self.students) - 1  # the largest student given: where the ladder starts
        self.rung = Rung(top, "full")
        if policy == "auto":
            self._set_rung(self._ladder[0] if realtime else Rung(top, "full"))
        else:
            self._set_rung(Rung(top, "full" if policy == "skip" else policy))
        self.size = None
        self.in_flight = 1  # each frame is finished in submit(): a rung may change between frames
        self.threads = None  # the policy sets the inner engine's threads itself
        self.skipped = 0  # frames shown again instead of run (policy skip)
        self._model_times: deque[float] = deque(maxlen=auto.window)
        self._clock = clock  # what the auto policy times the model with (tests pass a simulated one)
        self._log = log  # told of each move, with the times that decided it
        self._last_move = clock()
        self._last_thumb: np.ndarray | None = None
        self._last_out: np.ndarray | None = None

    @property
    def name(self) -> str:
        """The engine running now (the student's graph in it): it changes when the ladder moves students."""
        return self.inner.name

    @property
    def strength(self) -> float:
        return self.inner.strength

    @strength.setter
    def strength(self, value: float) -> None:
        if value != self.inner.strength:
            self._last_out = None  # a shown-again frame must not keep the old strength
        self.inner.strength = value

    @property
    def multiple(self) -> int:
        return self.inner.multiple

    @property
    def compiles_per_size(self) -> bool:
        return self.inner.compiles_per_size

    @property
    def level(self) -> str:
        """The size rung running now (SCALES); a larger student's rung is always "full"."""
        return self.rung.level

    @property
    def student(self) -> str:
        """The student running now ("" when the ladder has only the one it was given)."""
        return self.students[self.rung.student].name

    @property
    def label(self) -> str:
        """What the status line shows: the policy and, for auto, the rung it chose (and the student, when
        the ladder has several)."""
        if self.policy == "auto":
            one = self.level != "1 thread" and self.inner.threads == 1
            return f"auto:{self._rung_text(self.rung)}{' (1 thread)' if one else ''}"
        return f"skip ({self.skipped} shown again)" if self.policy == "skip" else self.policy

    def _rung_text(self, rung: Rung) -> str:
        if len(self.students) == 1:
            return rung.level
        name = self.students[rung.student].name
        return name if rung.student > 0 else f"{name} {rung.level}"

    def _auto_ladder(self) -> list[Rung]:
        """Top first: each larger student (largest first) at full size, then the smallest's rungs: `1 thread`
        where its engine's thread count was left to us (0), and the smaller sizes where it takes any size."""
        smallest = self.students[0].backend
        levels = [level for level in SCALES if (level != "1 thread" or smallest.threads == 0)
                  and (SCALES[level] == 1.0 or smallest.size is None)]
        return [Rung(i, "full") for i in range(len(self.students) - 1, 0, -1)] + [Rung(0, lv) for lv in levels]

    def reset(self) -> None:
        self._last_thumb = self._last_out = None
        self.inner.reset()

    def reset_temporal(self) -> None:
        """The model's state only: the frame the skip policy shows again stays (base.reset_temporal)."""
        self.inner.reset()

    def submit(self, frame: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        if self.policy == "skip":
            return self._skip_or_run(frame)
        start = self._clock()
        out, timings = self._run_at(frame, SCALES[self.level])
        if self.policy == "auto" and self.realtime:
            self._adapt(self._clock() - start)
        return out, timings

    def collect(self, handle: tuple[np.ndarray, dict[str, float]]) -> tuple[np.ndarray, dict[str, float]]:
        return handle

    def close(self) -> None:
        for student in self.students:
            student.backend.close()

    # scale -----------------------------------------------------------------------------------------
    def _run_at(self, frame: np.ndarray, scale: float) -> tuple[np.ndarray, dict[str, float]]:
        if scale >= 1.0:
            return self.inner.collect(self.inner.submit(frame))
        cv2 = opencv()
        height, width = frame.shape[:2]
        start = time.perf_counter()
        small = cv2.resize(frame, (max(2, round(width * scale)), max(2, round(height * scale))),
                           interpolation=cv2.INTER_AREA)
        resized = time.perf_counter()
        out_small, timings = self.inner.collect(self.inner.submit(small))
        inferred = time.perf_counter()
        correction = cv2.subtract(out_small, small, dtype=cv2.CV_16S)
        correction = cv2.resize(correction, (width, height), interpolation=cv2.INTER_LINEAR)
        out = cv2.add(frame, correction, dtype=cv2.CV_8U)  # saturates at 0 and 255
        timings = dict(timings)
        timings["resize_in"] = timings.get("resize_in", 0.0) + resized - start  # down to the model's scale
        timings["resize_out"] = timings.get("resize_out", 0.0) + time.perf_counter() - inferred  # correction up
        return out, timings

    def _adapt(self, model_seconds: float) -> None:
        """Step the scale down when the model overruns its share of the budget, up when there is room."""
        self._model_times.append(model_seconds)
        now = self._clock()
        # decide on at least 3 frames and a second since the last move: at 30 FPS that is 15+ frames, and a
        # model far too slow (1 frame every 150 ms) is not left running for 15 of them
        if len(self._model_times) < 3 or now - self._last_move < self.auto_cfg.min_seconds_between_moves:
            return
        typical, rungs = float(np.median(self._model_times)), self._ladder
        self._seen[self.rung] = typical
        index = rungs.index(self.rung)
        allowed = self.auto_cfg.headroom * self.budget
        if typical > allowed and index + 1 < len(rungs):
            self._move(rungs[index + 1], now, typical)
        elif index > 0:
            # would the next rung up fit comfortably? Its time is this rung's now, scaled by their costs
            up = rungs[index - 1]
            if typical * self._cost(up) / self._cost(self.rung) < \
                    self.auto_cfg.step_up_below * self.budget / self.auto_cfg.headroom:
                self._move(up, now, typical)

    def _cost(self, rung: Rung) -> float:
        """A rung's model time relative to the others': the student's probed time, the pixel count, and
        what one thread costs against all cores."""
        threads = SPEEDUP_OF_ALL_CORES if rung.level == "1 thread" else 1.0
        return self.students[rung.student].seconds * SCALES[rung.level] ** 2 * threads

    def _move(self, rung: Rung, now: float, typical: float) -> None:
        if self._log is not None:
            self._log(f"load policy: {self._rung_text(self.rung)} -> {self._rung_text(rung)} (the model took "
                      f"{1000 * typical:.1f} ms per frame; {1000 * self.auto_cfg.headroom * self.budget:.1f} ms "
                      f"allowed at {1 / self.budget:.0f} FPS)")
        self._set_rung(rung)
        self._last_move = now
        self._model_times.clear()
        self.inner.reset()  # a new size or student: the temporal state of the old one does not apply

    def _set_rung(self, rung: Rung) -> None:
        previous, self.rung = self.inner, rung
        self.inner = self.students[rung.student].backend
        self.inner.strength = previous.strength  # the user's strength carries over to another student
        if self._all_threads[rung.student] is not None:
            self.inner.threads = self._threads_for(rung)

    def _threads_for(self, rung: Rung) -> int:
        all_threads = self._all_threads[rung.student]
        if rung.level == "1 thread":
            return 1
        one, every = self._seen.get(Rung(0, "1 thread")), self._seen.get(Rung(0, "full"))
        if rung.student == 0 and rung.level != "full" and one is not None and every is not None and \
                every * THREADS_MUST_GAIN > one:
            return 1  # the other cores are busy elsewhere: more threads bought no speed, only CPU
        return all_threads

    # skip ------------------------------------------------------------------------------------------
    def _skip_or_run(self, frame: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        start = time.perf_counter()
        thumb = grey_thumbnail(frame, self.skip_cfg.thumbnail_divisor)
        still = False
        if self._last_thumb is not None and self._last_out is not None and self._last_out.shape == frame.shape:
            change = np.abs(thumb - self._last_thumb)
            still = change.mean() <= self.skip_cfg.mean_change and change.max() <= self.skip_cfg.max_change
        if still:
            self.skipped += 1
            return self._last_out, {"skip_check": time.perf_counter() - start, "infer": 0.0}
        judged = time.perf_counter() - start
        out, timings = self.inner.collect(self.inner.submit(frame))
        self._last_thumb, self._last_out = thumb, out
        timings = dict(timings)
        timings["skip_check"] = judged
        return out, timings
