"""The app's one running session: runtime.cam's pipeline (runtime/session.py's open_session) on a thread of its
own, its frames into the hub the page's video tracks read, its controls and stats for the page.

A file or the built-in clip loops and plays at its frame rate (a camera paces itself), so the page shows a
live picture whatever the source, and the stats mean what they mean for `sharpcam cam`.
"""
from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import dataclass, field

from runtime.backends.factory import Request
from runtime.app.stream import FrameHub, HubSink
from runtime.errors import SharpcamError
from runtime.session import Log, Session, SessionConfig, open_session
from runtime.sources import default_spec


@dataclass(frozen=True)
class LiveConfig:
    source: str | None = None  # runtime.cam's --source; None: camera 0 if present, else the built-in clip
    request: Request = field(default_factory=Request)  # student, backend, threads, strength, as `cam` takes them
    load_policy: str = "auto"


def session_config(cfg: LiveConfig) -> SessionConfig:
    spec = cfg.source or default_spec()
    is_camera = spec.isdigit() or spec.startswith("/dev/")
    # sink "null": the session builder opens sinks by name; LiveSession puts its HubSink in that place
    return SessionConfig(spec, "null", cfg.request, loop=not is_camera, pace=not is_camera,
                         load_policy=cfg.load_policy, quiet=True)


class LiveSession:
    """Open with start(); stop() ends the run and closes everything the session opened."""

    def __init__(self, cfg: LiveConfig, hub: FrameHub, log: Log | None) -> None:
        self.cfg, self.hub, self.log = cfg, hub, log
        self.session: Session | None = None
        self._stack = ExitStack()
        self._sink = HubSink(hub)
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None  # what ended the run early, for the page and the log

    def start(self) -> Session:
        """Open the source, backend and controls (errors here are the user's: a missing file, a bad model),
        then run the pipeline on a thread."""
        self.session = self._stack.enter_context(open_session(session_config(self.cfg), log=self.log))
        self.session.sink = self._sink  # the hook the builder lacks: frames go to the page, not a named sink
        self._thread = threading.Thread(target=self._run, name="app-session", daemon=True)
        self._thread.start()
        return self.session

    def _run(self) -> None:
        try:
            self.session.run()
        except BaseException as err:  # noqa: BLE001 - the page and the log report it; the server keeps serving
            self.error = err
            if self.log is not None:
                self.log(f"error: the session stopped: {err}")
        finally:
            self._sink.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def set_strength(self, value: float) -> float:
        """The slider: the pipeline applies it before its next frame (runtime/pipeline.py's _apply_controls)."""
        if not 0.0 <= value <= 1.0:
            raise SharpcamError(f"strength must be from 0 to 1, not {value}")
        self.session.controls.strength = value
        return value

    def state(self) -> dict:
        """What the page shows: strength (asked, and as the backend applies it), the stats summary (fps,
        dropped, per-stage p50/p95), the backend."""
        s = self.session
        return {"strength": s.controls.strength, "applied_strength": s.backend.strength, "running": self.running,
                "backend_name": s.backend.name,
                "error": None if self.error is None else str(self.error),
                "size": list(s.source.size), "stats": s.stats.summary(), **s.description()}

    def stop(self) -> None:
        self._sink.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._stack.close()
