"""The app's one running session: runtime.cam's pipeline (runtime/session.py's open_session) on a thread of its
own, its frames into the hub the page's video tracks read, its controls and stats for the page.

A file or the built-in clip loops and plays at its frame rate (a camera paces itself), so the page shows a
live picture whatever the source, and the stats mean what they mean for `sharpcam cam`.
"""
from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from runtime.app.camera import BrowserCamera
from runtime.app.outputs import Outputs, png_bytes
from runtime.app.stream import FrameHub, HubSink
from runtime.backends.factory import Request
from runtime.controls import Controls
from runtime.errors import SharpcamError
from runtime.frames import Source
from runtime.low_light import DEFAULT_MODE as DEFAULT_LOW_LIGHT, MODES as LOW_LIGHT_MODES
from runtime.session import Log, Session, SessionConfig, open_session
from runtime.sources import default_spec, is_camera


@dataclass(frozen=True)
class LiveConfig:
    source: str | None = None  # runtime.cam's --source; None: camera 0 if present, else the built-in clip
    request: Request = field(default_factory=Request)  # student, backend, threads, strength, as `cam` takes them
    load_policy: str = "auto"
    low_light: str = DEFAULT_LOW_LIGHT  # runtime/low_light.py's MODES
    temporal: bool = True  # the model's temporal filter


def session_config(cfg: LiveConfig, opened: bool = False) -> SessionConfig:
    """`opened`: the caller brings the source (this browser's camera), a live one that paces itself."""
    spec = cfg.source or default_spec()
    live = opened or is_camera(spec)
    # sink "null" names none: LiveSession gives the session its HubSink (frames go to the page)
    return SessionConfig(spec, "null", cfg.request, loop=not live, pace=not live,
                         load_policy=cfg.load_policy, quiet=True, low_light=cfg.low_light, temporal=cfg.temporal)


@dataclass
class Run:
    """One source's session on its thread; the hub outlives it (the page's tracks keep reading)."""
    session: Session
    stack: ExitStack
    sink: HubSink
    thread: threading.Thread | None = None


