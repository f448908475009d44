"""`sharpcam sharpen` from the command line: output names, what is left out and said, bad inputs in one line,
signals (issue 22 items 11-12, issue 23 live fault 5 and the sharpen bad inputs)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from runtime.contract import FRAME_INPUT, FRAME_OUTPUT, STATE_INPUT, STATE_OUTPUT, STRENGTH_INPUT
from runtime.sharpen import main as sharpen_main


ROOT = Path(__file__).resolve().parents[2]


def photo(path: Path, seed: int = 0) -> Path:
    noise = np.random.default_rng(seed).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    cv2.imwrite(str(path), cv2.GaussianBlur(noise, (5, 5), 1.5))
    return path


def status(argv: list[str]) -> int:
    try:
        sharpen_main(argv)
    except SystemExit as exit_:
        return exit_.code
    return 0


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


def hidden(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*")]


def test_one_input_and_a_file_name_writes_that_file(tmp_path):
    src = photo(tmp_path / "a.png")
    assert status([str(src), "-o", str(tmp_path / "sharp.jpg")]) == 0
    assert (tmp_path / "sharp.jpg").is_file()  # a file, not a folder named sharp.jpg
    assert cv2.imread(str(tmp_path / "sharp.jpg")).shape == (48, 64, 3)


def test_a_file_as_output_for_several_inputs_is_refused_by_its_own_name(tmp_path, capsys):
    a, b = photo(tmp_path / "a.png"), photo(tmp_path / "b.png", 1)
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"mine")
    assert status([str(a), str(b), "-o", str(taken)]) == 2
    line = one_error_line(capsys)
    assert str(taken) in line and ".tmp" not in line and taken.read_bytes() == b"mine"
    notes = tmp_path / "notes"
    notes.write_text("mine")
    assert status([str(a), "-o", str(notes)]) == 2  # one input, a file without an image extension in the way
    line = one_error_line(capsys)
    assert str(notes) in line and ".tmp" not in line and notes.read_text() == "mine"


def test_an_output_name_with_an_unknown_extension_is_one_line(tmp_path, capsys):
    src = photo(tmp_path / "a.png")
    assert status([str(src), "-o", str(tmp_path / "out.xyz")]) == 2
    assert "not an image extension" in one_error_line(capsys)


def test_an_input_without_an_extension_needs_ext(tmp_path, capsys):
    src = photo(tmp_path / "a.png").rename(tmp_path / "scan")
    assert status([str(src), "-o", str(tmp_path / "out")]) == 2
    assert "--ext" in one_error_line(capsys)
    assert status([str(src), "-o", str(tmp_path / "out"), "--ext", "png"]) == 0
    assert cv2.imread(str(tmp_path / "out" / "scan.png")).shape == (48, 64, 3)


def test_a_missing_input_says_no_such_file(tmp_path, capsys):
    assert status([str(tmp_path / "nope.jpg"), "-o", str(tmp_path / "out")]) == 2
    assert "no such file" in one_error_line(capsys)


def test_left_out_files_and_subfolders_are_said_and_quiet_is_quiet(tmp_path, capsys):
    album = tmp_path / "album"
    (album / "sub").mkdir(parents=True)
    photo(album / "a.png")
    photo(album / "sub" / "b.png")
    (album / "notes.txt").write_text("not an image")
    assert status([str(album), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # --quiet: no line per image
    assert "notes.txt" in captured.err and "not images" in captured.err
    assert "1 subfolder not searched" in captured.err and "--recursive" in captured.err


def test_two_inputs_with_one_name_into_one_folder_are_refused(tmp_path, capsys):
    a, b = photo((tmp_path / "x").mkdir() or tmp_path / "x" / "p.png"), photo((tmp_path / "y").mkdir() or
                                                                               tmp_path / "y" / "p.png", 1)
    assert status([str(a), str(b), "-o", str(tmp_path / "out")]) == 2
    line = one_error_line(capsys)
    assert "both be written" in line and not (tmp_path / "out").exists()


def test_symlink_loops_are_one_line_or_searched_once(tmp_path, capsys):
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)  # a link to itself, as an input
    assert status([str(loop), "-o", str(tmp_path / "out")]) == 2
    assert "loop" in one_error_line(capsys)
    out_loop = tmp_path / "outloop"
    out_loop.symlink_to(out_loop)  # ... as the output
    assert status([str(photo(tmp_path / "a.png")), "-o", str(out_loop)]) == 2
    assert "loop" in one_error_line(capsys)
    album = tmp_path / "album"
    album.mkdir()
    photo(album / "b.png")
    (album / "back").symlink_to(album)  # a folder link back up the tree, walked with --recursive
    assert status([str(album), "-o", str(tmp_path / "out"), "-r", "--quiet"]) == 0
    assert [p.name for p in (tmp_path / "out").rglob("*.png")] == ["b.png"]


def test_a_fifo_as_an_image_is_refused_not_waited_on(tmp_path, capsys):
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)  # no writer: reading it would block for ever
    assert status([str(fifo), "-o", str(tmp_path / "out")]) == 1
    assert "not a regular file" in capsys.readouterr().err


def test_a_bad_ext_is_refused_when_parsed(tmp_path, capsys):
    assert status([str(photo(tmp_path / "a.png")), "-o", str(tmp_path / "out"), "--ext", "gif"]) == 2
    assert "not one of" in capsys.readouterr().err


def test_a_truncated_jpeg_is_reported_as_damaged_and_not_written(tmp_path, capsys):
    whole = photo(tmp_path / "whole.jpg")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert status([str(cut), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "damaged" in err and "cut.jpg" in err and "Premature end" not in err
    assert not (tmp_path / "out" / "cut.jpg").exists()


def test_a_file_in_the_way_skips_that_image_only_naming_it(tmp_path, capsys):
    album = tmp_path / "album"
    (album / "sub").mkdir(parents=True)
    photo(album / "a.png")
    photo(album / "sub" / "c.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").write_text("a file where a folder should be")
    assert status([str(album), "-o", str(out), "-r"]) == 1
    err = capsys.readouterr().err
    assert str(out / "sub" / "c.png") in err and ".tmp" not in err and "Traceback" not in err
    assert (out / "a.png").is_file() and not hidden(out)


# In a fresh interpreter: a real signal, delivered while the temporary file exists (just before the rename).
SIGNALLED_RUN = """
import os, sys
from pathlib import Path
import runtime.files
from runtime.sharpen import main
replace = os.replace
def interrupted_replace(tmp, final):
    assert Path(tmp).exists()
    os.kill(os.getpid(), int(sys.argv[1]))
    replace(tmp, final)
