"""libjpeg's warnings, written by C straight to fd 2, are counted instead of shown; everything else passes."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import os, sys
    import cv2, numpy as np
    from runtime.stderr_filter import StderrFilter
    ok, jpeg = cv2.imencode(".jpg", np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    padded = jpeg.tobytes()[:200] + bytes(3) + jpeg.tobytes()[200:]  # 3 stray bytes: libjpeg warns, decodes
    os.write(2, b"before\\n")
    with StderrFilter() as quiet:
        decoded = cv2.imdecode(np.frombuffer(padded, np.uint8), cv2.IMREAD_COLOR)
        os.write(2, b"an error a user must see\\n")
        sys.stderr.write("\\rprogress 50%")
        sys.stderr.flush()
        quiet.close()  # idempotent: the with block closes again
    os.write(2, b"\\nafter\\n")
    cv2.imdecode(np.frombuffer(padded, np.uint8), cv2.IMREAD_COLOR)  # filter closed: shown again
    print(decoded is not None, quiet.suppressed)
""")


def test_libjpeg_warnings_are_counted_and_everything_else_passes():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    decoded, suppressed = proc.stdout.split()
    assert decoded == "True" and int(suppressed) >= 1
    err = proc.stderr
    assert err.count("Corrupt JPEG data") == 1  # only the decode after close() printed it
    assert err.index("before") < err.index("an error a user must see") < err.index("progress 50%") < err.index("after")
    assert err.index("after") < err.index("Corrupt JPEG data")


def test_a_cameras_libjpeg_warnings_stay_off_the_terminal_and_are_counted_in_stats(tmp_path):
    """Through runtime.cam with a scripted camera (tests/fake_capture.py) whose frames make "libjpeg" write to
    fd 2, as a real MJPG camera's do (issue 22, item 16)."""
    import json
    import os
    config = {"script": [[64, 48, 12]], "pace": 0.01, "jpeg_noise": True}
    stats = tmp_path / "stats.json"
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "fake_capture.py"), json.dumps(config), "--",
                           "--source", "/dev/video99", "--backend", "onnxruntime", "--sink", str(tmp_path / "o.mp4"),
                           "--frames", "10", "--stats", str(stats), "-y"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert "Corrupt JPEG data" not in proc.stderr and "Corrupt JPEG data" not in proc.stdout
    assert json.loads(stats.read_text())["camera_jpeg_warnings"] >= 10
