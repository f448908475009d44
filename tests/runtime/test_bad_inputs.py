"""Every entry point fed the bad inputs of issue 14: each ends with one "error:" line, exit status 2, no
traceback, and leaves no output under a final name. Entry points are called in-process (main(argv))."""
from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from benchmarks.speed.fps import main as fps_main
from benchmarks.speed.fps import measure, parse_args as fps_args
from benchmarks.mos.__main__ import main as mos_main
from export.__main__ import main as export_main
from runtime.cam import main as cam_main
from runtime.contract import FRAME_INPUT, FRAME_OUTPUT
from train.distill_cli import main as distill_main


def refused(main, argv: list[str], capsys) -> str:
    """Run an entry point that must refuse; return its error line."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    assert "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert "error:" in last, err
    return last


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def blocker(tmp_path: Path) -> Path:
    """A file where an output folder would have to be."""
    path = tmp_path / "blocker"
    path.write_text("in the way")
    return path


# runtime.cam ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, says", [
    (["--frames", "0"], "at least 1"), (["--frames", "-5"], "at least 1"), (["--threads", "1000"], "must be from 0"),
    (["--size", "0x480"], "positive"), (["--fps", "0"], "above 0"), (["--strength", "2"], "strength"),
])
def test_cam_options_are_checked_at_parse_time(argv, says, capsys):
    assert says in refused(cam_main, ["--source", "builtin", "--sink", "null", *argv], capsys)


def test_cam_output_paths_are_checked_before_the_run(tmp_path, blocker, capsys):
    video = tmp_path / "out.avi"
    for stats, says in ((blocker / "stats.json", "is a file"), (tmp_path, "is a folder")):
        line = refused(cam_main, ["--source", "builtin", "--sink", str(video), "--stats", str(stats)], capsys)
        assert says in line and not video.exists()  # refused before the sink opened
    assert "unknown sink" in refused(cam_main, ["--source", "builtin", "--sink", str(tmp_path / "o.xyz")], capsys)
    refused(cam_main, ["--source", "builtin", "--sink", str(blocker / "out.mp4")], capsys)
    assert files_under(tmp_path) == {"blocker"}


def test_an_unreadable_image_source_is_an_error_not_zero_frames(tmp_path, capsys):
    junk = tmp_path / "photo.jpg"
    junk.write_bytes(b"\xff\xd8 not really a JPEG")
    stats = tmp_path / "stats.json"
    refused(cam_main, ["--source", str(junk), "--sink", "null", "--stats", str(stats), "--quiet"], capsys)
    assert not stats.exists()


def _graph(path: Path, in_shape: list[int], out_shape: list[int]) -> Path:
    """A uint8 graph that is not a sharpcam frame graph: a channel reduction or a single-channel input."""
    reduce = helper.make_node("ReduceMax", [FRAME_INPUT], [FRAME_OUTPUT], axes=[2], keepdims=len(out_shape) == 3)
    graph = helper.make_graph([reduce], "foreign", [helper.make_tensor_value_info(FRAME_INPUT, TensorProto.UINT8, in_shape)],
                              [helper.make_tensor_value_info(FRAME_OUTPUT, TensorProto.UINT8, out_shape)])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


@pytest.mark.parametrize("in_shape, out_shape, role", [([48, 64, 3], [48, 64], "output"),
                                                        ([48, 64, 1], [48, 64, 1], "input")])
def test_a_graph_that_does_not_give_pictures_is_refused_at_load(tmp_path, capsys, in_shape, out_shape, role):
    model = _graph(tmp_path / "foreign.onnx", in_shape, out_shape)
    video = tmp_path / "out.avi"
    line = refused(cam_main, ["--model", str(model), "--source", "builtin", "--sink", str(video)], capsys)
    assert f"its {role} is" in line and "not a sharpcam graph" in line and not video.exists()


def test_a_missing_model_is_one_line(tmp_path, capsys):
    assert "not found" in refused(cam_main, ["--model", str(tmp_path / "x.onnx"), "--source", "builtin",
                                             "--sink", "null"], capsys)


# benchmarks/speed/fps.py -------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, says", [
    (["--resolutions", "4k"], "480p, 720p, 1080p"), (["--backends", "warp-drive"], "ort-cpu"),
    (["--timeout", "0"], "above 0"), (["--repeats", "0"], "at least 1"), (["--students", "tiny"], "webcam"),
])
def test_fps_options_are_checked_at_parse_time(argv, says, capsys):
    assert says in refused(fps_main, argv, capsys)


def test_fps_output_paths_are_checked_before_measuring(tmp_path, blocker, capsys):
    assert "is a file" in refused(fps_main, ["--quick", "--out", str(blocker / "report")], capsys)
    assert "is a folder" in refused(fps_main, ["--quick", "--out", str(tmp_path / "r"), "--json", str(tmp_path)],
                                    capsys)
    assert not (tmp_path / "r" / "fps.md").exists()


def test_fps_a_measurement_past_the_timeout_is_a_failed_row_and_the_report_is_written(tmp_path):
    args = fps_args(["--quick", "--timeout", "0.05", "--out", str(tmp_path)])
    row = measure("webcam", "ort-cpu", "480p", args)
    assert row["error"] == ["timed out after 0.05 s (--timeout)"] and row["backend"] == "ort-cpu"
    report = fps_main(["--quick", "--timeout", "0.05", "--out", str(tmp_path)])
    assert "timed out" in report["results"][0]["error"][0]
    assert json.loads((tmp_path / "fps.json").read_text())["results"][0]["error"]
    assert (tmp_path / "fps.md").exists()


# export --------------------------------------------------------------------------------------------------------
def test_export_refuses_bad_inputs_before_writing_anything(tmp_path, blocker, capsys):
    assert "480p" in refused(export_main, ["--resolutions", "4k"], capsys)
    assert "choose students" in refused(export_main, ["--students", "tiny"], capsys)
    assert "is a file" in refused(export_main, ["--students", "fast", "--out", str(blocker / "engines")], capsys)
    line = refused(export_main, ["--checkpoint", str(tmp_path / "none.pt"), "--name", "x", "--out",
                                 str(tmp_path / "out")], capsys)
    assert "not found" in line and not (tmp_path / "out").exists()


# train.distill -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, says", [
    (["--batch", "0"], "at least 1"), (["--crop", "0"], "at least 1"), (["--steps-per-epoch", "0"], "at least 1"),
    (["--epochs", "0"], "at least 1"), (["--lr", "-0.001"], "above 0"), (["--lr", "nan"], "above 0"),
    (["--alpha", "1.5"], "from 0 to 1"), (["--threads", "1000"], "must be from 0"),
])
def test_distill_options_are_checked_at_parse_time(argv, says, capsys):
    assert says in refused(distill_main, ["--preset", "smoke", *argv], capsys)


@pytest.mark.parametrize("manifest", ["{not json", json.dumps({"version": 1}), json.dumps({"entries": [{"id": "a"}]}),
                                      json.dumps({"entries": "images/"})])
def test_a_malformed_manifest_is_refused_and_the_run_folders_config_kept(tmp_path, capsys, manifest):
    corpus, run = tmp_path / "corpus", tmp_path / "run"
    corpus.mkdir()
    run.mkdir()
    (corpus / "manifest.json").write_text(manifest)
    (run / "config.json").write_text("the previous run's")
    line = refused(distill_main, ["--preset", "smoke", "--corpus", str(corpus), "--run-dir", str(run)], capsys)
    assert "malformed" in line and "make corpus" in line
    assert (run / "config.json").read_text() == "the previous run's" and files_under(run) == {"config.json"}


def test_a_corrupt_last_checkpoint_says_how_to_recover(tmp_path, mini_corpus, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "last.pt").write_bytes(b"truncated by a full disk")
    (run / "best.pt").write_bytes(b"")
    (run / "config.json").write_text("the previous run's")
    line = refused(distill_main, ["--preset", "smoke", "--corpus", str(mini_corpus), "--run-dir", str(run)], capsys)
    assert "--fresh" in line and f"cp {run / 'best.pt'} {run / 'last.pt'}" in line
    assert (run / "config.json").read_text() == "the previous run's"


def test_distill_run_dir_in_the_way(blocker, mini_corpus, capsys):
    line = refused(distill_main, ["--preset", "smoke", "--corpus", str(mini_corpus), "--run-dir", str(blocker / "run")],
                   capsys)
    assert "is a file" in line


# MOS -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_mos_port_is_checked_at_parse_time(tmp_path, port, capsys):
    assert "--port" in refused(mos_main, ["serve", str(tmp_path), "--port", port], capsys)


def test_mos_prepare_output_in_the_way_and_missing_study(tmp_path, blocker, capsys):
    assert "is a file" in refused(mos_main, ["prepare", str(tmp_path), "--out", str(blocker / "study")], capsys)
    refused(mos_main, ["report", str(tmp_path / "no-study")], capsys)


def test_corpus_and_evaluate_outputs_in_the_way(blocker, mini_corpus, capsys):
    from train.corpus import main as corpus_main
    from train.evaluate import main as evaluate_main
    assert "is a file" in refused(corpus_main, ["--out", str(blocker / "corpus"), "--no-debian"], capsys)
    assert "is a file" in refused(evaluate_main, ["--corpus", str(mini_corpus), "--no-teacher",
                                                  "--out", str(blocker / "quality")], capsys)
