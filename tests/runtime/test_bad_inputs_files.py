"""Every command's files and paths fed bad contents (issue 23's battery): missing, a folder, empty, text named
as a video, graph, engine, image or checkpoint, truncated, foreign, of another format version. Each case ends
in one "error: ..." line and a non-zero exit, or (where the input is odd but valid) in a verified output;
in-process, each within a time limit. The files are made once per module in a few milliseconds each."""
from __future__ import annotations

import importlib
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from deadline import deadline
from media import make_marked_clip
from refusals import one_error_line, refused
from train.checkpoint import FORMAT


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (the pixel data is a few bytes: a decoder must not trust it)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 4)) + chunk(b"IEND", b"")


def _photo(h: int = 48, w: int = 64) -> np.ndarray:
    return cv2.GaussianBlur(np.random.default_rng(0).integers(0, 256, (h, w, 3), np.uint8), (5, 5), 1.5)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """One folder of every bad (and odd but valid) file the cases below name."""
    root = tmp_path_factory.mktemp("bad_files")
    for name in ("empty.mp4", "empty.onnx", "empty.jpg", "empty.pt", "empty.plan"):
        (root / name).write_bytes(b"")
    for name in ("text.mp4", "text.onnx", "text.pt2", "text.plan", "text.jpg", "text.png", "text.pt", "text.avi"):
        (root / name).write_text("hello, not what the name says\n")
    (root / "folder.onnx").mkdir()
    (root / "empty_folder").mkdir()
    make_marked_clip(root / "clip.mp4", segments=[(12, 30)], audio=None)
    clip = (root / "clip.mp4").read_bytes()
    (root / "half.mp4").write_bytes(clip[: len(clip) // 2])
    (root / "head.mp4").write_bytes(clip[:200])
    cv2.imwrite(str(root / "photo.png"), _photo())
    (root / "photo_as.mp4").write_bytes((root / "photo.png").read_bytes())
    (root / "zero.png").write_bytes(_png_header(0, 0))
    (root / "huge.png").write_bytes(_png_header(100_000, 100_000))
    (root / "wide.png").write_bytes(_png_header(2 ** 31 - 1, 1))
    (root / "header_only.png").write_bytes(_png_header(64, 48)[:33])
    jpeg = cv2.imencode(".jpg", _photo(96, 128))[1].tobytes()
    (root / "half.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    Image.new("F", (64, 48)).save(root / "float.tif")
    _odd_images(root)
    _checkpoints(root)
    return root


def _odd_images(root: Path) -> None:
    """Valid but unusual images: sharpen must give each back at its own size, depth and channels."""
    cv2.imwrite(str(root / "one.png"), np.full((1, 1, 3), 128, np.uint8))
    cv2.imwrite(str(root / "two.png"), np.full((2, 3, 3), 128, np.uint8))
    Image.new("CMYK", (64, 48), (10, 20, 30, 40)).save(root / "cmyk.jpg")
    cv2.imwrite(str(root / "gray16.png"), (np.arange(48 * 64).reshape(48, 64) * 20).astype(np.uint16))
    cv2.imwrite(str(root / "gray.png"), np.full((48, 64), 100, np.uint8))
    cv2.imwrite(str(root / "rgba.png"), np.full((48, 64, 4), 100, np.uint8))
    frames = [Image.new("RGB", (64, 48), (i * 40, 0, 0)) for i in range(3)]
    frames[0].save(root / "animated.webp", save_all=True, append_images=frames[1:])
    frames[0].save(root / "animated.gif", save_all=True, append_images=frames[1:])
    Image.new("P", (64, 48)).save(root / "palette.png")
    Image.new("1", (64, 48)).save(root / "bilevel.png")
    Image.new("I;16", (64, 48)).save(root / "i16.tif")
    Image.new("LA", (64, 48)).save(root / "gray_alpha.png")
    (root / "jpeg_named.png").write_bytes(cv2.imencode(".jpg", _photo())[1].tobytes())
    (root / "png_named.jpg").write_bytes((root / "photo.png").read_bytes())


def _checkpoints(root: Path) -> None:
    fast = {"name": "fast", "args": {}}
    torch.save({"weights": torch.zeros(3)}, root / "foreign.pt")
    torch.save(torch.zeros(3), root / "tensor.pt")
    torch.save([1, 2], root / "list.pt")
    torch.save({"format": "sharpcam-student-v2", "model": fast, "state_dict": {}}, root / "v2.pt")
    torch.save({"format": FORMAT, "model": {"name": "warp", "args": {}}, "state_dict": {}}, root / "warp.pt")
    torch.save({"format": FORMAT, "model": {"name": "fast", "args": {"channels": "x"}}, "state_dict": {}},
               root / "text_args.pt")
    torch.save({"format": FORMAT, "model": {"name": "fast", "args": {"channels": -4}}, "state_dict": {}},
               root / "negative_args.pt")
    torch.save({"format": FORMAT, "model": fast, "state_dict": {"x": torch.zeros(1)}}, root / "wrong_weights.pt")
    torch.save({"format": FORMAT, "model": fast}, root / "no_weights.pt")
    (root / "plain_pickle.pt").write_bytes(__import__("pickle").dumps({"a": 1}))
    whole = (root / "v2.pt").read_bytes()
    (root / "half.pt").write_bytes(whole[: len(whole) // 2])


def _run(module: str, argv: list[str], capsys) -> tuple[int, str]:
    main = importlib.import_module(module).main
    try:
        result = main(argv)
        code = result if isinstance(result, int) and not isinstance(result, bool) else 0
    except SystemExit as stop:
        code = stop.code
    return code, capsys.readouterr().err


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
    code, err = _run("runtime.cam", [*(a.format(f=files) for a in argv), "--sink", "null", "--quiet",
                                     "--stats", str(stats)], capsys)
    assert code == 0 and "Traceback" not in err and "error:" not in err, err
    assert json.loads(stats.read_text())["frames"] == frames


# runtime.sharpen: image files -------------------------------------------------------------------------------
SHARPEN_DAMAGED = {  # file -> what the line says; the batch goes on, the exit status says something failed
    "empty.jpg": "the file is empty", "text.jpg": "can decode", "text.png": "can decode",
    "zero.png": "height is zero", "huge.png": "decoder refused", "wide.png": "width exceeds",
    "header_only.png": "ends early", "half.jpg": "ends early", "float.tif": "8-bit",
}


@pytest.mark.parametrize("name", sorted(SHARPEN_DAMAGED))
@deadline(30)
def test_sharpen_skips_a_damaged_image_with_one_line_and_writes_the_rest(files, tmp_path, capsys, name):
    out = tmp_path / "out"
    code, err = _run("runtime.sharpen", [str(files / name), str(files / "photo.png"), "-o", str(out), "-q"], capsys)
    assert code != 0 and "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and name in lines[0] and SHARPEN_DAMAGED[name] in lines[0], err
    assert sorted(p.name for p in out.iterdir()) == ["photo.png"]  # the good one written, nothing for the bad


SHARPEN_VALID = ["one.png", "two.png", "cmyk.jpg", "gray16.png", "gray.png", "rgba.png", "animated.webp",
                 "palette.png", "bilevel.png", "i16.tif", "gray_alpha.png", "jpeg_named.png", "png_named.jpg"]


@pytest.mark.parametrize("name", SHARPEN_VALID)
@deadline(30)
def test_sharpen_gives_an_odd_image_back_at_its_size_depth_and_channels(files, tmp_path, capsys, name):
    out = tmp_path / "out"
    code, err = _run("runtime.sharpen", [str(files / name), "-o", str(out), "-q"], capsys)
    assert code == 0 and "Traceback" not in err and "error:" not in err, err
    assert ("first frame" in err) == name.startswith("animated"), err  # a still from an animation is said
    before = cv2.imread(str(files / name), cv2.IMREAD_UNCHANGED)
    after = cv2.imread(str(out / name), cv2.IMREAD_UNCHANGED)
    expected_shape = before.shape[:2] + ((3,) if name == "palette.png" else before.shape[2:])  # palette: expanded
    assert after is not None and after.shape == expected_shape and after.dtype == before.dtype


@deadline(30)
def test_sharpen_an_animated_gif_with_ext_says_only_its_first_frame_is_kept(files, tmp_path, capsys):
    code, err = _run("runtime.sharpen", [str(files / "animated.gif"), "-o", str(tmp_path), "--ext", "png"], capsys)
    assert code == 0 and "animated; only its first frame" in err, err
    assert cv2.imread(str(tmp_path / "animated.png")).shape == (48, 64, 3)


SHARPEN_REFUSED = {
    "a folder named .png": (["{f}/folder.onnx", "-o", "{t}/o"], "no images"),
    "an animated GIF (no writer for .gif)": (["{f}/animated.gif", "-o", "{t}/o"], "--ext"),
    "an output onto its input": (["{f}/photo.png", "-o", "{f}/photo.png"], "overwrite an input"),
    "an output into the input's folder": (["{f}/photo.png", "-o", "{f}"], "overwrite an input"),
    "an output named .gif": (["{f}/photo.png", "-o", "{t}/x.gif"], "not an image extension"),
    "an output under a file": (["{f}/photo.png", "-o", "{f}/text.png/x.png"], "text.png"),
    "a missing input": (["{f}/missing.png", "-o", "{t}/o"], "no such file"),
    "model text named .onnx": (["{f}/photo.png", "-o", "{t}/o", "--model", "{f}/text.onnx"], "cannot load"),
    "model empty": (["{f}/photo.png", "-o", "{t}/o", "--model", "{f}/empty.onnx"], "cannot load"),
    "model missing": (["{f}/photo.png", "-o", "{t}/o", "--model", "{f}/missing.onnx"], "not found"),
    "engine text named .pt2": (["{f}/photo.png", "-o", "{t}/o", "--engine", "{f}/text.pt2"], "sidecar"),
    "engine text named .plan": (["{f}/photo.png", "-o", "{t}/o", "--engine", "{f}/text.plan"], "TensorRT"),
    "engine an ONNX graph": (["{f}/photo.png", "-o", "{t}/o", "--engine", "{f}/text.onnx"], "not a compiled engine"),
    "an unknown student": (["{f}/photo.png", "-o", "{t}/o", "--student", "tiny"], "no model named 'tiny'"),
}


@pytest.mark.parametrize("case", sorted(SHARPEN_REFUSED))
@deadline(30)
def test_sharpen_refuses_a_bad_path_or_model_in_one_line(files, tmp_path, capsys, case):
    argv, says = SHARPEN_REFUSED[case]
    before = {p: p.stat().st_mtime_ns for p in files.rglob("*")}
    code, err = _run("runtime.sharpen", [a.format(f=files, t=tmp_path) for a in argv], capsys)
    assert code == 2 and says in one_error_line(err), err
    assert {p: p.stat().st_mtime_ns for p in files.rglob("*")} == before and not any(tmp_path.iterdir())


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
    "distill --init": ("train.distill", ["--preset", "smoke", "--init", "{c}", "--run-dir", "{t}/run",
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
    "distill --init": ("train.distill", ["--preset", "smoke", "--init", "{p}/c.pt", "--run-dir", "{p}/run",
                                         "--corpus", "{p}/none"], "c.pt", "not a regular file"),
    "distill's manifest": ("train.distill", ["--preset", "smoke", "--corpus", "{p}", "--run-dir", "{p}/run"],
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
    "distill --run-dir": ("train.distill", ["--preset", "smoke", "--run-dir", "{t}/" + LONG, "--corpus", "{t}/c"]),
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
