"""Keep libjpeg's chatter off the terminal while a camera runs, without hiding anything else.

USB cameras send MJPG; OpenCV's V4L2 capture decodes every frame with libjpeg, which prints "Corrupt JPEG
data: 3 extraneous bytes before marker 0xd9" straight to file descriptor 2 for frames that decode fine
(many cameras pad their frames). Python cannot catch a C library's writes, so while a camera is open fd 2
runs through a pipe: a small thread forwards every byte to the real stderr except whole lines from libjpeg's
warning table, which it counts instead (the count goes to --stats). Progress bars and errors pass at once;
only text that starts like a libjpeg warning waits for its line's end.
"""
from __future__ import annotations

import os
import re
import sys
import threading

# libjpeg's warnings (jerror.h: JWRN_*) that a working MJPG stream produces.
NOISE = re.compile(rb"^(Corrupt JPEG data: .*|Premature end of JPEG file|Invalid SOS parameters for sequential JPEG"
                   rb"|Warning: unknown JFIF revision number .*)\r?$")
_PREFIXES = (b"Corrupt JPEG data", b"Premature end of JPEG", b"Invalid SOS parameters", b"Warning: unknown JFIF")


def _could_be_noise(tail: bytes) -> bool:
    """Whether an unfinished line may still turn out to be a libjpeg warning (then it waits for its end)."""
    return any(p.startswith(tail[:len(p)]) for p in _PREFIXES)


class StderrFilter:
    """While open, fd 2's libjpeg warning lines are counted (`suppressed`) instead of shown. Idempotent
    close(); a context manager. Opening fails softly (no filter) where fd 2 cannot be redirected."""

    def __init__(self, noise: re.Pattern[bytes] = NOISE) -> None:
        self._noise, self.suppressed = noise, 0
        self._saved: int | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "StderrFilter":
        return self.open()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def open(self) -> "StderrFilter":
        if self._saved is not None:
            return self
        try:
            sys.stderr.flush()
            saved = os.dup(2)
            read_end, write_end = os.pipe()
        except OSError:
            return self  # no fd 2 to speak of (a detached service): nothing to filter
        os.dup2(write_end, 2)
        os.close(write_end)  # fd 2 is now the pipe's only writer: restoring fd 2 ends the pump
        self._saved = saved
        # The pump writes through its own copy of the terminal's fd, closed when it ends: close() may return
        # (a child process still holding the pipe) before the pump does, and must not pull the fd from under it.
        self._thread = threading.Thread(target=self._pump, args=(read_end, os.dup(saved)), name="stderr-filter",
                                        daemon=True)
        self._thread.start()
        return self

    def _pump(self, read_end: int, out: int) -> None:
        pending = b""
        try:
            while chunk := os.read(read_end, 65536):
                *lines, pending = (pending + chunk).split(b"\n")
                shown = [line + b"\n" for line in lines if not self._drop(line)]
                if pending and not _could_be_noise(pending):
                    shown.append(pending)  # a progress bar's "\r..." goes out now, not at the next newline
                    pending = b""
                if shown:
                    os.write(out, b"".join(shown))
            if pending and not self._drop(pending):
                os.write(out, pending)
        finally:
            os.close(read_end)
            os.close(out)

    def _drop(self, line: bytes) -> bool:
        if self._noise.match(line):
            self.suppressed += 1
            return True
        return False

    def close(self) -> None:
        if self._saved is None:
            return
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(self._saved, 2)  # the pipe loses its last writer: the pump reads to the end and stops
        if self._thread is not None:
            self._thread.join(timeout=5)
        os.close(self._saved)
        self._saved, self._thread = None, None
