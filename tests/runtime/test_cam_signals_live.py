"""Signals at the awkward moments, in real processes with a scripted camera (tests/fake_capture.py): while
the model loads, a second one while the output file is being finished, and with a camera whose read never
returns. Each ends with exit status 0, no traceback, and a playable file where one was being written."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "tests" / "fake_capture.py"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def start(config: dict, *argv: str) -> subprocess.Popen:
    # A shell that starts jobs in the background makes them ignore SIGINT: restore what a terminal gives.
    return subprocess.Popen([sys.executable, str(FAKE), json.dumps(config), "--", "--source", "/dev/video99",
                             "--backend", "onnxruntime", *argv], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def wait_for(proc: subprocess.Popen, marker: str) -> list[str]:
    lines = []
    while not (lines and lines[-1].startswith(marker)):
        line = proc.stderr.readline()
        assert line, f"ended before {marker!r}: {''.join(lines)}"
        lines.append(line)
    return lines


def finished_cleanly(proc: subprocess.Popen, seen: list[str]) -> str:
    _, rest = proc.communicate(timeout=30)
    err = "".join(seen) + rest
    assert proc.returncode == 0 and "Traceback" not in err, err
    return err


def frames_in(video: Path) -> int:
    with av.open(str(video)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_while_the_model_loads_stops_cleanly(tmp_path, sig):
    proc = start({"script": [[64, 48, 1000]], "pace": 0.03, "slow_load": 5}, "--sink", str(tmp_path / "o.mp4"))
    seen = wait_for(proc, "fake: loading the model")
    proc.send_signal(sig)
    assert f"stopped ({sig.name}) while starting" in finished_cleanly(proc, seen)


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM])
def test_a_second_signal_does_not_interrupt_finishing_the_file(tmp_path, second):
    out = tmp_path / "call.mp4"
    # signalled once a frame is in the file: on a loaded machine the model's loading (and auto's probe) can
    # take longer than any fixed wait, and a signal while starting leaves no file to finish
    proc = start({"script": [[64, 48, 1000]], "pace": 0.03, "slow_close": 2, "mark_first_write": True},
                 "--sink", str(out), "--quiet")
    seen = wait_for(proc, "fake: first frame written")
    proc.send_signal(signal.SIGINT)
    seen += wait_for(proc, "fake: finalising the file")
    for _ in range(3):
        proc.send_signal(second)
        time.sleep(0.1)
    err = finished_cleanly(proc, seen)
    assert "stopped (SIGINT)" in err and "finishing the output" in err
    assert frames_in(out) > 0


def test_sigterm_stops_promptly_while_the_camera_read_never_returns(tmp_path):
    proc = start({"script": [[64, 48, 5], ["stall", None]]}, "--sink", str(tmp_path / "o.mp4"))
    seen = wait_for(proc, "camera stalled")
    signalled = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    err = finished_cleanly(proc, seen)
    assert time.perf_counter() - signalled < 5 and "stopped (SIGTERM)" in err
