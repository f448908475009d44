"""A time limit for one test, without pytest-timeout: SIGALRM raises in the test's (main) thread, so a test
that would hang fails instead, with the hanging call in its traceback. POSIX only; elsewhere no limit."""
from __future__ import annotations

import functools
import signal
from typing import Callable


class Hung(AssertionError):
    """The test ran past its deadline: what it exercises hangs."""


def deadline(seconds: float) -> Callable:
    def decorate(test: Callable) -> Callable:
        if not hasattr(signal, "SIGALRM"):
            return test

        @functools.wraps(test)
        def bounded(*args, **kwargs):
            def expire(_signum, _frame):
                raise Hung(f"{test.__name__} still running after {seconds} s: it hangs")
            previous = signal.signal(signal.SIGALRM, expire)
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                return test(*args, **kwargs)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        return bounded
    return decorate
