"""Stopping runtime.cam from outside: Ctrl-C, SIGTERM (kill, systemd, docker stop, timeout) and SIGHUP (a
closed terminal) all end the run cleanly and leave a playable video. Real processes, started together."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMES, FPS = 40, 10  # paced: a 4-second run, stopped about a second in (OpenCV writes the file at the end)


def _frames_in(video: Path) -> int:
    cap, count = cv2.VideoCapture(str(video)), 0
    while cap.read()[0]:
        count += 1
    return count


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_sigterm_and_sighup_finalize_the_output_file(tmp_path):
    source = tmp_path / "frames"
    source.mkdir()
    for i in range(FRAMES):
        cv2.imwrite(str(source / f"{i:03d}.png"), np.full((120, 160, 3), 5 * i, np.uint8))
    runs = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        out = tmp_path / f"{sig.name}.mp4"
        cmd = [sys.executable, "-m", "runtime.cam", "--source", str(source), "--fps", str(FPS), "--pace",
               "--sink", str(out), "--quiet"]
        # A shell that starts jobs in the background makes them ignore SIGINT: restore what a terminal gives.
        proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)},
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        runs[sig] = (proc, out)
    for sig, (proc, out) in runs.items():  # the first line comes as the run starts; signal a second later
        assert proc.stderr.readline().startswith("source:")
    time.sleep(1.0)
    for sig, (proc, out) in runs.items():
        proc.send_signal(sig)
    for sig, (proc, out) in runs.items():
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 128 + sig.value, err  # a partial file: the status a shell gives a signalled job
        assert f"stopped ({sig.name})" in err, err
        assert 0 < _frames_in(out) < FRAMES, sig.name  # playable, and really cut short
