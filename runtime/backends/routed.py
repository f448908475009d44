"""`--clean-source auto`: a clean, soft source runs the clean-blur student; everything else the camera student.

RoutedBackend holds two opened backends, the camera student (the load policy's wrapper around the family's
choice, as the session built it) and the clean-blur student (artifacts.CLEAN_STUDENT), and a Router
(runtime/route.py) that decides per stream, measuring every Nth frame. Each frame goes to one or the other
and is finished inside submit(), so the route may change between any two frames. Strength goes to both (the slider must not
jump when the route changes); a reset forgets both students' temporal state. When the route changes, the
student taking over is reset: its state is of frames it did not see.

The camera student may be one the clean student does not beat on clean frames (L): `routes()` is asked
each frame, so a load policy stepping L down to M starts routing, and back.

It wraps the load policies, not the other way round: the router must measure frames at their own size (a
frame a policy shrank to 50% has half the noise and would look clean). Each student then runs under a load
policy of its own (the session wraps the clean one as it wraps the camera one), which scales what it is given.

CleanPictures is the same choice for still pictures (`sharpcam sharpen`): per picture, no hold.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from runtime.artifacts import CLEAN_STUDENT
from runtime.backends.base import Backend, reset_temporal
from runtime.errors import SharpcamError
from runtime.route import Router, is_clean


class RoutedBackend:
    def __init__(self, camera: Backend, clean: Backend, router: Router | None = None,
                 routes: Callable[[], bool] = lambda: True) -> None:
        if clean.size is not None and tuple(clean.size) != tuple(camera.size or clean.size):
            raise ValueError(f"the clean student runs at {clean.size}, the camera student at {camera.size}")
        self.camera, self.clean = camera, clean
        self.router = router or Router()
        self.routes = routes  # False while the camera student is one that keeps clean frames (L)
        self.size = camera.size
        self.in_flight = 1  # each frame finished in submit(): the route may change between frames
        self.frames = {"camera": 0, "clean": 0}  # frames each student ran (a count, read live by --stats)
        self._active: Backend = camera

    # the Backend protocol ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._active.name

    @property
    def strength(self) -> float:
        return self.camera.strength

    @strength.setter
    def strength(self, value: float) -> None:
        self.camera.strength = value
        self.clean.strength = value

    @property
    def threads(self) -> int | None:
        return self.camera.threads

    @threads.setter
    def threads(self, value: int | None) -> None:
        self.camera.threads = value

    @property
    def multiple(self) -> int:
        return max(self.camera.multiple, self.clean.multiple)

    @property
    def compiles_per_size(self) -> bool:
        return self.camera.compiles_per_size or self.clean.compiles_per_size

    @property
    def student(self) -> str:
        """"clean" while the clean-blur student runs, else "camera"."""
        return "clean" if self._active is self.clean else "camera"

    def submit(self, frame_bgr: np.ndarray) -> Any:
        start = time.perf_counter()
        clean = self.routes() and self.router.clean_now(frame_bgr)
        decided = time.perf_counter() - start
        chosen = self.clean if clean else self.camera
        if chosen is not self._active:
            chosen.reset()  # its temporal state is of frames the other student ran
            self._active = chosen
        self.frames["clean" if clean else "camera"] += 1
        out, timings = chosen.collect(chosen.submit(frame_bgr))
        return out, {**timings, "route": decided} if self.router.measured else timings

    def collect(self, handle: Any) -> tuple[np.ndarray, dict[str, float]]:
        return handle

    def reset(self) -> None:
        self.camera.reset()
        self.clean.reset()

    def reset_temporal(self) -> None:
        """Each student's temporal state only, as each forgets it (base.reset_temporal)."""
        reset_temporal(self.camera)
        reset_temporal(self.clean)

    def state(self) -> dict:
        """For --stats: the decision, the last measurement and how many frames each student ran."""
        return {**self.router.state(), "running": self.student, "frames": dict(self.frames)}

    def close(self) -> None:
        try:
            self.camera.close()
        finally:
            self.clean.close()


class CleanPictures:
    """Per picture: the clean-blur student for a clean one (opened when first needed), else the one asked for."""

    def __init__(self, asked: Backend, open_clean: Callable[[], Backend], routes: bool) -> None:
        self.asked, self._open_clean, self.routes = asked, open_clean, routes
        self.clean: Backend | None = None
        self.count = 0  # pictures the clean-blur student ran

    def backend_for(self, bgr: np.ndarray) -> Backend:
        if not self.routes or not is_clean(bgr):
            return self.asked
        if self.clean is None:
            try:
                self.clean = self._open_clean()
            except SharpcamError as err:  # its graphs not found: every picture runs the student asked for
                print(f"note: clean pictures run the student asked for: the clean-blur student ({CLEAN_STUDENT}) "
                      f"did not open ({err})", file=sys.stderr)
                self.routes = False
                return self.asked
        self.clean.strength = self.asked.strength
        self.count += 1
        return self.clean
