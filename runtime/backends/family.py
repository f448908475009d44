"""`--student auto`: the largest student of the family that fits this machine's frame budget, by measurement.

The family (runtime/artifacts.py's FAMILY, smallest first: recurrent, medium, large) is S for video (the
recurrent student: S with learned temporal stability) and one mix distilled at two larger costs. At start
each student whose graphs are found is opened the way the session would open it (the factory, for the
source's frame size and the asked backend family), smallest first, and timed on a few frames: warm-up
frames (a compile, the first allocation), then the median of the timed ones. A student fits when that median
is at most `share` (60%) of the frame budget, 1 / the source's FPS: the rest is capture, output and headroom.
Timing stops at the first student that does not fit (a larger one would not either); the largest that fit
runs. When none fits, the smallest runs and the load policy steps its size down.

The students below the winner stay open (the probe opened them): the load policy's auto ladder steps down
to them before it steps the frame size down (runtime/backends/adaptive.py), without opening anything while
frames are late. The one that did not fit is closed.

Only one student found (the others' graphs not built or installed): it runs, untimed, as before.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from runtime.artifacts import AUTO_STUDENT, FAMILY
from runtime.backends.base import Backend
from runtime.backends.factory import Request, files_for, open_backend
from runtime.errors import SharpcamError

Opener = Callable[[Request], tuple[Backend, str]]


@dataclass(frozen=True)
class ProbeConfig:
    warmup: int = 1  # frames run before timing: OpenVINO compiles for the size, allocators warm up (an outlier
    # after it is one of `frames`: the median ignores it)
    frames: int = 5  # timed frames; their median is the student's model time
    share: float = 0.6  # a student fits when its model time is at most this share of the frame budget
    patience: float = 0.3  # seconds of timing after which a student over on most frames so far is judged on them


@dataclass
class Member:
    """An opened student: its backend, the factory's sentence for it, and the probe's median (seconds)."""
    name: str
    backend: Backend
    why: str
    seconds: float | None = None


@dataclass
class StudentChoice:
    """The opened students, smallest first, ending with the one that runs; `auto`: chosen by the probe."""
    members: list[Member]
    auto: bool = False
    reason: str = ""
    budget: float = 0.0  # seconds per frame, 1 / source FPS
    timed: dict[str, float] = field(default_factory=dict)  # student -> median model seconds, the one over included
    skipped: dict[str, str] = field(default_factory=dict)  # student -> why it was not timed

    @property
    def chosen(self) -> Member:
        return self.members[-1]

    def stats(self) -> dict:
        """For --stats and the app: which student, why, and each timed candidate's median (ms)."""
        return {"chosen": self.chosen.name, "reason": self.reason, "budget_ms": round(1000 * self.budget, 2),
                "candidates_ms": {name: round(1000 * seconds, 2) for name, seconds in self.timed.items()},
                "skipped": dict(self.skipped)}

    def close(self) -> None:
        for member in reversed(self.members):
            member.backend.close()


def open_student(req: Request, frame_size: tuple[int, int], fps: float, cfg: ProbeConfig = ProbeConfig(),
                 opener: Opener = open_backend, clock: Callable[[], float] = time.perf_counter) -> StudentChoice:
    """The student to run: `req.student` as asked (or the engine/model named), or for `auto` the family's
    largest that fits (module docstring). `opener`, `clock`: the factory and the wall clock (tests simulate)."""
    if req.student != AUTO_STUDENT or req.engine is not None or req.model is not None:
        pinned = req if req.student != AUTO_STUDENT else replace(req, student=FAMILY[0])
        backend, why = opener(pinned)
        return StudentChoice([Member(pinned.student, backend, why)])
    if min(frame_size) <= 0:  # a source that could not tell its size (an unreadable file): nothing to time on;
        # the smallest opens as if pinned and the pipeline then says what is wrong with the source
        return open_student(replace(req, student=FAMILY[0]), frame_size, fps, cfg, opener, clock)
    found = [name for name in FAMILY if any(req.find(f) for f in files_for(replace(req, student=name)))]
    choice = StudentChoice([], auto=True, budget=1.0 / fps)
    choice.skipped = {name: "no graphs" for name in FAMILY if name not in found}
    if not found:  # the smallest as if pinned: the factory's own error says what is missing and where it looked
        return open_student(replace(req, student=FAMILY[0]), frame_size, fps, cfg, opener, clock)
    try:
        _probe(choice, found, req, frame_size, cfg, opener, clock)
    except BaseException:
        choice.close()
        raise
    choice.reason = _reason(choice, cfg.share, frame_size)
    return choice