runtime.files.os.replace = interrupted_replace
main(sys.argv[2:])
"""


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)])
def test_a_signal_mid_write_leaves_no_temporary_file_and_no_traceback(tmp_path, signum, code):
    src = photo(tmp_path / "a.png")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", SIGNALLED_RUN, str(int(signum)), str(src), "-o", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)},
                          # a shell that starts jobs in the background makes them ignore SIGINT (and Python then
                          # installs no handler for it): restore what a terminal gives
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr and "0 of 1 images written" in done.stderr
    assert not list(out.iterdir())  # neither the image nor its temporary file


def _half_size_graph(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    """A frame graph that passes every load check but gives a picture of half the size."""
    w, h = size
    starts, ends, axes, steps = (helper.make_tensor(n, TensorProto.INT64, [2], v) for n, v in
                                 (("s", [0, 0]), ("e", [h, w]), ("a", [0, 1]), ("t", [2, 2])))
    nodes = [helper.make_node("Slice", [FRAME_INPUT, "s", "e", "a", "t"], [FRAME_OUTPUT]),
             helper.make_node("Identity", [STATE_INPUT], [STATE_OUTPUT])]
    vi = helper.make_tensor_value_info
    graph = helper.make_graph(nodes, "half", [vi(FRAME_INPUT, TensorProto.UINT8, [h, w, 3]),
                                              vi(STATE_INPUT, TensorProto.FLOAT, [1, 3, h, w]),
                                              vi(STRENGTH_INPUT, TensorProto.FLOAT, [1])],
                              [vi(FRAME_OUTPUT, TensorProto.UINT8, [h // 2, w // 2, 3]),
                               vi(STATE_OUTPUT, TensorProto.FLOAT, [1, 3, h, w])], [starts, ends, axes, steps])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def test_a_graph_with_a_half_size_output_is_refused(tmp_path, capsys):
    model = _half_size_graph(tmp_path / "half_480p.onnx")
    src = photo(tmp_path / "a.png")
    code = status([str(src), "-o", str(tmp_path / "out"), "--model", str(model)])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err and "size" in err
    assert not (tmp_path / "out" / "a.png").exists()
