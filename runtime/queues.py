"""A bounded queue that drops the oldest item instead of blocking: latency beats completeness in a call."""
from __future__ import annotations

import threading
from collections import deque
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class Closed(Exception):
    """Raised by get() once the queue is closed and empty."""


class DropOldestQueue(Generic[T]):
    """`lossless=True` makes put() wait for room instead (file-to-file jobs that must keep every frame)."""

    def __init__(self, maxsize: int = 1, lossless: bool = False, on_drop: Callable[[T], None] | None = None) -> None:
        """`on_drop(item)`: called (outside the lock) for each item dropped, e.g. to give back what it holds."""
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._items: deque[T] = deque()
        self._maxsize = maxsize
        self._lossless = lossless
        self._cond = threading.Condition()
        self._closed = False
        self._on_drop = on_drop
        self.dropped = 0

    def put(self, item: T) -> None:
        """When full: drop and count the oldest item, or (lossless) wait for room."""
        dropped = []
        with self._cond:
            if self._lossless:
                self._cond.wait_for(lambda: len(self._items) < self._maxsize or self._closed)
            if self._closed:
                dropped.append(item)
            else:
                if len(self._items) >= self._maxsize:
                    dropped.append(self._items.popleft())
                    self.dropped += 1
                self._items.append(item)
                self._cond.notify()
        if self._on_drop is not None:
            for old in dropped:
                self._on_drop(old)

    def drain(self) -> list[T]:
        """Take every item left (after close: what nobody will get)."""
        with self._cond:
            items, self._items = list(self._items), deque()
            self._cond.notify_all()
            return items

    def get(self, timeout: float | None = None) -> T:
        """The oldest item; raises Closed when closed and drained, TimeoutError on timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._items or self._closed, timeout):
                raise TimeoutError
            if self._items:
                item = self._items.popleft()
                self._cond.notify_all()  # a lossless producer may be waiting for room
                return item
            raise Closed

    def close(self) -> None:
        """Idempotent; items already queued can still be taken."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
