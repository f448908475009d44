"""Every command's files and paths fed bad contents (issue 23's battery): missing, a folder, empty, text named
as a video, graph, engine or checkpoint, truncated, foreign, of another format version, a FIFO, a name past
NAME_MAX. Each case ends in one "error: ..." line and exit status 2, or (where the input is odd but valid) in a
verified output; in-process, each within a time limit. The files: tests/bad_files.py."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from bad_files import make_bad_files, run_main
from deadline import deadline
from refusals import refused


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    return make_bad_files(tmp_path_factory.mktemp("bad_files"))


# runtime.cam: --source, --model, --engine, --stats, --sink ------------------------------------------------------
CAM = ["--sink", "null", "--frames", "3", "--quiet"]
CAM_BUILTIN = ["--source", "builtin", *CAM]
CAM_CASES = {
    "source missing": (["--source", "{f}/missing.mp4", *CAM], "no such video file"),
    "source a zero-byte mp4": (["--source", "{f}/empty.mp4", *CAM], "cannot open video file"),
    "source text named .mp4": (["--source", "{f}/text.mp4", *CAM], "cannot open video file"),
    "source text named .avi": (["--source", "{f}/text.avi", *CAM], "video file"),
    "source a truncated mp4": (["--source", "{f}/half.mp4", *CAM], "cannot open video file"),
    "source the first 200 bytes": (["--source", "{f}/head.mp4", *CAM], "cannot open video file"),
    "source an empty folder": (["--source", "{f}/empty_folder", *CAM], "no images"),
    "source a folder named .onnx": (["--source", "{f}/folder.onnx", *CAM], "no images"),
    "source text named .jpg": (["--source", "{f}/text.jpg", *CAM], "gave no frames"),
    "source an empty .jpg": (["--source", "{f}/empty.jpg", *CAM], "cannot open video file"),
    "source a camera that is not there": (["--source", "/dev/video99", *CAM], "cannot open camera"),
    "source camera 99": (["--source", "99", *CAM], "cannot open camera"),
    "source -1": (["--source=-1", *CAM], "no such video file or camera"),
    "source /dev/null": (["--source", "/dev/null", *CAM], "cannot open camera"),
    "source a URL": (["--source", "http://example.invalid/x", *CAM], "no such video file or camera"),
    "model missing": ([*CAM_BUILTIN, "--model", "{f}/missing.onnx"], "not found"),
    "model empty": ([*CAM_BUILTIN, "--model", "{f}/empty.onnx"], "cannot load"),
    "model text named .onnx": ([*CAM_BUILTIN, "--model", "{f}/text.onnx"], "cannot load"),
    "model a folder": ([*CAM_BUILTIN, "--model", "{f}/folder.onnx"], "not found"),
    "model text named .pt2": ([*CAM_BUILTIN, "--model", "{f}/text.pt2"], "cannot load"),
    "model text named .plan": ([*CAM_BUILTIN, "--model", "{f}/text.plan"], "cannot load"),
    "model a picture": ([*CAM_BUILTIN, "--model", "{f}/photo.png"], "cannot load"),
    "model a video": ([*CAM_BUILTIN, "--model", "{f}/clip.mp4"], "cannot load"),
    "model text on OpenVINO": ([*CAM_BUILTIN, "--model", "{f}/text.onnx", "--backend", "openvino"], "OpenVINO cannot read"),
    "model text for pytorch": ([*CAM_BUILTIN, "--model", "{f}/text.onnx", "--backend", "pytorch"], "cannot load"),
    "engine missing .plan": ([*CAM_BUILTIN, "--engine", "{f}/missing.plan"], "not found"),
    "engine missing .pt2": ([*CAM_BUILTIN, "--engine", "{f}/missing.pt2"], "not found"),
    "engine text named .plan": ([*CAM_BUILTIN, "--engine", "{f}/text.plan"], "TensorRT"),
    "engine empty .plan": ([*CAM_BUILTIN, "--engine", "{f}/empty.plan"], "TensorRT"),
    "engine text named .pt2": ([*CAM_BUILTIN, "--engine", "{f}/text.pt2"], "sidecar"),
    "engine an ONNX graph": ([*CAM_BUILTIN, "--engine", "{f}/text.onnx"], "not a compiled engine"),
    "engine an empty .onnx": ([*CAM_BUILTIN, "--engine", "{f}/empty.onnx"], "not a compiled engine"),
    "engine a folder": ([*CAM_BUILTIN, "--engine", "{f}/folder.onnx"], "not found"),
    "sink onto the source": (["--source", "{f}/clip.mp4", "--sink", "{f}/clip.mp4", "-y", "--quiet"], "same file"),
    "stats onto the source": (["--source", "{f}/clip.mp4", "--sink", "null", "--stats", "{f}/clip.mp4", "-y"],
                              "same file"),
    "stats onto the sink": (["--source", "builtin", "--sink", "{t}/o.avi", "--stats", "{t}/o.avi", "-y"], "same file"),
    "stats a folder": ([*CAM_BUILTIN, "--stats", "{f}/folder.onnx"], "is a folder"),
    "stats under a file": ([*CAM_BUILTIN, "--stats", "{f}/text.mp4/stats.json"], "is a file"),
    "sink without an extension": (["--source", "builtin", "--sink", "{t}/noext", "--quiet"], "unknown sink"),
    "sink a picture with --codec": (["--source", "builtin", "--sink", "{t}/o.png", "--codec", "vp9"], "unknown sink"),
    "sink ffv1 in .mp4": (["--source", "builtin", "--sink", "{t}/o.mp4", "--codec", "ffv1"], "does not go in .mp4"),
    "sink under a file": (["--source", "builtin", "--sink", "{f}/text.mp4/o.mp4"], "text.mp4"),
    "--codec with the null sink": ([*CAM_BUILTIN, "--codec", "vp9"], "--codec is for a video file"),
    "--crf with the null sink": ([*CAM_BUILTIN, "--crf", "20"], "--crf is for a video file"),
    "--codec with a folder sink": (["--source", "builtin", "--sink", "{t}/frames/", "--codec", "ffv1"], "--codec is for"),
    "--side-by-side with a file": (["--source", "builtin", "--sink", "{t}/o.mp4", "--side-by-side"], "--sink window"),
    "--side-by-side with vcam": (["--source", "builtin", "--sink", "vcam", "--side-by-side"], "--sink window"),
    "--mirror with a file": (["--source", "builtin", "--sink", "{t}/o.mp4", "--mirror"], "--mirror is for"),
    "--vcam-device with a window": (["--source", "builtin", "--sink", "window", "--vcam-device", "/dev/video9"],
                                    "--sink vcam"),
    "--vcam-device with null": ([*CAM_BUILTIN, "--vcam-device", "/dev/video9"], "--sink vcam"),
    "vcam on a file": (["--source", "builtin", "--sink", "vcam", "--vcam-device", "{f}/text.mp4"], "virtual camera"),
}


@pytest.mark.parametrize("case", sorted(CAM_CASES))
@deadline(30)
def test_cam_refuses_a_bad_file_in_one_line(files, tmp_path, capsys, monkeypatch, case):
    monkeypatch.delenv("DISPLAY", raising=False)
    argv, says = CAM_CASES[case]
    argv = [a.format(f=files, t=tmp_path) for a in argv]
    before = {p: p.stat().st_mtime_ns for p in files.rglob("*")}
    line = refused(importlib.import_module("runtime.cam").main, argv, capsys)
    assert says in line, line
    assert {p: p.stat().st_mtime_ns for p in files.rglob("*")} == before  # no input replaced or touched
    assert not any(tmp_path.iterdir())  # and no output begun


@deadline(30)
def test_cam_without_a_display_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert "DISPLAY" in refused(importlib.import_module("runtime.cam").main,
                                ["--source", "builtin", "--sink", "window", "--frames", "1"], capsys)


CAM_ODD_BUT_VALID = {  # each gives frames: the count is checked in the stats file
    "a picture as the source": (["--source", "{f}/photo.png"], 1),
    "a picture named .mp4": (["--source", "{f}/photo_as.mp4"], 1),
    "a picture with --size (ignored for files)": (["--source", "{f}/photo.png", "--size", "640x480"], 1),
    "a video with --fps": (["--source", "{f}/clip.mp4", "--fps", "10", "--frames", "3"], 3),
    "a frame count past the clip's end": (["--source", "{f}/clip.mp4", "--frames", "99999999999999999999"], 12),
}


@pytest.mark.parametrize("case", sorted(CAM_ODD_BUT_VALID))
@deadline(30)
def test_cam_odd_but_valid_inputs_give_every_frame(files, tmp_path, capsys, case):
    import json
    argv, frames = CAM_ODD_BUT_VALID[case]
    stats = tmp_path / "stats.json"
    code, err = run_main("runtime.cam", [*(a.format(f=files) for a in argv), "--sink", "null", "--quiet",
                                     "--stats", str(stats)], capsys)
    assert code == 0 and "Traceback" not in err and "error:" not in err, err
    assert json.loads(stats.read_text())["frames"] == frames


# checkpoints: export --checkpoint, evaluate --model, distill --init -------------------------------------------
CHECKPOINTS = {
    "missing.pt": "not found", "empty.pt": "not a readable sharpcam checkpoint",
    "text.pt": "not a readable sharpcam checkpoint", "folder.onnx": "folder.onnx",
    "foreign.pt": "not a sharpcam student checkpoint", "tensor.pt": "not a sharpcam student checkpoint",
    "list.pt": "not a sharpcam student checkpoint", "v2.pt": "which this version does not read",
    "warp.pt": "unknown student architecture", "text_args.pt": "cannot be built",
    "negative_args.pt": "cannot be built", "wrong_weights.pt": "weights do not fit",
    "no_weights.pt": "missing or malformed", "plain_pickle.pt": "not a readable sharpcam checkpoint",
    "half.pt": "not a readable sharpcam checkpoint",
}
CHECKPOINT_COMMANDS = {
    "export": ("export.__main__", ["--checkpoint", "{c}", "--name", "x", "--out", "{t}/engines", "--onnx-only"]),
    "evaluate": ("train.evaluate", ["--model", "{c}", "--no-teacher", "--corpus", "{t}/none", "--out", "{t}/q/o"]),
    "distill --init": ("train.distill_cli", ["--preset", "smoke", "--init", "{c}", "--run-dir", "{t}/run",
                                         "--corpus", "{t}/none"]),
}


@pytest.mark.parametrize("command", sorted(CHECKPOINT_COMMANDS))
@pytest.mark.parametrize("name", sorted(CHECKPOINTS))
@deadline(30)
def test_a_bad_checkpoint_is_one_line(files, tmp_path, capsys, command, name):
    module, argv = CHECKPOINT_COMMANDS[command]
    line = refused(importlib.import_module(module).main,
                   [a.format(c=files / name, t=tmp_path) for a in argv], capsys)
    assert CHECKPOINTS[name] in line, line
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # no graph, report or checkpoint written


# FIFOs where a file is read or written: opening one without a peer blocks for ever -----------------------------
FIFO_CASES = {
    "cam --sink": ("runtime.cam", ["--source", "builtin", "--sink", "{p}/out.mp4", "--frames", "2", "-y"], "out.mp4",
                   "not a regular file"),
    "cam --stats": ("runtime.cam", ["--source", "builtin", "--sink", "null", "--stats", "{p}/s.json", "-y"], "s.json",
                    "not a regular file"),
    "cam --model": ("runtime.cam", ["--source", "builtin", "--sink", "null", "--model", "{p}/m.onnx"], "m.onnx",
                    "not found"),
    "cam --engine": ("runtime.cam", ["--source", "builtin", "--sink", "null", "--engine", "{p}/e.pt2"], "e.pt2",
                     "not found"),
    "sharpen --model": ("runtime.sharpen", ["{f}/photo.png", "-o", "{p}/o", "--model", "{p}/m.onnx"], "m.onnx",
                        "not found"),
    "export --checkpoint": ("export.__main__", ["--checkpoint", "{p}/c.pt", "--name", "x", "--out", "{p}/e",
                                                "--onnx-only"], "c.pt", "not found"),
    "evaluate --model": ("train.evaluate", ["--model", "{p}/c.pt", "--no-teacher", "--out", "{p}/q"], "c.pt",
                         "not a regular file"),
    "distill --init": ("train.distill_cli", ["--preset", "smoke", "--init", "{p}/c.pt", "--run-dir", "{p}/run",
                                         "--corpus", "{p}/none"], "c.pt", "not a regular file"),
    "distill's manifest": ("train.distill_cli", ["--preset", "smoke", "--corpus", "{p}", "--run-dir", "{p}/run"],
                           "manifest.json", "not a regular file"),
    "fps --json": ("benchmarks.speed.fps", ["--quick", "--out", "{p}/r", "--json", "{p}/r.json"], "r.json",
                   "not a regular file"),
}


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="FIFOs")
@pytest.mark.parametrize("case", sorted(FIFO_CASES))
@deadline(30)
def test_a_fifo_in_place_of_a_file_is_refused_not_waited_on(files, tmp_path, capsys, case):
    import os
    module, argv, fifo, says = FIFO_CASES[case]
    os.mkfifo(tmp_path / fifo)
    line = refused(importlib.import_module(module).main, [a.format(f=files, p=tmp_path) for a in argv], capsys)
    assert says in line and fifo in line, line
    assert (tmp_path / fifo).is_fifo()  # not replaced by a file renamed over it


# names too long for the file system, and a folder source holding an image OpenCV refuses -----------------------
LONG = "x" * 300  # one name component past NAME_MAX (255 on Linux, macOS and Windows alike)
LONG_NAME_CASES = {
    "cam --source": ("runtime.cam", ["--source", "{t}/" + LONG + ".mp4", "--sink", "null"]),
    "cam --sink": ("runtime.cam", ["--source", "builtin", "--sink", "{t}/" + LONG + ".mp4"]),
    "cam --sink folder": ("runtime.cam", ["--source", "builtin", "--sink", "{t}/" + LONG + "/"]),
    "cam --stats": ("runtime.cam", ["--source", "builtin", "--sink", "null", "--stats", "{t}/" + LONG + ".json"]),
    "cam --model": ("runtime.cam", ["--source", "builtin", "--sink", "null", "--model", "{t}/" + LONG + ".onnx"]),
    "cam --engine": ("runtime.cam", ["--source", "builtin", "--sink", "null", "--engine", "{t}/" + LONG + ".pt2"]),
    "sharpen -o file": ("runtime.sharpen", ["{f}/photo.png", "-o", "{t}/" + LONG + ".png"]),
    "sharpen -o folder": ("runtime.sharpen", ["{f}/photo.png", "-o", "{t}/" + LONG + "/"]),
    "sharpen input": ("runtime.sharpen", ["{t}/" + LONG + ".png", "-o", "{t}/o"]),
    "export --checkpoint": ("export.__main__", ["--checkpoint", "{t}/" + LONG + ".pt", "--name", "x", "--out", "{t}/e"]),
    "export --out": ("export.__main__", ["--checkpoint", "{f}/v2.pt", "--name", "x", "--out", "{t}/" + LONG]),
    "mos report": ("benchmarks.mos.__main__", ["report", "{t}/" + LONG]),
    "distill --run-dir": ("train.distill_cli", ["--preset", "smoke", "--run-dir", "{t}/" + LONG, "--corpus", "{t}/c"]),
    "evaluate --model": ("train.evaluate", ["--model", "{t}/" + LONG + ".pt", "--no-teacher", "--out", "{t}/q"]),
}


@pytest.mark.parametrize("case", sorted(LONG_NAME_CASES))
@deadline(30)
def test_a_name_too_long_for_the_file_system_is_one_line(files, tmp_path, capsys, case):
    module, argv = LONG_NAME_CASES[case]
    line = refused(importlib.import_module(module).main, [a.format(f=files, t=tmp_path) for a in argv], capsys)
    assert "too long" in line or "not found" in line or "no such" in line.lower(), line
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


@deadline(30)
def test_cam_a_folder_with_an_image_the_decoder_refuses_is_one_line(files, tmp_path, capsys):
    (tmp_path / "a.png").write_bytes((files / "huge.png").read_bytes())
    line = refused(importlib.import_module("runtime.cam").main,
                   ["--source", str(tmp_path), "--sink", "null", "--quiet"], capsys)
    assert "a.png" in line and "decoder refused" in line
