"""`sharpen` fed bad and unusual image files (issue 23's battery): empty, text named .jpg/.png, a 0x0 or
100000x100000 header, truncated; and valid oddities (1x1, CMYK, 16-bit grey, alpha, palette, animated), each
given back at its own size, depth and channels. Each within a time limit. The files: tests/bad_files.py."""
from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from bad_files import make_bad_files, run_main
from deadline import deadline
from refusals import one_error_line


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    return make_bad_files(tmp_path_factory.mktemp("bad_files"))


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
    code, err = run_main("runtime.sharpen", [str(files / name), str(files / "photo.png"), "-o", str(out), "-q"], capsys)
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
    code, err = run_main("runtime.sharpen", [str(files / name), "-o", str(out), "-q"], capsys)
    assert code == 0 and "Traceback" not in err and "error:" not in err, err
    assert ("first frame" in err) == name.startswith("animated"), err  # a still from an animation is said
    before = cv2.imread(str(files / name), cv2.IMREAD_UNCHANGED)
    after = cv2.imread(str(out / name), cv2.IMREAD_UNCHANGED)
    expected_shape = before.shape[:2] + ((3,) if name == "palette.png" else before.shape[2:])  # palette: expanded
    assert after is not None and after.shape == expected_shape and after.dtype == before.dtype


@deadline(30)
def test_sharpen_an_animated_gif_with_ext_says_only_its_first_frame_is_kept(files, tmp_path, capsys):
    code, err = run_main("runtime.sharpen", [str(files / "animated.gif"), "-o", str(tmp_path), "--ext", "png"], capsys)
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
    code, err = run_main("runtime.sharpen", [a.format(f=files, t=tmp_path) for a in argv], capsys)
    assert code == 2 and says in one_error_line(err), err
    assert {p: p.stat().st_mtime_ns for p in files.rglob("*")} == before and not any(tmp_path.iterdir())
