"""Models found by name, the `sharpcam` command, `sharpcam devices`, and cam end to end with a file's audio."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from runtime import artifacts, cli, devices
from runtime.cam import main as cam_main
from runtime.errors import SharpcamError
from runtime.artifacts import DEFAULT_STUDENT

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """A named folder and a user cache of our own; the checkout's engines/ stays where it is."""
    named, cache = tmp_path / "named", tmp_path / "cache"
    named.mkdir()
    monkeypatch.setenv(artifacts.ENV_FOLDER, str(named))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setattr(artifacts.sys, "platform", "linux")
    return named, cache / "sharpcam" / "engines"


def test_names_resolve_in_order_and_paths_still_work(folders, tmp_path):
    named, cache = folders
    assert artifacts.search_folders() == [named, artifacts.CHECKOUT_ENGINES, cache, artifacts.PACKAGED]
    assert artifacts.output_folder() == named  # what is built is found
    assert artifacts.find_graph(DEFAULT_STUDENT, "480p") == artifacts.CHECKOUT_ENGINES / "webcam_480p.onnx"
    (named / "webcam_480p.onnx").write_bytes(b"x")  # the user's folder comes first
    assert artifacts.resolve_model("webcam_480p") == named / "webcam_480p.onnx"
    cache.mkdir(parents=True)
    (cache / "webcam_480p.plan").write_bytes(b"x")
    assert artifacts.find_plan("webcam", "480p") == cache / "webcam_480p.plan"
    assert artifacts.resolve_model("webcam_480p.plan") == cache / "webcam_480p.plan"
    own = tmp_path / "mine.onnx"
    own.write_bytes(b"x")
    assert artifacts.resolve_model(str(own)) == own
    with pytest.raises(SharpcamError, match="no model named 'nothing'.*sharpcam export"):
        artifacts.resolve_model("nothing")
    with pytest.raises(SharpcamError, match="not found"):
        artifacts.resolve_model(str(tmp_path / "missing.onnx"))


def test_user_cache_follows_each_platform(monkeypatch, tmp_path):
    monkeypatch.delenv(artifacts.ENV_FOLDER, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(artifacts.sys, "platform", "linux")
    assert artifacts.user_cache() == tmp_path / "sharpcam" / "engines"
    monkeypatch.setattr(artifacts.sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert artifacts.user_cache() == tmp_path / "local" / "sharpcam" / "engines"
    monkeypatch.setattr(artifacts.sys, "platform", "darwin")
    assert artifacts.user_cache() == Path.home() / "Library" / "Caches" / "sharpcam" / "engines"


def test_the_wheel_packages_every_students_graphs_but_the_gpu_tiers_and_stays_small():
    assert set(artifacts.SHIPPED_STUDENTS) - set(artifacts.PACKAGED_STUDENTS) == {"large"}
    packaged = sorted(p.name for p in artifacts.CHECKOUT_ENGINES.iterdir() if artifacts.is_packaged(p.name))
    for res in ("480p", "720p", "1080p"):
        assert {artifacts.graph_name(DEFAULT_STUDENT, res), artifacts.graph_name(DEFAULT_STUDENT, res, True)} <= set(packaged)
    for student in artifacts.PACKAGED_STUDENTS:
        assert {artifacts.graph_name(student), artifacts.graph_name(student, "480p")} <= set(packaged)
    assert not any(n.startswith("large") for n in packaged)
    assert all(n.endswith(".onnx") for n in packaged)
    assert sum((artifacts.CHECKOUT_ENGINES / n).stat().st_size for n in packaged) < 4_500_000  # a small wheel: S, recurrent S, M, fast, seed


def test_version_and_help_list_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("sharpcam ")
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    assert all(f"  {name} " in text for name in cli.COMMANDS)


def test_train_without_torch_is_one_line_saying_which_extra():
    blocked = "import sys; sys.modules['torch'] = None\nfrom runtime.cli import main\nmain(['train'])"
    proc = subprocess.run([sys.executable, "-c", blocked], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2  # a user error: the one CLI ending (runtime/entry.py)
    assert proc.stderr.count("\n") == 1 and "pip install 'sharpcam[train]'" in proc.stderr, proc.stderr


def test_export_builds_into_the_folder_where_models_are_found(monkeypatch, folders):
    seen = {}

    class FakeExport:
        @staticmethod
        def main(argv):
            seen["argv"] = argv
            return 3  # export's status for "ONNX only, no TensorRT"

    monkeypatch.setattr(cli.importlib, "import_module", lambda name: FakeExport)
    assert cli.run("export", ["--students", "webcam"]) == 3
    assert seen["argv"] == ["--students", "webcam", "--out", str(folders[0])]
    cli.run("export", ["--out=x"])
    assert seen["argv"] == ["--out=x"]


def test_devices_reads_cameras_and_loopback_outputs_from_sysfs(tmp_path):
    sysfs, real = tmp_path / "class", tmp_path / "devices"
    sysfs.mkdir()
    for node, where, name, index in (("video0", "pci0/usb1/video4linux", "Integrated Camera", "0"),
                                     ("video1", "pci0/usb1/video4linux", "Integrated Camera", "1"),
                                     ("video10", "virtual/video4linux", "sharpcam", "0")):
        target = real / where / node
        target.mkdir(parents=True)
        (target / "name").write_text(name + "\n")
        (target / "index").write_text(index + "\n")
        (sysfs / node).symlink_to(target)
    cameras, outputs = devices.linux_devices(sysfs, Path("/dev"), probe_sizes=False)
    assert [(c.path, c.name) for c in cameras] == [("/dev/video0", "Integrated Camera")]
    assert [(o.path, o.name) for o in outputs] == [("/dev/video10", "sharpcam")]
    text = devices.report(cameras, outputs, linux=False)
    assert "/dev/video10" in text and "one producer at a time" in text


def test_cam_keeps_a_files_audio_and_its_exact_size_in_avi(tmp_path):
    from test_sinks_video import frames, make_clip
    source = tmp_path / "talk.mp4"
    make_clip(source, (320, 240), 15)
    cam_main(["--source", str(source), "--sink", str(tmp_path / "out.mp4"), "--quiet"])
    with av.open(str(tmp_path / "out.mp4")) as out:
        assert [s.type for s in out.streams] == ["video", "audio"]
        assert sum(1 for _ in out.decode(video=0)) == 15
    odd = tmp_path / "odd"
    odd.mkdir()
    for i, picture in enumerate(frames((641, 479), 3)):
        cv2.imwrite(str(odd / f"{i}.png"), picture)
    cam_main(["--source", str(odd), "--sink", str(tmp_path / "odd.avi"), "--quiet"])
    cap = cv2.VideoCapture(str(tmp_path / "odd.avi"))
    ok, picture = cap.read()
    cap.release()
    assert ok and picture.shape == (479, 641, 3)


def test_cam_and_sharpen_refuse_bad_flags_at_parse_time(tmp_path, capsys):
    for argv in (["--model", "nothing-by-this-name"], ["--engine", str(tmp_path / "x.plan")]):
        with pytest.raises(SystemExit) as exit_:
            cam_main(argv)
        assert exit_.value.code == 2
    assert "no model named 'nothing-by-this-name'" in capsys.readouterr().err
    assert np.__name__  # numpy is imported for the helpers above
