"""How every command-line entry point starts and ends: options checked at parse time, output paths checked
before the work, and a user's mistake ending in one line (results are written whole: runtime/files.py).

    def main(argv=None):
        args = parser.parse_args(argv)          # argparse types below: bad values stop here
        exit_on_user_error(lambda: run(args))   # SharpcamError / OSError -> "error: ...", exit status 2

Exit status 2 is argparse's for a bad command line; a bad file, folder or model is the same kind of mistake.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable, TypeVar

from runtime.artifacts import RESOLUTIONS
from runtime.errors import SharpcamError

T = TypeVar("T")
USER_ERROR = 2


def exit_on_user_error(work: Callable[[], T]) -> T:
    """Run `work`; a SharpcamError or an OSError (a path the user gave: missing, unwritable, a file in the
    way) ends the process with one line on stderr and exit status 2, never a traceback."""
    try:
        return work()
    except SharpcamError as err:
        _fail(str(err))
    except OSError as err:
        where = f" {err.filename}" if getattr(err, "filename", None) else ""
        _fail(f"{err.strerror or err}{':' if where else ''}{where}; check the path and its folder's permissions")
    raise AssertionError("unreachable")


def _fail(message: str) -> None:
    # One line even when a library's exception text (OpenVINO's, say) spans several: scripts read the last line.
    line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"error: {line}", file=sys.stderr, flush=True)
    sys.exit(USER_ERROR)


# argparse types: a bad value is refused before anything runs ------------------------------------------------
def int_at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from err
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, not {value}")
        return value
    return parse


def int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int_at_least(low)(text)
        if value > high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {value}")
        return value
    return parse


def _float_where(text: str, ok: Callable[[float], bool], wanted: str) -> float:
    try:
        value = float(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from err
    if not (ok(value) and value < float("inf")):  # NaN fails every comparison
        raise argparse.ArgumentTypeError(f"must be a finite number {wanted}, not {text}")
    return value


def positive_float(text: str) -> float:
    return _float_where(text, lambda v: v > 0, "above 0")


def non_negative_float(text: str) -> float:
    return _float_where(text, lambda v: v >= 0, "of at least 0")


def unit_float(text: str) -> float:
    """A share or weight from 0 to 1."""
    value = non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, not {text}")
    return value


MAX_FPS, MIN_FPS = 1000.0, 0.01  # past these a rate is a typo (time.sleep overflows, a frame per 3 hours)
MAX_SIDE = 8192  # pixels a side: above 8K no camera delivers and one frame would take gigabytes through the model


def frame_rate(text: str) -> float:
    """Frames per second a camera is asked for or a file is paced at."""
    value = positive_float(text)
    if not MIN_FPS <= value <= MAX_FPS:
        raise argparse.ArgumentTypeError(f"must be from {MIN_FPS:g} to {MAX_FPS:g} frames per second, not {text}")
    return value


def frame_size(text: str) -> tuple[int, int]:
    """WIDTHxHEIGHT, each side from 1 to MAX_SIDE."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError as err:
        raise argparse.ArgumentTypeError("size must look like 640x480") from err
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive, not {text}")
    if max(width, height) > MAX_SIDE:
        raise argparse.ArgumentTypeError(f"each side must be at most {MAX_SIDE} pixels, not {text}")
    return width, height


def non_empty(what: str) -> Callable[[str], str]:
    """argparse type: a name or path that is not empty or blank (an empty --sink used to mean the current folder)."""
    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{what} is empty; give a name or a path")
        return text
    return parse


def path_arg(what: str) -> Callable[[str], Path]:
    """argparse type: a path that is not empty (Path("") is the current folder) and has no NUL byte (which no
    file system allows; the OS call would raise ValueError)."""
    def parse(text: str) -> Path:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{what} is empty; give a path")
        if "\0" in text:
            raise argparse.ArgumentTypeError(f"{what} {text!r} holds a NUL byte; no file can have that name")
        return Path(text)
    return parse


def name_part(what: str) -> Callable[[str], str]:
    """argparse type: text added to a file name, so no folder separator (it would write elsewhere) and no NUL."""
    def parse(text: str) -> str:
        bad = [c for c in ("/", "\\", "\0") if c in text]
        if bad:
            raise argparse.ArgumentTypeError(f"{what} {text!r} must be part of a file name: no {bad[0]!r}")
        return text
    return parse


positive_int = int_at_least(1)
port = int_between(0, 65535)  # 0: any free port


def threads(text: str) -> int:
    """CPU threads: 0 (the library's choice) up to 4 per core; more only adds switching, or exhausts the OS."""
    return int_between(0, 4 * (os.cpu_count() or 1))(text)


def names_from(allowed, what: str = "name") -> Callable[[str], list[str]]:
    """argparse type: a comma-separated list of names from `allowed`."""
    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"unknown {what}(s) {', '.join(unknown) or repr(text)}; "
                                             f"choose from {', '.join(allowed)}")
        return names
    return parse


resolutions = names_from(RESOLUTIONS, "resolution")  # 480p,720p,1080p


# output paths ------------------------------------------------------------------------------------------------
def check_writable_file(path: Path, what: str = "output") -> Path:
    """Refuse, before any work, an output file that could not be written: a folder in its place, a file
    where its folder should be, a folder without write permission. Creates the missing folders."""
    path = Path(path)
    if path.is_dir():
        raise SharpcamError(f"{what} {path} is a folder; give a file name")
    check_not_special(path, what)
    check_writable_dir(path.parent, what)
    return path


def check_not_special(path: Path, what: str = "output") -> Path:
    """Refuse a FIFO, socket or device where a file is to be written: opening a FIFO without a reader blocks
    for ever, and an atomic write would rename its temporary file over the device node."""
    if path.exists() and not path.is_file() and not path.is_dir():
        raise SharpcamError(f"{what} {path} is not a regular file (a FIFO, socket or device); give a file name")
    return path


def check_writable_dir(folder: Path, what: str = "output") -> Path:
    folder = Path(folder)
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.is_dir():
            raise SharpcamError(f"{what} folder {folder}: {parent} is a file, not a folder; choose another path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SharpcamError(f"cannot create the {what} folder {folder} ({err.strerror}); choose another path") from err
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SharpcamError(f"cannot write into {folder} (permission denied); choose another {what} path")
    return folder
