"""Adaptive load policies: scale the model's size, skip still frames, and the auto ladder's moves."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.backends.adaptive import AdaptiveBackend, AutoConfig


class Clock:
    """Simulated time: the stand-in engines advance it by what their work would take."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Brighten:
    """A stand-in engine: adds 10 levels, takes `seconds_per_megapixel` of simulated time (1.7x that on one
    thread: two cores help)."""
    one_thread_slowdown = 1.7

    def __init__(self, seconds_per_megapixel: float = 0.0, with_threads: bool = True) -> None:
        self.name, self.size, self.strength, self.clock = "brighten", None, 1.0, Clock()
        self.in_flight, self.multiple, self.compiles_per_size = 1, 1, False
        self.seconds_per_megapixel, self.calls, self.resets, self.sizes = seconds_per_megapixel, 0, 0, []
        self.threads = 0 if with_threads else None  # None: an engine whose thread count is fixed

    def submit(self, frame):
        self.calls += 1
        self.sizes.append(frame.shape[:2])
        slow = self.one_thread_slowdown if self.threads == 1 else 1.0
        self.clock.now += self.seconds_per_megapixel * slow * frame.shape[0] * frame.shape[1] / 1e6
        return np.clip(frame.astype(int) + 10, 0, 255).astype(np.uint8), {"infer": 0.0}

    def collect(self, handle):
        return handle

    def reset(self):
        self.resets += 1

    def close(self):
        pass


def _frame(value: int = 100, size=(96, 128)) -> np.ndarray:
    rng = np.random.default_rng(value)
    return rng.integers(0, 200, (*size, 3)).astype(np.uint8)


@pytest.mark.parametrize("policy,model_size", [("scale75", (72, 96)), ("scale50", (48, 64))])
def test_scale_policies_run_small_and_add_the_correction_at_full_size(policy, model_size):
    inner = Brighten()
    backend = AdaptiveBackend(inner, policy)
    frame = _frame()
    out, _ = backend.collect(backend.submit(frame))
    assert inner.sizes == [model_size] and out.shape == frame.shape
    # a flat +10 correction survives the scaling exactly; the frame's own detail is kept
    assert np.array_equal(out.astype(int), np.clip(frame.astype(int) + 10, 0, 255))


def test_skip_shows_the_last_output_again_while_the_scene_is_still():
    inner = Brighten()
    backend = AdaptiveBackend(inner, "skip")
    still = _frame()
    noisy = np.clip(still.astype(int) + np.random.default_rng(1).integers(-2, 3, still.shape), 0, 255).astype(np.uint8)
    first, _ = backend.submit(still)
    again, _ = backend.submit(noisy)  # sensor-like noise only: averaged out in the thumbnail
    assert inner.calls == 1 and again is first and backend.skipped == 1
    moved = np.roll(still, 9, axis=1)
    backend.submit(moved)
    assert inner.calls == 2 and "1 shown again" in backend.label
    backend.strength = 0.5  # a frame shown again must not keep the old strength
    backend.submit(moved)
    assert inner.calls == 3


def test_auto_steps_down_when_the_model_overruns_the_budget_and_back_up_when_it_fits():
    inner = Brighten(seconds_per_megapixel=0.4)  # 96x128 frame: ~5 ms on all cores, ~8 ms on one
    cfg = AutoConfig(window=3, min_seconds_between_moves=0.0)
    backend = AdaptiveBackend(inner, "auto", camera_fps=200.0, auto=cfg, clock=inner.clock)  # 4 of 5 ms
    assert backend.label == "auto:1 thread" and inner.threads == 1
    for _ in range(12):
        backend.submit(_frame())
    assert backend.level in ("scale75", "scale50") and inner.threads == 0 and inner.resets >= 2
    inner.seconds_per_megapixel = 0.0  # the CPU is free again: it climbs back to the cheapest rung
    for _ in range(20):
        backend.submit(_frame())
    assert backend.level == "1 thread" and inner.threads == 1


def test_auto_without_a_clock_or_thread_control_stays_put():
    inner = Brighten(seconds_per_megapixel=5.0, with_threads=False)
    backend = AdaptiveBackend(inner, "auto", camera_fps=30.0, realtime=False,
                              auto=AutoConfig(window=2, min_seconds_between_moves=0.0), clock=inner.clock)
    for _ in range(4):
        backend.submit(_frame())
    assert backend.label == "auto:full"  # a file converted frame by frame keeps every frame at full size
    fixed = AdaptiveBackend(Brighten(with_threads=False), "auto")
    assert fixed.level == "full"  # no `1 thread` rung for an engine that cannot change its threads


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="unknown load policy"):
        AdaptiveBackend(Brighten(), "fastest")


class Contended(Brighten):
    """All cores no faster than one: another app holds the second core."""
    one_thread_slowdown = 1.0


def test_auto_keeps_one_thread_for_smaller_sizes_when_all_cores_were_no_faster():
    inner = Contended(seconds_per_megapixel=0.5)  # 96x128: ~6 ms on any thread count, 4 ms allowed
    backend = AdaptiveBackend(inner, "auto", camera_fps=200.0, auto=AutoConfig(window=3, min_seconds_between_moves=0.0),
                              clock=inner.clock)
    for _ in range(12):
        backend.submit(_frame())
    assert backend.level in ("scale75", "scale50") and inner.threads == 1
    assert backend.label.endswith("(1 thread)")


