"""Help everywhere, in the product's own words (issue 22 items 15-16): `sharpcam` alone lists the commands,
`sharpcam train|export|bench --help` work without the [train] extra, help and errors name `sharpcam ...`,
install advice fits the install, OpenCV's log lines stay off the terminal."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runtime import artifacts, cli
from runtime.cam import main as cam_main

ROOT = Path(__file__).resolve().parents[2]
# Runs sharpcam as on the base install: the [train] extra's modules cannot be imported.
WITHOUT_TRAIN = """
import importlib.abc, sys
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"torch", "scipy", "skimage", "PIL", "matplotlib", "onnx"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NotInstalled())
from runtime.cli import main
main(sys.argv[1:])
"""


def sharpcam_without_train(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", WITHOUT_TRAIN, *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_bare_sharpcam_lists_the_commands(capsys):
    cli.main([])  # no SystemExit: status 0
    out = capsys.readouterr().out
    assert all(name in out for name in cli.COMMANDS) and "usage: sharpcam" in out


@pytest.mark.parametrize("command", ["train", "export", "bench"])
def test_help_works_without_the_train_extra_and_running_says_what_it_needs(tmp_path, command):
    helped = sharpcam_without_train(tmp_path, command, "--help")
    assert helped.returncode == 0, helped.stderr
    assert f"usage: sharpcam {command}" in helped.stdout and "sharpcam[train]" in helped.stderr
    ran = sharpcam_without_train(tmp_path, command)
    assert ran.returncode == 2 and "sharpcam[train]" in ran.stderr and "Traceback" not in ran.stderr


def test_help_texts_name_sharpcam_and_every_window_key(capsys):
    with pytest.raises(SystemExit):
        cam_main(["--help"])
    text = capsys.readouterr().out
    assert "python -m" not in text and "sharpcam cam --strength" in text
    assert all(key in text for key in ("m mirror", "h help", "q or Esc"))
    with pytest.raises(SystemExit):
        cli.main(["mos", "--help"])
    assert capsys.readouterr().out.startswith("usage: sharpcam mos")


def test_a_camera_that_will_not_open_points_to_sharpcam_devices(capsys):
    with pytest.raises(SystemExit):
        cam_main(["--source", "/dev/video99", "--sink", "null", "--frames", "1"])
    err = capsys.readouterr().err
    assert "sharpcam devices" in err and "v4l2-ctl" not in err


def test_install_advice_fits_the_install(monkeypatch):
    from runtime.backends.tensorrt import TensorRTBackend
    from runtime.errors import SharpcamError
    from runtime.optional import available
    if available("tensorrt"):
        pytest.skip("TensorRT is installed here")
    monkeypatch.setattr(artifacts, "in_checkout", lambda: False)  # an installed wheel
    with pytest.raises(SharpcamError) as wheel:
        TensorRTBackend(Path("x.plan"))
    assert "pip install 'sharpcam[gpu]'" in str(wheel.value) and "-e" not in str(wheel.value)
    monkeypatch.setattr(artifacts, "in_checkout", lambda: True)
    with pytest.raises(SharpcamError) as checkout:
        TensorRTBackend(Path("x.plan"))
    assert "pip install -e '.[gpu]'" in str(checkout.value)


def test_opencv_log_lines_stay_off_the_terminal(tmp_path):
    probe = "from runtime.imaging import opencv; cv2 = opencv(); cv2.VideoCapture(9); print('ok')"  # no camera 9
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                          env={**{k: v for k, v in os.environ.items() if not k.startswith(("OPENCV", "QT_"))},
                               "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.stdout.strip() == "ok" and done.stderr == ""
