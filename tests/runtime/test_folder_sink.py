"""The image-folder sink: lossless PNGs, names kept from a folder source, atomic writes, early errors."""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

import runtime.cam as cam
import runtime.files as files
import runtime.session as session
from runtime.cam import cli as run
from runtime.cam import parse_args
from runtime.errors import SharpcamError
from runtime.sinks.folder import FolderSink
from runtime.sinks.factory import open_sink


def noise_frames(n: int, size: tuple[int, int] = (64, 48)) -> list[np.ndarray]:
    """Random pixels: any lossy step would change some of them."""
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8) for _ in range(n)]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_round_trip_is_lossless(tmp_path):
    frames = noise_frames(3)
    with open_sink(str(tmp_path / "out") + "/", (64, 48), 30) as sink:
        assert isinstance(sink, FolderSink) and sink.name == f"folder {tmp_path / 'out'}"
        for frame in frames:
            assert sink.write(frame, frame, "")
        assert sink.frames == 3
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["000000.png", "000001.png", "000002.png"]
    for name, frame in zip(names, frames):
        assert np.array_equal(cv2.imread(str(tmp_path / "out" / name), cv2.IMREAD_UNCHANGED), frame)


def test_an_existing_folder_is_a_folder_sink_without_the_slash(tmp_path):
    assert isinstance(open_sink(str(tmp_path), (64, 48), 30), FolderSink)


def test_named_frames_keep_their_stem_and_never_clash(tmp_path):
    sink = FolderSink(tmp_path)
    frame = noise_frames(1)[0]
    for name in ("a.jpg", "a.png", "../b.jpg", "c"):
        sink.write(frame, name=name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "a_1.png", "b.png", "c.png"]


def test_folder_source_names_carry_through_cam(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    names = ["b.jpg", "a.png", "c.png", "d.jpeg"]
    for name, frame in zip(names, noise_frames(len(names))):
        cv2.imwrite(str(src / name), frame)
    summary = run(parse_args(["--source", str(src), "--sink", str(out) + "/", "--quiet"]))
    assert summary["frames"] == len(names) and summary["dropped"] == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(n).stem + ".png" for n in names)
    for name in names:
        assert cv2.imread(str(out / (Path(name).stem + ".png"))).shape == cv2.imread(str(src / name)).shape
    assert leftovers(out) == []


def test_builtin_source_is_numbered_by_frame_index(tmp_path):
    out = tmp_path / "out"
    summary = run(parse_args(["--source", "builtin", "--frames", "5", "--sink", str(out) + os.sep, "--quiet"]))
    assert summary["frames"] == 5
    assert sorted(p.name for p in out.iterdir()) == [f"{i:06d}.png" for i in range(5)]
    assert cv2.imread(str(out / "000004.png")).shape == (480, 640, 3)


def test_a_file_in_the_way_fails_before_any_frame(tmp_path, monkeypatch, capsys):
    in_the_way = tmp_path / "out"
    in_the_way.write_text("not a folder")

    def no_pipeline(*args, **kwargs):
        raise AssertionError("the pipeline started although the sink cannot write")

    monkeypatch.setattr(session, "Pipeline", no_pipeline)
    with pytest.raises(SharpcamError, match="it is a file; remove it"):
        run(parse_args(["--source", "builtin", "--sink", str(in_the_way) + "/", "--quiet"]))
    with pytest.raises(SharpcamError, match="cannot write images into"):
        open_sink(str(in_the_way / "sub") + "/", (64, 48), 30)  # a file as a parent folder
    with pytest.raises(SystemExit) as exit_:  # main() reports it in one line, no traceback
        cam.main(["--source", "builtin", "--sink", str(in_the_way) + "/", "--quiet"])
    assert exit_.value.code == 2 and capsys.readouterr().err.splitlines()[-1].startswith(
        "error: cannot write images into")
    assert in_the_way.read_text() == "not a folder"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_fails_in_the_constructor(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(SharpcamError, match="give a folder you can write to"):
            FolderSink(folder)
    finally:
        folder.chmod(0o700)


def test_an_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    """Killed between writing and renaming: neither a final PNG nor a temporary file remains."""
    sink = FolderSink(tmp_path)
    frame = noise_frames(1)[0]
    sink.write(frame)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sink.write(frame)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["000000.png"] and sink.frames == 1