def test_a_scaled_model_in_the_pipeline_reports_both_resizes_and_keeps_the_frame_size():
    from runtime.pipeline import Pipeline, PipelineConfig
    from runtime.sinks.base import NullSink
    from runtime.sources import BuiltinClip

    shapes = []

    class Collect(NullSink):
        def write(self, frame, original=None, status="", name=None):
            shapes.append(frame.shape)
            return True

    source = BuiltinClip((160, 120), seconds=0.1)
    summary = Pipeline(source, AdaptiveBackend(Brighten(), "scale50"), Collect(), PipelineConfig(print_every=0)).run()
    assert shapes == [(120, 160, 3)] * 3
    assert summary["stages"]["resize_in"]["n"] == summary["stages"]["resize_out"]["n"] == 3


def _family(seconds_per_megapixel: dict[str, float], cfg: AutoConfig, log=None, clock: Clock | None = None,
            realtime: bool = True):
    """An auto ladder over stand-in students on one simulated clock, started as --student auto would: the
    largest given on top, each student's probed time what it takes on a 96x128 frame on all cores."""
    from runtime.backends.adaptive import LadderStudent
    clock, engines = clock or Clock(), {}
    for name, spm in seconds_per_megapixel.items():
        engines[name] = Brighten(spm)
        engines[name].clock = clock
    ladder = [LadderStudent(name, engine, engine.seconds_per_megapixel * 96 * 128 / 1e6)
              for name, engine in engines.items()]
    backend = AdaptiveBackend(ladder[0].backend, "auto", camera_fps=200.0, auto=cfg, clock=clock,
                              log=log, students=ladder, realtime=realtime)  # 4 of 5 ms allowed
    return backend, engines


def _load(engines: dict, factor: float, base: dict[str, float]) -> None:
    """Another app takes the CPU: every student's time grows by `factor`."""
    for name, engine in engines.items():
        engine.seconds_per_megapixel = base[name] * factor


def test_auto_steps_down_through_the_students_before_the_sizes_and_back_up():
    base = {"webcam": 0.1, "medium": 0.3, "large": 0.9}  # 96x128: 1.2, 3.7 and 11 ms on all cores
    moves: list[str] = []
    backend, engines = _family(base, AutoConfig(window=3, min_seconds_between_moves=0.0), moves.append)
    assert backend.label == "auto:large" and backend.student == "large" and backend.inner is engines["large"]
    backend.strength = 0.5
    _load(engines, 4.0, base)  # the large student at 44 ms, the smallest at full size 4.9 ms: over 4 ms
    for _ in range(30):
        backend.submit(_frame())
    path = [line.split(" (")[0].removeprefix("load policy: ") for line in moves]  # "load policy: a -> b (...)"
    assert path == ["large -> medium", "medium -> webcam 1 thread", "webcam 1 thread -> webcam full",
                    "webcam full -> webcam scale75"]
    assert backend.label == "auto:webcam scale75" and engines["webcam"].strength == 0.5
    assert engines["medium"].resets >= 1 and engines["webcam"].resets >= 3  # each move starts a clean state
    assert engines["medium"].threads == 0 and engines["large"].threads == 0  # larger students on all cores
    _load(engines, 0.2, base)  # the CPU is free again: back up, the sizes first, then the students
    for _ in range(40):
        backend.submit(_frame())
    assert backend.student == "large" and backend.name == engines["large"].name
    path = [line.split(" (")[0].removeprefix("load policy: ") for line in moves[4:]]
    assert path == ["webcam scale75 -> webcam full", "webcam full -> webcam 1 thread", "webcam 1 thread -> medium",
                    "medium -> large"]


def test_auto_steps_up_to_a_student_only_when_its_probed_cost_fits_comfortably():
    base = {"webcam": 0.1, "medium": 0.3, "large": 0.9}
    backend, engines = _family(base, AutoConfig(window=3, min_seconds_between_moves=0.0))
    for _ in range(30):
        backend.submit(_frame())
    # medium fits 4 ms (3.7); large, 3x medium's probed time, would not fit the step-up share: it stays
    assert backend.student == "medium" and engines["large"].calls < 10


def test_auto_moves_between_students_at_most_once_a_second():
    base = {"webcam": 0.1, "medium": 0.3, "large": 0.9}
    moves: list[float] = []
    clock = Clock()
    backend, engines = _family(base, AutoConfig(window=3, min_seconds_between_moves=1.0),
                               lambda line: moves.append(clock.now), clock)
    _load(engines, 4.0, base)
    while clock.now < 3.5:
        backend.submit(_frame())
    assert len(moves) == 3 and all(b - a >= 1.0 for a, b in zip(moves, moves[1:]))


def test_a_file_converted_frame_by_frame_stays_on_the_largest_student():
    base = {"webcam": 0.1, "medium": 5.0}  # medium far over the budget: it would step down on a camera
    backend, engines = _family(base, AutoConfig(window=3, min_seconds_between_moves=0.0), realtime=False)
    assert backend.label == "auto:medium"
    for _ in range(10):
        backend.submit(_frame())
    assert backend.student == "medium" and engines["webcam"].calls == 0
