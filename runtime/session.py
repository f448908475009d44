"""One run of the frame path, opened in one place: source -> pipeline -> backend -> sink.

runtime.cam (and through it benchmarks/soak.py, which runs runtime.cam) and benchmarks/worker.py open their
runs here: the source (looped if asked), the backend (runtime/backends/factory.py, unless the caller brings
one it measures), the load-policy wrapper, the sink (with a progress bar for a file job on a terminal), the
user's controls, the pipeline's configuration and the latency stats. Everything opened is closed in reverse
order when the `with` ends: the sink first (finalizing its file), then the backend, then the source.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from runtime.artifacts import CLEAN_STUDENT, ROUTED_STUDENTS
from runtime.backends.adaptive import AdaptiveBackend, LadderStudent
from runtime.backends.base import Backend
from runtime.backends.factory import Request, headline, open_backend
from runtime.backends.family import Opener, StudentChoice, open_student
from runtime.backends.routed import RoutedBackend
from runtime.controls import Controls
from runtime.errors import SharpcamError
from runtime.frames import Source
from runtime.low_light import DEFAULT_MODE as DEFAULT_LOW_LIGHT, low_light_step
from runtime.pipeline import Pipeline, PipelineConfig
from runtime.scene_cut import SceneCuts
from runtime.still_regions import DEFAULT_STILL_AVERAGE, still_average_step
from runtime.sinks.base import Sink, SinkOptions
from runtime.sinks.factory import open_sink
from runtime.sinks.folder import FolderSink
from runtime.sinks.progress import ProgressSink, duration_text, unwrapped, with_progress
from runtime.sinks.video import FileSink
from runtime.sources import Looping, open_source
from runtime.stats import LatencyStats

ANY_SIZE_POLICIES = ("scale75", "scale50", "skip")  # they run the model at other sizes than the frame's

Log = Callable[[str], None]


def to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class SessionConfig:
    source: str  # a camera index or /dev/videoN, a video file, an image folder, or "builtin"
    sink: str = "null"  # runtime/sinks/factory.py's SINK_HELP
    backend: Request = field(default_factory=Request)  # its size is the source's, filled in when it opens
    camera_size: tuple[int, int] | None = None  # what to ask a camera for (None: its own)
    camera_fps: float | None = None
    loop: bool = False  # play a finite source again and again
    load_policy: str | None = "auto"  # runtime/backends/adaptive.py's POLICIES; None: the backend as it is
    sink_options: SinkOptions = field(default_factory=SinkOptions)
    frames: int | None = None  # stop after this many
    pace: bool = False  # play files at their frame rate, dropping late frames
    quiet: bool = False  # no periodic status lines, no load-policy moves, no progress bar
    low_light: str = DEFAULT_LOW_LIGHT  # runtime/low_light.py's MODES: brighten underexposed frames first
    temporal: bool = True  # the model's temporal filter (off: a reset state every frame)
    clean_source: str = "auto"  # runtime/route.py's MODES: a clean, soft source runs the clean-blur student
    cut_reset: bool = True  # reset the temporal state at a scene cut (runtime/scene_cut.py)
    still_average: str = DEFAULT_STILL_AVERAGE  # runtime/still_regions.py's MODES: average still regions


@dataclass
class Session:
    cfg: SessionConfig
    source: Source
    backend: Backend
    why: str  # which backend, and why (the factory's sentence)
    sink: Sink
    controls: Controls
    pipeline: PipelineConfig
    stats: LatencyStats
    log: Log | None
    student: StudentChoice | None = None  # what --student auto chose and why (None: a backend given)
    # the layers wrapped around the model, kept as they were built (None where there is none): the load
    # policy (around the camera student, inside the route) and the clean-source route
    policy: AdaptiveBackend | None = None
    route: RoutedBackend | None = None

    def run(self) -> dict:
        """Frames through until the source ends, cfg.frames, the sink says stop, or an interrupt (Ctrl-C, or
        SIGTERM/SIGHUP under runtime.cam's main()). Returns the latency summary, with `stopped` naming the
        interrupt if there was one."""
        pipeline = Pipeline(self.source, self.backend, self.sink, self.pipeline, self.stats)
        try:
            summary = pipeline.run()
        except KeyboardInterrupt as interrupt:  # re-raised by run() after its threads stopped
            summary = self.stats.summary()
            summary["stopped"] = str(interrupt) or "SIGINT"
            # a source with an end that did not reach it: what was written is only part of it
            summary["partial"] = not (self.source.live or self.cfg.loop)
        if self.source.decoder_warnings:  # a camera's MJPG frames: libjpeg's warnings, kept quiet
            summary["camera_jpeg_warnings"] = self.source.decoder_warnings
        if isinstance(self.sink, ProgressSink):
            self.sink.close_bar()  # the lines below go under the bar, not into it
        if "stopped" in summary:
            self._say(f"stopped ({summary['stopped']})")
        self._say(self.stats.line())
        if summary["frames"] == 0 and "stopped" not in summary:
            raise SharpcamError(f"{self.cfg.source} gave no frames; is it a readable video, image folder or camera?")
        return summary

    def description(self) -> dict:
        """What ran, for a --stats file: the backend's sentence, source, sink and the load policy's outcome."""
        out = {"backend": self.why, "source": self.cfg.source, "sink": self.cfg.sink}
        policy = self.policy
        if policy is not None:
            out.update(load_policy=policy.label, skipped=policy.skipped)
        if self.student is not None and self.student.auto:
            running = policy.student if policy is not None else ""
            out["student"] = {**self.student.stats(), "running": running or self.student.chosen.name}
        step = self.pipeline.low_light
        out["low_light"] = step.state() if step is not None else {"mode": "off"}
        out["clean_source"] = self.route.state() if self.route is not None else {"mode": "off"}
        out["temporal"] = self.controls.temporal
        cuts = self.pipeline.scene_cuts
        out["scene_cuts"] = cuts.cuts if cuts is not None else "off"
        still = self.pipeline.still_average
        out["still_average"] = still.state() if still is not None else {"mode": "off"}
        return out

    def written(self) -> str | None:
        """`wrote PATH (N frames, duration)` for a sink that writes files; None for the others."""
        sink = unwrapped(self.sink)
        if isinstance(sink, FileSink):
            return f"wrote {sink.path} ({sink.frames} frames, {duration_text(sink.duration)})"
        if isinstance(sink, FolderSink):
            return f"wrote {sink.folder}{os.sep} ({sink.frames} PNGs)"
        return None

    def _say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)


@contextmanager
def open_session(cfg: SessionConfig, backend: Backend | None = None, log: Log | None = to_stderr,
                 source: Source | None = None, sink: Sink | None = None) -> Iterator[Session]:
    """Open everything a run needs; `backend`: one the caller opened and keeps (a benchmark measuring it),
    else the factory's choice for the source's size. `log`: where the session's notes go (None: nowhere).
    `source`: one the caller opened (the app's browser camera, which no spec names; cfg.source is its label),
    closed with the session; None: cfg.source opened here. `sink`: one the caller opened and keeps (the app's
    page, which outlives a session), in place of cfg.sink; None: cfg.sink opened here and closed with it."""
    with ExitStack() as stack:
        if source is None:
            source = open_looping_source(cfg) if cfg.loop else open_source(cfg.source, cfg.camera_size,
                                                                           cfg.camera_fps)
        stack.callback(source.close)
        student = None
        if backend is None:
            # a policy that changes the model's size needs a backend that takes any size (not a fixed graph)
            any_size = cfg.load_policy in ANY_SIZE_POLICIES
            request = replace(cfg.backend, size=None if any_size else source.size)
            student = open_student(request, source.size, source.fps, opener=open_backend)
            stack.callback(student.close)
            backend, why = student.chosen.backend, student.chosen.why
        else:
            why = f"{backend.name}, as given"
        if log is not None:
            log(f"source: {cfg.source} {source.size[0]}x{source.size[1]} @ {source.fps:.0f} fps; "
                f"backend: {headline(backend, why)}")
            if student is not None and student.auto:
                log(f"student: {student.reason}")
            for note in ignored_requests(cfg):
                log(note)
            if backend.size and tuple(backend.size) != tuple(source.size):
                log(f"note: the model runs at {backend.size[0]}x{backend.size[1]}; frames are resized in and out")
        backend = with_load_policy(backend, cfg, source, None if cfg.quiet else log, student)
        policy = backend if isinstance(backend, AdaptiveBackend) else None
        if student is not None:
            backend = with_clean_route(backend, cfg, student, request, log, source)
        route = backend if isinstance(backend, RoutedBackend) else None
        if route is not None:
            stack.callback(route.clean.close)  # the camera students are closed with the others above
        controls = Controls(strength=backend.strength, low_light=cfg.low_light, temporal=cfg.temporal)
        if sink is None:
            sink = stack.enter_context(with_progress(
                open_sink(cfg.sink, source.size, source.fps, controls=controls, options=cfg.sink_options),
                progress_total(cfg, source)))
        pipeline = PipelineConfig(max_frames=cfg.frames, pace=cfg.pace,
                                  print_every=0 if cfg.quiet or isinstance(sink, ProgressSink) else 2.0,
                                  in_flight=backend.in_flight, controls=controls,
                                  low_light=low_light_step(cfg.low_light, source.fps),
                                  scene_cuts=SceneCuts() if cfg.cut_reset else None,
                                  still_average=still_average_step(cfg.still_average, backend.in_flight))
        stats = LatencyStats()
        if pipeline.low_light is not None:
            stats.describe("low light", pipeline.low_light.label)
        if policy is not None:
            stats.describe("policy", lambda: policy.label)
        if route is not None:
            stats.describe("source", lambda: "clean" if route.student == "clean" else "camera")
        yield Session(cfg, source, backend, why, sink, controls, pipeline, stats, log, student, policy, route)


def open_looping_source(cfg: SessionConfig) -> Looping:
    return Looping(lambda: open_source(cfg.source, cfg.camera_size, cfg.camera_fps))


def with_load_policy(backend: Backend, cfg: SessionConfig, source: Source, log: Log | None,
                     student: StudentChoice | None = None) -> Backend:
    """The load policy around a backend that takes any frame size, or (auto) around the students --student
    auto opened, smallest first; a lone fixed-size one runs as it is (and refuses a policy other than auto
    or full, which it cannot follow)."""
    if cfg.load_policy is None:
        return backend
    # A double-buffered GPU engine (frames in flight) runs as it is: the policy finishes each frame inside
    # submit(), which would undo the upload/compute overlap and the lent pinned frames, and a GPU's model
    # time is far inside the budget that the ladder's smaller students are for.
    ladder = [LadderStudent(m.name, m.backend, m.seconds) for m in student.members] \
        if cfg.load_policy == "auto" and student is not None and len(student.members) > 1 \
        and backend.in_flight == 1 else []
    if backend.size is None or ladder:
        return AdaptiveBackend(ladder[0].backend if ladder else backend, cfg.load_policy, source.fps,
                               realtime=source.live or cfg.pace, log=log, students=ladder)
    if cfg.load_policy not in ("auto", "full"):
        raise SharpcamError(f"--load-policy {cfg.load_policy} needs a backend that takes any frame size; "
                            f"{backend.name} is built for {backend.size[0]}x{backend.size[1]}")
    return backend


def with_clean_route(backend: Backend, cfg: SessionConfig, student: StudentChoice, request: Request,
                     log: Log | None, source: Source | None = None, opener: Opener = open_backend) -> Backend:
    """The clean-blur student beside the camera student (runtime/backends/routed.py) where it can help: asked
    for (--clean-source auto), a camera student it beats on clean frames among those that may run, no engine
    or model file pinned, and frames finished one at a time (a double-buffered GPU engine keeps its overlap).
    `request`: what the students were opened with; the clean one opens the same way and, given the `source`,
    runs under a load policy of its own (the route measures frames first, at their own size)."""
    names = [m.name for m in student.members]
    if cfg.clean_source != "auto" or cfg.backend.engine is not None or cfg.backend.model is not None \
            or backend.in_flight != 1 or not set(names) & set(ROUTED_STUDENTS):
        return backend
    try:
        clean, _ = opener(replace(request, student=CLEAN_STUDENT))
    except SharpcamError as err:
        if log is not None:
            log(f"note: --clean-source auto is off for this run; the clean-blur {CLEAN_STUDENT} did not open "
                f"({err})")
        return backend
    if source is not None:
        clean = with_load_policy(clean, cfg, source, None if cfg.quiet else log)
    if isinstance(backend, AdaptiveBackend) and len(backend.students) > 1:
        ladder = backend
        routes = lambda: ladder.student in ROUTED_STUDENTS  # noqa: E731 - the ladder may move to L and back
    else:
        routes = lambda: student.chosen.name in ROUTED_STUDENTS  # noqa: E731
    if log is not None:
        log(f"clean source: auto (a source without noise or codec blocks runs {CLEAN_STUDENT}, which sharpens "
            f"clean blur more; --clean-source off keeps {student.chosen.name})")
    return RoutedBackend(backend, clean, routes=routes)


def progress_total(cfg: SessionConfig, source: Source) -> int | None:
    """A file job's length for its progress bar (which replaces the periodic status lines on a terminal);
    None for a camera, an endless loop, or when asked to be quiet."""
    known = [n for n in (source.frame_count, cfg.frames) if n]
    return None if cfg.quiet or source.live or not known else min(known)


def ignored_requests(cfg: SessionConfig) -> list[str]:
    """--size and --fps ask a camera; a video file keeps its own (and a folder its images' size)."""
    path = Path(cfg.source)
    asked = {"--size": cfg.camera_size is not None and (path.is_file() or path.is_dir()),
             "--fps": cfg.camera_fps is not None and path.is_file()}
    what = "a video file" if path.is_file() else "an image folder"
    return [f"note: {flag} is ignored: it asks a camera for a mode; {what} is read as it is" for flag, on in
            asked.items() if on]


def source_audio(spec: str) -> Path | None:
    """The file whose audio track a video sink keeps: the source itself when it is a file."""
    return Path(spec) if Path(spec).is_file() else None