class LiveSession:
    """Open with start(); use() puts another source in place of the running one (the page's source picker);
    stop() ends the run and closes everything the session opened."""

    def __init__(self, cfg: LiveConfig, hub: FrameHub, log: Log | None, outputs: Outputs | None = None) -> None:
        self.cfg, self.hub, self.log = cfg, hub, log
        self.outputs = outputs if outputs is not None else Outputs(Path.cwd())
        self._run: Run | None = None
        self._switching = threading.Lock()  # one source change at a time (two pages, a double click)
        self.error: BaseException | None = None  # what ended the run early, for the page and the log
        self._stopped = False  # after stop(), no source starts again (a browser camera ending on the way out)

    @property
    def session(self) -> Session | None:
        return None if self._run is None else self._run.session

    def start(self) -> Session:
        """Open the source, backend and controls (errors here are the user's: a missing file, a bad model),
        then run the pipeline on a thread."""
        return self.use(self.cfg.source)

    def use(self, spec: str | None, source: Source | None = None) -> Session:
        """Run on `spec` (a camera, file, folder, 'builtin'; None: the default), or on `source`, an opened one
        that `spec` labels. The strength carries over. If the new source cannot open, the previous one runs
        again and the error is raised (the page says it)."""
        with self._switching:
            return self._use(spec, source)

    def leave(self, source: Source) -> None:
        """`source` ended (the page's camera): the first source runs again, unless another was chosen since."""
        with self._switching:
            if self.session is not None and self.session.source is source and not self._stopped:
                self._use(self.cfg.source, None)

    def _use(self, spec: str | None, source: Source | None) -> Session:
        if self._stopped:
            raise SharpcamError("sharpcam app is stopping")
        previous = self.session
        strength = previous.controls.strength if previous else self.cfg.request.strength
        self._end_run()
        cfg = replace(self.cfg, source=spec, request=replace(self.cfg.request, strength=strength))
        try:
            run = self._open(cfg, source)
        except BaseException:
            if previous is not None and not isinstance(previous.source, BrowserCamera):
                self._start(self._open(replace(cfg, source=previous.cfg.source), None))
            raise
        self.error = None
        return self._start(run)

    def _start(self, run: Run) -> Session:
        self._run = run
        self.outputs.use_source(run.session.source.size, run.session.source.fps)
        run.thread = threading.Thread(target=self._play, args=(run,), name="app-session", daemon=True)
        run.thread.start()
        return run.session

    def _open(self, cfg: LiveConfig, source: Source | None) -> Run:
        stack = ExitStack()
        sink = HubSink(self.hub, self.outputs)  # the page's: the hub outlives this session, so it stays open
        try:
            session = stack.enter_context(open_session(session_config(cfg, source is not None), log=self.log,
                                                       source=source, sink=sink))
        except BaseException:
            stack.close()
            raise
        return Run(session, stack, sink)

    def _play(self, run: Run) -> None:
        try:
            run.session.run()
        except BaseException as err:  # noqa: BLE001 - the page and the log report it; the server keeps serving
            self.error = err
            if self.log is not None:
                self.log(f"error: the session stopped: {err}")

    def _end_run(self) -> None:
        run, self._run = self._run, None
        if run is None:
            return
        run.sink.stop()
        if isinstance(run.session.source, BrowserCamera):
            run.session.source.end()  # its read() waits for the browser's next frame: end the wait now
        if run.thread is not None:
            run.thread.join(timeout=10)
        run.stack.close()

    @property
    def running(self) -> bool:
        run = self._run
        return run is not None and run.thread is not None and run.thread.is_alive()

    def _controls(self) -> Controls:
        session = self.session
        if session is None:  # between one source's session and the next
            raise SharpcamError("the source is changing; try again in a moment")
        return session.controls

    def set_strength(self, value: float) -> float:
        """The slider: the pipeline applies it before its next frame (runtime/pipeline.py's _apply_controls)."""
        if not 0.0 <= value <= 1.0:
            raise SharpcamError(f"strength must be from 0 to 1, not {value}")
        self._controls().strength = value
        return value

    def set_low_light(self, mode: str) -> str:
        """The low-light toggle: the pipeline switches before its next frame; the next source keeps it."""
        if mode not in LOW_LIGHT_MODES:
            raise SharpcamError(f"low light must be one of {', '.join(LOW_LIGHT_MODES)}, not {mode!r}")
        self.cfg = replace(self.cfg, low_light=mode)
        self._controls().low_light = mode
        return mode

    def set_temporal(self, on: bool) -> bool:
        """The temporal toggle: off resets the model's state before every frame, from the next one."""
        self.cfg = replace(self.cfg, temporal=on)
        self._controls().temporal = on
        return on

    def still_png(self) -> bytes:
        """The latest before | after, lossless (the page's still on pause: no codec between the pixels and
        the eye); the same picture the video's last frame showed, or a frame newer."""
        run = self._run
        picture = None if run is None else run.sink.still()
        if picture is None:
            raise SharpcamError("no frame yet: wait for the picture, then pause")
        return png_bytes(picture)

    def state(self) -> dict:
        """What the page shows: strength (asked, and as the backend applies it), the stats summary (fps,
        dropped, per-stage p50/p95), the backend, the source."""
        s = self.session
        if s is None:  # the source is changing: the page keeps showing what it had
            return {"switching": True, "running": False, "error": None if self.error is None else str(self.error)}
        out = {"strength": s.controls.strength, "applied_strength": s.backend.strength, "running": self.running,
               "temporal": s.controls.temporal,
               "backend_name": s.backend.name,
               "error": None if self.error is None else str(self.error),
               "size": list(s.source.size), "stats": s.stats.summary(), **s.description()}
        out["outputs"] = self.outputs.state()
        if isinstance(s.source, BrowserCamera):
            out["camera"] = {"received": s.source.received, "taken": s.source.taken}
        return out

    def stop(self) -> None:
        with self._switching:
            self._stopped = True
            self._end_run()
        self.outputs.stop_all()
        self.hub.close_threadsafe()
