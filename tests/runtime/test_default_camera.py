"""`sharpcam cam` without --source (issue 22 item 17): the first real camera, never a v4l2loopback output,
and the built-in clip said in a sentence when there is no camera."""
from __future__ import annotations

from pathlib import Path

import pytest

from runtime import devices, sources
from runtime.cam import main as cam_main


def fake_sysfs(tmp_path: Path, nodes: list[tuple[str, bool]]) -> Path:
    """/sys/class/video4linux with (node, is_loopback) entries."""
    sysfs, real = tmp_path / "class", tmp_path / "devices"
    sysfs.mkdir(parents=True)
    for node, loopback in nodes:
        target = real / ("virtual/video4linux" if loopback else "pci0/usb1/video4linux") / node
        target.mkdir(parents=True)
        (target / "name").write_text(("Dummy video device" if loopback else "USB Camera") + "\n")
        (target / "index").write_text("0\n")
        (sysfs / node).symlink_to(target)
    return sysfs


@pytest.mark.skipif(not devices.sys.platform.startswith("linux"), reason="sysfs is Linux's")
def test_a_loopback_output_at_video0_is_never_taken_for_the_camera(tmp_path):
    only_loopback = fake_sysfs(tmp_path / "a", [("video0", True)])
    assert devices.default_camera(only_loopback, Path("/dev")) is None
    both = fake_sysfs(tmp_path / "b", [("video0", True), ("video2", False)])
    assert devices.default_camera(both, Path("/dev")) == "/dev/video2"


def test_no_camera_says_the_builtin_clip_is_used_in_a_sentence(monkeypatch, capsys):
    monkeypatch.setattr(devices, "default_camera", lambda *a, **k: None)
    cam_main(["--sink", "null", "--frames", "2", "--quiet"])
    err = capsys.readouterr().err
    assert "no camera found" in err and "built-in clip" in err and "--source" in err
    assert sources.default_spec() == "builtin"
