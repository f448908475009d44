"""Checks every bad-input test shares: an entry point refuses with one "error: ..." line, exit status 2, no
traceback, and within a time limit (in-process under tests/deadline.py's alarm, or in a child process for
inputs that could block inside C code, where an alarm cannot reach)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def one_error_line(err: str) -> str:
    assert "Traceback" not in err, err
    last = err.strip().splitlines()[-1] if err.strip() else ""
    assert last.startswith("error:") or "error:" in last, err
    return last


def refused(main, argv: list[str], capsys) -> str:
    """Run an entry point in-process that must refuse; return its error line."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    return one_error_line(err)


def refused_in_child(module: str, argv: list[str], timeout: float = 60, stdin=subprocess.DEVNULL) -> str:
    """`python -m module argv` must refuse within `timeout` seconds (a hang fails the test, it does not hang it)."""
    try:
        done = subprocess.run([sys.executable, "-m", module, *argv], cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout, stdin=stdin, env={**os.environ, "PYTHONPATH": str(ROOT)})
    except subprocess.TimeoutExpired as hung:
        raise AssertionError(f"python -m {module} {' '.join(argv)} still running after {timeout} s: it hangs") from hung
    assert done.returncode == 2, done.stderr
    return one_error_line(done.stderr)
