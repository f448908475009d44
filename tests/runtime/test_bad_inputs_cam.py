"""runtime.cam fed bad inputs (issue 23): sources that would hang, absurd sizes and rates, graphs that pass a
shape check but could not run, an empty sink. Each: one "error:" line, exit status 2, within a time limit."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from deadline import deadline
from refusals import ROOT, refused, refused_in_child
from runtime.cam import main as cam_main
from runtime.contract import FRAME_INPUT, FRAME_OUTPUT, STATE_INPUT, STATE_OUTPUT, STRENGTH_INPUT

U8, F32, I64 = TensorProto.UINT8, TensorProto.FLOAT, TensorProto.INT64
H, W = 48, 64
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs")


# sources that would block ---------------------------------------------------------------------------------------
@posix_only
def test_a_fifo_without_a_writer_as_the_source_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "clip.mp4"
    os.mkfifo(fifo)
    line = refused_in_child("runtime.cam", ["--source", str(fifo), "--sink", "null"], timeout=30)
    assert "not a regular file" in line


@posix_only
def test_a_fifo_among_a_folders_images_is_skipped_not_waited_on(tmp_path):
    import cv2
    import numpy as np
    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((24, 32, 3), 90, np.uint8))
    os.mkfifo(folder / "b.png")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "runtime.cam", "--source", str(folder), "--sink", f"{out}/",
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "b.png" in done.stderr and "not a regular file" in done.stderr  # said, not silently dropped
    assert sorted(p.name for p in out.iterdir()) == ["a.png"]


# flags --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, says", [
    (["--size", "100000x100000"], "at most"), (["--size", "20000x20000"], "at most"), (["--size", "640x99999"], "at most"),
    (["--fps", "1e-300"], "from"), (["--fps", "1e300"], "from"), (["--fps", "5000"], "from"),
    (["--sink", ""], "--sink"), (["--sink", "  "], "--sink"),
])
@deadline(20)
def test_absurd_flags_are_refused_at_parse_time(argv, says, capsys):
    assert says in refused(cam_main, ["--source", "builtin", "--sink", "null", *argv], capsys)


# graphs that load but could not run -----------------------------------------------------------------------------
def _io(name: str, kind: int, shape: list) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, kind, shape)


def _save(path: Path, inputs: list, outputs: list, nodes: list) -> Path:
    graph = helper.make_graph(nodes, "bad", inputs, outputs)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def _pass(a: str, b: str) -> onnx.NodeProto:
    return helper.make_node("Identity", [a], [b])


def _stateful(state_shape: list, state_out_shape: list | None = None, strength=(F32, [1]), state_kind=F32) -> tuple:
    inputs = [_io(FRAME_INPUT, U8, [H, W, 3]), _io(STATE_INPUT, state_kind, state_shape),
              _io(STRENGTH_INPUT, strength[0], strength[1])]
    outputs = [_io(FRAME_OUTPUT, U8, [H, W, 3])]
    nodes = [_pass(FRAME_INPUT, FRAME_OUTPUT)]
    if state_out_shape is not None:
        outputs.append(_io(STATE_OUTPUT, state_kind, state_out_shape))
        nodes.append(_pass(STATE_INPUT, STATE_OUTPUT))
    nodes.append(helper.make_node("Identity", [STRENGTH_INPUT], ["unused"]))
    outputs.append(_io("unused", strength[0], strength[1]))
    return inputs, outputs, nodes


BAD_GRAPHS = {
    "a second input nothing feeds": ([_io(FRAME_INPUT, U8, [H, W, 3]), _io("mask", U8, [H, W, 1])],
                                     [_io(FRAME_OUTPUT, U8, [H, W, 3])], [_pass(FRAME_INPUT, FRAME_OUTPUT)],
                                     "does not feed (mask)"),
    "an int64 picture": ([_io(FRAME_INPUT, I64, [H, W, 3])], [_io(FRAME_OUTPUT, I64, [H, W, 3])],
                         [_pass(FRAME_INPUT, FRAME_OUTPUT)], "int64"),
    "a float64 picture": ([_io("image", TensorProto.DOUBLE, [1, 3, H, W])],
                          [_io("sharpened", TensorProto.DOUBLE, [1, 3, H, W])], [_pass("image", "sharpened")],
                          "float64"),
    "a uint8 picture giving float": ([_io(FRAME_INPUT, U8, [H, W, 3])], [_io(FRAME_OUTPUT, F32, [H, W, 3])],
                                     [helper.make_node("Cast", [FRAME_INPUT], [FRAME_OUTPUT], to=F32)], "float32"),
    "a state of half the picture's size": (*_stateful([1, 3, H // 2, W // 2], [1, 3, H // 2, W // 2]), "'state' input"),
    "a state of 4 channels": (*_stateful([1, 4, H, W], [1, 4, H, W]), "'state' input"),
    "a state of rank 3": (*_stateful([3, H, W], [3, H, W]), "'state' input"),
    "an int64 state": (*_stateful([1, 3, H, W], [1, 3, H, W], state_kind=I64), "'state' input"),
    "a state without state_out": (*_stateful([1, 3, H, W], None), "no 'state_out'"),
    "an int64 strength": (*_stateful([1, 3, H, W], [1, 3, H, W], strength=(I64, [1])), "'strength' input"),
    "a strength of 3 values": (*_stateful([1, 3, H, W], [1, 3, H, W], strength=(F32, [3])), "'strength' input"),
}


def _backends_for(case: str) -> list[str]:
    """ONNX Runtime loads every graph; OpenVINO only the stateful frame graphs (it refuses others by their
    input names, tested elsewhere)."""
    names = {i.name for i in BAD_GRAPHS[case][0]}
    return ["onnxruntime", "openvino"] if names == {FRAME_INPUT, STATE_INPUT, STRENGTH_INPUT} else ["onnxruntime"]


@pytest.mark.parametrize("case, backend", [(c, b) for c in sorted(BAD_GRAPHS) for b in _backends_for(c)])
@deadline(30)
def test_a_graph_that_could_not_run_is_refused_at_load(tmp_path, capsys, case, backend):
    *graph, says = BAD_GRAPHS[case]
    model = _save(tmp_path / "bad.onnx", *graph)
    video = tmp_path / "out.avi"
    line = refused(cam_main, ["--model", str(model), "--backend", backend, "--source", "builtin",
                              "--sink", str(video), "--quiet"], capsys)
    assert says in line and "not a sharpcam graph" in line and not video.exists()


@deadline(30)
def test_a_well_formed_stateful_graph_still_runs(tmp_path, capsys):
    """The checks refuse only what cannot run: the same graph with a matching state goes through."""
    model = _save(tmp_path / "good.onnx", *_stateful([1, 3, H, W], [1, 3, H, W]))
    cam_main(["--model", str(model), "--backend", "onnxruntime", "--source", "builtin", "--sink", "null",
              "--frames", "3", "--quiet"])
    assert "error:" not in capsys.readouterr().err
