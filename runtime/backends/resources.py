"""One owner for GPU resources (buffers, streams, events): released in reverse order, each exactly once.

A constructor registers every resource the moment it exists, so a failure halfway frees what was made; and
release_all() runs every release even when one fails, so one bad free cannot leak the rest (as Polygraphy
does). It never raises: a cleanup that fails is reported, since there is nothing left for the caller to do.
"""
from __future__ import annotations

import sys
from typing import Callable, TypeVar

T = TypeVar("T")


class Resources:
    def __init__(self) -> None:
        self._releases: list[tuple[str, Callable[[], None]]] = []

    def own(self, resource: T, release: Callable[[T], None], what: str) -> T:
        """Register `release(resource)` and hand the resource back."""
        self._releases.append((what, lambda: release(resource)))
        return resource

    def release_all(self) -> list[str]:
        """Release everything still held, newest first; returns (and prints) the failures. Idempotent."""
        problems = []
        while self._releases:
            what, release = self._releases.pop()
            try:
                release()
            except Exception as err:  # noqa: BLE001 - keep freeing the rest; nothing to hand back to
                problems.append(f"could not release {what}: {err}")
        for problem in problems:
            print(f"warning: {problem}", file=sys.stderr)
        return problems

    def __len__(self) -> int:
        return len(self._releases)
