"""The drop-oldest queue between the pipeline's threads, and its drops in the status line."""
from __future__ import annotations

import threading
import time

import pytest

from runtime.queues import Closed, DropOldestQueue
from runtime.stats import LatencyStats


def test_drop_oldest_queue_drops_and_counts():
    q = DropOldestQueue(2)
    for i in range(5):
        q.put(i)
    assert q.dropped == 3 and [q.get(), q.get()] == [3, 4]
    q.close()
    with pytest.raises(Closed):
        q.get()
    q.close()  # idempotent


def test_lossless_queue_waits_for_room():
    q = DropOldestQueue(1, lossless=True)
    q.put(1)
    threading.Timer(0.2, q.get).start()
    start = time.perf_counter()
    q.put(2)
    assert time.perf_counter() - start > 0.1 and q.dropped == 0 and q.get() == 2


def test_drops_show_in_the_status_line_while_the_run_goes_on():
    """The count is read live from the queues, not copied in after the run (the overlay said 0 before)."""
    stats, q = LatencyStats(), DropOldestQueue(1)
    stats.watch_drops(q)
    for i in range(4):
        q.put(i)
    assert stats.summary()["dropped"] == 3 and "3 dropped" in stats.line()