def _probe(choice: StudentChoice, found: list[str], req: Request, frame_size: tuple[int, int], cfg: ProbeConfig,
           opener: Opener, clock: Callable[[], float]) -> None:
    """Open and time `found` smallest first into `choice.members` until one does not fit (it is closed)."""
    frame = np.random.default_rng(0).integers(0, 256, (frame_size[1], frame_size[0], 3), dtype=np.uint8)
    allowed = cfg.share * choice.budget
    for index, name in enumerate(found):
        try:
            backend, why = opener(replace(req, student=name))
        except SharpcamError as err:  # found but cannot run here (e.g. only a GPU engine): the next one
            if not choice.members and index == len(found) - 1:
                raise
            choice.skipped[name] = f"did not open: {err}"
            continue
        member = Member(name, backend, why)
        if len(found) > 1:
            member.seconds = choice.timed[name] = time_model(backend, frame, cfg, allowed, clock)
        over = member.seconds is not None and member.seconds > allowed
        if over and choice.members:  # a larger one would not fit either: stop here
            backend.close()
        else:  # it fits, or it is the smallest found: it runs even when over
            choice.members.append(member)
        if over:
            choice.skipped.update({later: f"not timed, {name} was over" for later in found[index + 1:]})
            return


def time_model(backend: Backend, frame: np.ndarray, cfg: ProbeConfig, allowed: float,
               clock: Callable[[], float] = time.perf_counter) -> float:
    """Median seconds per frame after the warm-up. Stops once more than half of `cfg.frames` are over
    `allowed` (the median is then over too), or once most frames so far are over and they took longer than
    `cfg.patience`: a student far too slow (L on a CPU) costs two or three frames, not the probe's second."""
    for _ in range(cfg.warmup):
        backend.collect(backend.submit(frame))
    times: list[float] = []
    for _ in range(cfg.frames):
        start = clock()
        backend.collect(backend.submit(frame))
        times.append(clock() - start)
        over = sum(t > allowed for t in times)
        if over > cfg.frames // 2 or (over > len(times) / 2 and sum(times) > cfg.patience):
            break
    backend.reset()  # the probe's frames are no part of the stream
    return float(np.median(times))


def _reason(choice: StudentChoice, share: float, frame_size: tuple[int, int]) -> str:
    """One sentence: the chosen student and why, each candidate's median against the allowed time."""
    chosen, allowed = choice.chosen, share * choice.budget
    budget = f"{share:.0%} of the {1000 * choice.budget:.1f} ms frame budget ({1000 * allowed:.1f} ms)"
    where = f"at {frame_size[0]}x{frame_size[1]} on {chosen.backend.name}"
    if chosen.seconds is None:
        why = f"the only family student found {where}"
    elif chosen.seconds > allowed:
        why = f"the smallest; none fits {budget} {where}, so the load policy steps its size down"
    else:
        why = f"the largest whose model time fits {budget} {where}"
    timed = ", ".join(f"{name} {1000 * seconds:.1f} ms{' (over)' if seconds > allowed else ''}"
                      for name, seconds in choice.timed.items())
    untimed = ", ".join(f"{name} ({why})" for name, why in choice.skipped.items())
    return f"{chosen.name}: {why}" + (f"; timed: {timed}" if timed else "") + (f"; not used: {untimed}" if untimed else "")
