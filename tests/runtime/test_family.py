"""`--student auto`: the start-up probe on simulated timings (a fake backend per student on a simulated clock),
and the contract it writes into the reason and --stats."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from runtime.artifacts import FAMILY, graph_name
from runtime.backends.factory import Request
from runtime.backends.family import ProbeConfig, open_student
from runtime.errors import SharpcamError

S = FAMILY[0]  # the smallest of the family (the recurrent student)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Timed:
    """A stand-in student engine: each frame advances the shared simulated clock by its model time."""

    def __init__(self, name: str, seconds: float, clock: Clock) -> None:
        self.name, self.seconds, self.clock = f"fake ({name})", seconds, clock
        self.size, self.strength, self.threads, self.in_flight, self.multiple = None, 1.0, 0, 1, 1
        self.compiles_per_size, self.frames, self.resets, self.closed = False, 0, 0, False

    def submit(self, frame):
        self.frames += 1
        self.clock.now += self.seconds
        return frame, {"infer": self.seconds}

    def collect(self, handle):
        return handle

    def reset(self):
        self.resets += 1

    def close(self):
        self.closed = True


class Family:
    """Graph files for `ms`'s students in a folder (the others have none) and an opener that gives each a
    Timed engine taking that many ms per frame."""

    def __init__(self, folder: Path, ms: dict[str, float]) -> None:
        self.clock, self.ms, self.opened = Clock(), ms, {}
        for name in ms:
            (folder / graph_name(name)).write_bytes(b"a graph")
        self.request = Request((640, 480), student="auto", folder=folder)

    def open(self, req: Request):
        if req.student not in self.ms:
            raise SharpcamError(f"no model found for {req.student}")
        self.opened[req.student] = Timed(req.student, self.ms[req.student] / 1000, self.clock)
        return self.opened[req.student], "a stand-in"

    def choose(self, fps: float = 30.0, cfg: ProbeConfig = ProbeConfig()):
        return open_student(self.request, (640, 480), fps, cfg, opener=self.open, clock=self.clock)


def test_the_largest_student_that_fits_60_percent_of_the_budget_runs(tmp_path):
    family = Family(tmp_path, {S: 5.0, "medium": 15.0, "large": 40.0})  # 30 FPS: 20 ms allowed
    choice = family.choose()
    assert choice.auto and choice.chosen.name == "medium"
    assert [m.name for m in choice.members] == [S, "medium"]  # the smaller one kept for the ladder
    assert family.opened["large"].closed and not family.opened["medium"].closed
    stats = choice.stats()
    assert set(stats) == {"chosen", "reason", "budget_ms", "candidates_ms", "skipped"}
    assert stats["chosen"] == "medium" and stats["budget_ms"] == pytest.approx(33.33)
    assert stats["candidates_ms"] == pytest.approx({S: 5.0, "medium": 15.0, "large": 40.0})
    assert stats["reason"].startswith("medium: the largest whose model time fits 60% of the 33.3 ms frame "
                                      "budget (20.0 ms) at 640x480 on fake (medium)")
    assert f"{S} 5.0 ms, medium 15.0 ms, large 40.0 ms (over)" in stats["reason"]
    # each probed engine starts the stream with a clean temporal state
    assert all(engine.resets == 1 for engine in family.opened.values())


def test_the_budget_is_the_sources_frame_rate(tmp_path):
    family = Family(tmp_path, {S: 5.0, "medium": 15.0, "large": 40.0})
    assert family.choose(fps=10.0).chosen.name == "large"  # 60 ms allowed
    assert family.choose(fps=60.0).chosen.name == S  # 10 ms allowed


def test_when_even_the_smallest_does_not_fit_it_runs_and_no_larger_one_is_opened(tmp_path):
    family = Family(tmp_path, {S: 25.0, "medium": 80.0, "large": 300.0})
    choice = family.choose()
    assert choice.chosen.name == S and list(family.opened) == [S]
    assert f"{S}: the smallest; none fits 60% of the 33.3 ms frame budget" in choice.reason
    assert f"{S} 25.0 ms (over)" in choice.reason
    assert choice.skipped == {"medium": f"not timed, {S} was over", "large": f"not timed, {S} was over"}


def test_students_without_graphs_are_skipped_and_named(tmp_path):
    family = Family(tmp_path, {S: 5.0, "large": 12.0})
    choice = family.choose()
    assert choice.chosen.name == "large" and "medium" not in family.opened
    assert choice.skipped == {"medium": "no graphs"} and "not used: medium (no graphs)" in choice.reason
    assert [m.name for m in choice.members] == [S, "large"]


def test_the_probe_warms_up_then_takes_the_median_and_gives_up_early_on_a_slow_student(tmp_path):
    family = Family(tmp_path, {S: 5.0, "medium": 50.0, "large": 400.0})
    choice = family.choose(fps=10.0, cfg=ProbeConfig(warmup=2, frames=5, patience=0.3))  # 60 ms allowed
    assert family.opened[S].frames == family.opened["medium"].frames == 2 + 5
    # over on every frame: 400 ms of timing is past the 0.3 s patience after one timed frame
    assert family.opened["large"].frames == 2 + 1 and choice.chosen.name == "medium"
    (tmp_path / "two").mkdir()
    family = Family(tmp_path / "two", {S: 5.0, "medium": 25.0})
    family.choose(cfg=ProbeConfig(warmup=2, frames=5, patience=10.0))  # 20 ms allowed
    # more than half of 5 timed frames over settles it: 3 timed, not 5
    assert family.opened["medium"].frames == 2 + 3


def test_a_median_ignores_one_slow_frame(tmp_path, monkeypatch):
    family = Family(tmp_path, {S: 5.0, "medium": 15.0})
    original = Timed.submit

    def one_hiccup(self, frame):
        out = original(self, frame)
        if self.frames == 4:  # one timed frame of medium takes 100 ms more
            self.clock.now += 0.1
        return out

    monkeypatch.setattr(Timed, "submit", one_hiccup)
    choice = family.choose()
    assert choice.chosen.name == "medium" and choice.stats()["candidates_ms"]["medium"] == pytest.approx(15.0)


def test_a_pinned_student_or_a_named_model_is_opened_without_a_probe(tmp_path):
    family = Family(tmp_path, {S: 5.0, "medium": 15.0})
    pinned = open_student(Request((640, 480), student="medium", folder=tmp_path), (640, 480), 30.0,
                          opener=family.open, clock=family.clock)
    assert not pinned.auto and pinned.chosen.name == "medium" and family.opened["medium"].frames == 0
    model = tmp_path / graph_name(S)
    named = open_student(Request((640, 480), student="auto", folder=tmp_path, model=model), (640, 480), 30.0,
                         opener=family.open, clock=family.clock)
    assert not named.auto and list(family.opened) == ["medium", S] and family.opened[S].frames == 0


def test_one_student_found_runs_untimed_and_none_found_is_the_factorys_error(tmp_path):
    family = Family(tmp_path, {S: 5.0})
    choice = family.choose()
    assert choice.chosen.name == S and family.opened[S].frames == 0
    assert choice.reason.startswith(f"{S}: the only family student found")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SharpcamError, match="no model found"):
        open_student(Request((640, 480), student="auto", folder=empty), (640, 480), 30.0)


def test_the_probe_frame_has_the_sources_size(tmp_path, monkeypatch):
    family = Family(tmp_path, {S: 5.0, "medium": 15.0})
    shapes = []
    original = Timed.submit

    def record(self, frame: np.ndarray):
        shapes.append(frame.shape)
        return original(self, frame)

    monkeypatch.setattr(Timed, "submit", record)
    open_student(family.request, (320, 240), 30.0, opener=family.open, clock=family.clock)
    assert set(shapes) == {(240, 320, 3)}


def test_a_source_without_a_size_is_not_timed_and_gets_the_smallest(tmp_path):
    """An unreadable file reports 0x0: nothing to time on (OpenVINO cannot compile for it); the smallest opens
    as if pinned and the pipeline says what is wrong with the source."""
    family = Family(tmp_path, {S: 5.0, "medium": 15.0})
    choice = open_student(family.request, (0, 0), 30.0, opener=family.open, clock=family.clock)
    assert not choice.auto and choice.chosen.name == S and list(family.opened) == [S]
    assert family.opened[S].frames == 0


def test_a_gpu_engine_chosen_by_auto_runs_without_the_ladder_so_it_keeps_two_frames_in_flight(tmp_path):
    """The load policy finishes each frame in submit(): around a double-buffered engine it would undo the
    overlap and the lent pinned frames. A CPU student still gets the ladder."""
    from types import SimpleNamespace
    from runtime.backends.adaptive import AdaptiveBackend
    from runtime.session import SessionConfig, with_load_policy
    source, cfg = SimpleNamespace(fps=30.0, live=True), SessionConfig("builtin")
    for in_flight, wrapped in ((2, False), (1, True)):
        folder = tmp_path / str(in_flight)
        folder.mkdir()
        choice = Family(folder, {S: 5.0, "medium": 15.0}).choose()
        chosen = choice.chosen.backend
        chosen.size, chosen.in_flight = (640, 480), in_flight
        backend = with_load_policy(chosen, cfg, source, None, choice)
        assert isinstance(backend, AdaptiveBackend) == wrapped
        assert (backend is chosen) == (not wrapped)
