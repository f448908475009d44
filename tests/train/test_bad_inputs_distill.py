"""train.distill fed bad resumes and arguments (issue 23): another student's or a tampered last.pt, a link
loop, --init of another architecture, --arch-args typos, a learning rate that diverges. Each: one "error:"
line and exit status 2 (or, for a divergence, the last good checkpoint kept), within a time limit."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch

from deadline import deadline
from refusals import refused
from train.checkpoint import FORMAT, load_checkpoint
from train.config import FAST_ARGS
from train.distill_cli import main as distill_main
from train.student import FastStudent

QUICK = ["--preset", "smoke", "--alpha", "1", "--steps-per-epoch", "2"]  # no teacher: seconds, not minutes


@pytest.fixture(scope="module")
def good_run(mini_corpus, tmp_path_factory) -> Path:
    """A finished two-epoch run to resume from (the same command again: its checks run, nothing is left to train)."""
    run = tmp_path_factory.mktemp("distill") / "run"
    distill_main([*QUICK, "--corpus", str(mini_corpus), "--run-dir", str(run), "--epochs", "2"])
    return run


def _fast_state() -> dict:
    return FastStudent(**FAST_ARGS).state_dict()


def _tamper(ckpt: dict, case: str) -> None:
    if case == "another architecture's weights":
        ckpt["state_dict"] = _fast_state()
    elif case == "a mismatched optimizer":
        ckpt["optimizer"] = torch.optim.Adam(FastStudent(**FAST_ARGS).parameters()).state_dict()
    elif case == "no optimizer":
        del ckpt["optimizer"]
    elif case == "a bad generator state":
        ckpt["generator"] = torch.zeros(3, dtype=torch.uint8)
    elif case == "history not a list":
        ckpt["history"] = "epoch 1"
    elif case == "epoch -3":
        ckpt["epoch"] = -3
    elif case == "epoch past the run":
        ckpt["epoch"] = 99
    elif case == "epoch 1 of a two-row history":
        ckpt["epoch"] = 1
    elif case == "epoch as text":
        ckpt["epoch"] = "1"
    elif case == "no model description":
        del ckpt["model"]
    elif case == "a string config":
        ckpt["config"] = "smoke"


TAMPERED = ["another architecture's weights", "a mismatched optimizer", "no optimizer", "a bad generator state",
            "history not a list", "epoch -3", "epoch past the run", "epoch 1 of a two-row history", "epoch as text", "no model description",
            "a string config"]


@pytest.mark.parametrize("case", TAMPERED)
@deadline(120)
def test_a_last_checkpoint_that_cannot_be_resumed_is_refused(good_run, mini_corpus, tmp_path, capsys, case):
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    ckpt = load_checkpoint(run / "last.pt")
    ckpt["config"]["run_dir"] = str(run)  # the copy's own folder: the same run, moved
    _tamper(ckpt, case)
    torch.save(ckpt, run / "last.pt")
    before = (run / "metrics.json").read_text()
    line = refused(distill_main, [*QUICK, "--corpus", str(mini_corpus), "--run-dir", str(run), "--epochs", "2"], capsys)
    assert ("different configuration" if case == "a string config" else "--fresh") in line
    assert (run / "metrics.json").read_text() == before  # nothing trained on top of it


@deadline(120)
def test_the_same_copy_untouched_resumes(good_run, mini_corpus, tmp_path, capsys):
    """The control: what the refusals above refuse is the tampering, not the copying."""
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    ckpt = load_checkpoint(run / "last.pt")
    ckpt["config"]["run_dir"] = str(run)
    torch.save(ckpt, run / "last.pt")
    distill_main([*QUICK, "--corpus", str(mini_corpus), "--run-dir", str(run), "--epochs", "2"])
    assert "resuming" in capsys.readouterr().out


@pytest.mark.parametrize("link", ["a loop", "a missing target"])
@deadline(60)
def test_a_last_checkpoint_link_to_nowhere_is_refused_not_a_silent_restart(mini_corpus, tmp_path, capsys, link):
    run = tmp_path / "run"
    run.mkdir()
    os.symlink("last.pt" if link == "a loop" else "gone.pt", run / "last.pt")
    line = refused(distill_main, [*QUICK, "--corpus", str(mini_corpus), "--run-dir", str(run)], capsys)
    assert "symbolic link" in line and "--fresh" in line


@deadline(60)
def test_init_from_another_architecture_is_refused(mini_corpus, tmp_path, capsys):
    other = tmp_path / "fast.pt"
    torch.save({"format": FORMAT, "model": {"name": "fast", "args": dict(FAST_ARGS)}, "state_dict": _fast_state()},
               other)
    line = refused(distill_main, [*QUICK, "--corpus", str(mini_corpus), "--run-dir", str(tmp_path / "run"),
                                  "--init", str(other)], capsys)
    assert "holds a fast student" in line


@pytest.mark.parametrize("argv, says", [
    (["--arch", "fast", "--arch-args", '{"chanels": 8}'], "no argument 'chanels'"),
    (["--arch", "fast", "--arch-args", '{"channels": "8"}'], "whole number"),
    (["--arch", "fast", "--arch-args", '{"channels": 8.5}'], "whole number"),
    (["--arch", "fast", "--arch-args", '{"blocks": 0}'], "at least 1"),
    (["--arch", "fast", "--arch-args", '{"luma": 1}'], "true or false"),
    (["--arch-args", '{"residual": "no"}'], "true or false"),
    (["--arch-args", '{"blocks": true}'], "whole number"),
    (["--arch-args", "[1, 2]"], "JSON object"),
    (["--arch-args", "{channels: 8}"], "not JSON"),
])
@deadline(30)
def test_arch_args_of_the_wrong_type_or_name_are_refused(tmp_path, capsys, argv, says):
    assert says in refused(distill_main, ["--preset", "smoke", "--run-dir", str(tmp_path / "run"), *argv], capsys)


@deadline(120)
def test_a_learning_rate_that_diverges_stops_and_saves_nothing_diverged(mini_corpus, tmp_path, capsys):
    run = tmp_path / "run"
    line = refused(distill_main, [*QUICK, "--corpus", str(mini_corpus), "--run-dir", str(run), "--lr", "1e30"],
                   capsys)
    assert "diverged" in line and "lower --lr" in line
    assert not (run / "best.pt").exists() and not (run / "last.pt").exists() and not (run / "metrics.json").exists()


@deadline(120)
def test_a_divergence_later_in_a_run_keeps_the_last_good_checkpoint(mini_corpus, tmp_path, monkeypatch):
    """The loss turns NaN in epoch 2: epoch 1's last.pt, best.pt and metrics stay as they were."""
    import train.distill as distill
    from train.losses import distill_loss
    calls = {"n": 0}

    def poisoned(*args, **kwargs):
        calls["n"] += 1
        loss, l1, mse = distill_loss(*args, **kwargs)
        return (loss * float("nan") if calls["n"] > 2 else loss), l1, mse
    monkeypatch.setattr(distill, "distill_loss", poisoned)
    run = tmp_path / "run"
    with pytest.raises(SystemExit):
        distill_main([*QUICK, "--corpus", str(mini_corpus), "--run-dir", str(run), "--epochs", "2"])
    assert load_checkpoint(run / "last.pt")["epoch"] == 1 and load_checkpoint(run / "best.pt")["epoch"] == 1
    history = json.loads((run / "metrics.json").read_text())
    assert len(history) == 1 and all(v is None or v == v for v in history[0].values())  # no NaN saved


@pytest.mark.parametrize("error", [torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB"),
                                   RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate "
                                                "21474836480 bytes")])
@deadline(120)
def test_an_out_of_memory_batch_is_one_line(mini_corpus, tmp_path, capsys, monkeypatch, error):
    """Stood in for (a real one would take the shared machine's memory): the allocator's own exceptions."""
    import train.distill as distill

    def exhausted(*args, **kwargs):
        raise error
    monkeypatch.setattr(distill, "sample_batch", exhausted)
    line = refused(distill_main, [*QUICK, "--corpus", str(mini_corpus), "--run-dir", str(tmp_path / "run")], capsys)
    assert "out of memory" in line and "--batch" in line


@deadline(60)
def test_a_corpus_without_training_patches_is_one_line(mini_corpus, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(mini_corpus, corpus)
    manifest = json.loads((corpus / "manifest.json").read_text())
    manifest["entries"] = [e for e in manifest["entries"] if e["split"] != "train"]
    (corpus / "manifest.json").write_text(json.dumps(manifest))
    line = refused(distill_main, [*QUICK, "--corpus", str(corpus), "--run-dir", str(tmp_path / "run")], capsys)
    assert "no training patches" in line
