"""The family frontier: tiny students saved the trainer's way, timed through OpenVINO, scored by the
trainer's validation, and the Pareto front of a hand-made table."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from benchmarks.quality import family_frontier
from benchmarks.quality.family_frontier_report import pareto_front
from train.checkpoint import FORMAT, save_atomic
from train.config import TrainConfig
from train.corpus import load_manifest
from train.student import build_student
from train.validate import Validator

CONDITIONS = ("benchmark", "office")
VAL = ["--conditions", ",".join(CONDITIONS), "--val-size", "64", "--val-max", "1"]


def save_student(path: Path, channels: int, blocks: int, init: str | None, seed: int) -> Path:
    """A random FastStudent, in the file layout train/distill.py's _save_epoch writes."""
    torch.manual_seed(seed)
    args = {"channels": channels, "blocks": blocks, "scale": 2, "luma": False, "rep": False}
    model = build_student("fast", args)
    cfg = TrainConfig(student="fast", student_args=args, init=init)
    history = [{"epoch": e, "val_ssim": 0.5 + e / 100} for e in (1, 2, 3)]
    path.parent.mkdir(parents=True, exist_ok=True)
    save_atomic({"format": FORMAT, "model": {"name": "fast", "args": args}, "state_dict": model.state_dict(),
                 "epoch": 2, "best_val_ssim": 0.52, "history": history, "config": cfg.to_dict()}, path)
    return path


@pytest.fixture(scope="module")
def frontier(tmp_path_factory, mini_corpus):
    root = tmp_path_factory.mktemp("frontier")
    small = save_student(root / "small.pt", 4, 1, None, 0)
    save_student(root / "run" / "best.pt", 8, 2, str(small), 1)  # given as a run folder
    history = [{"epoch": e, "val_ssim": 0.5 + e / 100} for e in (1, 2, 3, 4)]  # the run went on past best.pt
    (root / "run" / "metrics.json").write_text(json.dumps(history))
    out = root / "out" / "frontier"
    points = family_frontier.main(["--shipped", f"S={small}", "--shape", f"wide={root / 'run'}",
                                   "--shape", f"narrow={save_student(root / 'n.pt', 6, 1, str(small), 2)}",
                                   "--corpus", str(mini_corpus), *VAL, "--rounds", "2", "--frames", "1",
                                   "--work", str(root / "work"), "--out", str(out)])
    return {p.label: p for p in points}, out, mini_corpus


def test_every_shape_is_timed_through_openvino_against_s(frontier):
    points, _, _ = frontier
    assert list(points) == ["S", "wide", "narrow"]
    assert all(len(p.ms_rounds) == 2 and p.ms > 0 for p in points.values())
    assert points["S"].cost_vs_s == 1.0
    # more multiply-adds per pixel, counted from the graph: 8 ch x 2 blocks > 6 x 1 > 4 x 1
    assert points["wide"].macs_per_pixel > points["narrow"].macs_per_pixel > points["S"].macs_per_pixel
    assert points["wide"].epoch == 2 and points["wide"].epochs_run == 4 and points["wide"].start.endswith("small.pt")
    assert points["S"].start == "scratch" and points["S"].shipped and not points["wide"].shipped


def test_validation_ssim_is_the_trainers_per_condition(frontier):
    """The mean over conditions is what the trainer's own Validator scores over all of them at once."""
    points, _, corpus = frontier
    from train.checkpoint import student_from_checkpoint
    student, _ = student_from_checkpoint(points["wide"].checkpoint)
    val = [e for e in load_manifest(corpus) if e.split == "val"]
    trainer_score, _ = Validator(val, corpus, 64, 1, CONDITIONS)(student)
    ssim = points["wide"].val_ssim
    assert set(ssim) == {*CONDITIONS, "mean"} and ssim["benchmark"] != ssim["office"]
    assert ssim["mean"] == pytest.approx(trainer_score, abs=1e-6)


def test_the_report_files_are_written(frontier):
    points, out, _ = frontier
    data = json.loads(out.with_suffix(".json").read_text())
    assert [s["label"] for s in data["shapes"]] == ["S", "wide", "narrow"]
    md = out.with_suffix(".md").read_text()
    assert "| S * | 4 ch x 1 blocks, unshuffle 2 | scratch | 2 (of 3) |" in md
    assert "| wide | 8 ch x 2 blocks, unshuffle 2 | grown from small.pt |" in md
    assert "| wide | 0.5100 | 0.5200 | 0.5300 | 0.5400 |" in md  # the whole run's curve: its metrics.json
    assert "| narrow | 0.5100 | 0.5200 | 0.5300 |" in md  # no metrics.json: the checkpoint's own history
    assert out.with_suffix(".png").stat().st_size > 5000


def test_the_pareto_front_keeps_only_points_nothing_beats():
    table = [("a", 10.0, 0.80), ("b", 20.0, 0.85), ("c", 25.0, 0.84),  # c: dearer and worse than b
             ("d", 30.0, 0.90), ("e", 30.0, 0.88),  # e: as dear as d and worse
             ("f", 5.0, 0.70), ("g", 40.0, 0.90)]  # g: dearer than d, no better
    assert pareto_front(table) == ["f", "a", "b", "d"]
    assert pareto_front(list(reversed(table))) == ["f", "a", "b", "d"]


def test_a_label_that_is_no_file_name_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        family_frontier.main(["--shape", f"../x={tmp_path}"])
    assert exit_.value.code == 2 and "file-name stem" in capsys.readouterr().err


def test_a_missing_checkpoint_says_what_to_give(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        family_frontier.main(["--shipped", f"S={tmp_path / 'none.pt'}", "--shape", f"x={tmp_path / 'no.pt'}",
                              "--out", str(tmp_path / "o")])
    assert exit_.value.code == 2 and "best.pt" in capsys.readouterr().err
