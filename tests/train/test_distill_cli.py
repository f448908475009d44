"""`python -m train.distill` is one command in two files: train/distill.py trains, train/distill_cli.py turns
the command line into a TrainConfig. The command, its help and `sharpcam train` stay what they were."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import train.distill as distill
from runtime import cli
from test_import_rules import imported_modules
from train.distill_cli import main as distill_main

ROOT = Path(__file__).resolve().parents[2]


def test_the_training_module_holds_no_command_line():
    modules = {name for _, name in imported_modules(ROOT / "train" / "distill.py")}
    assert "argparse" not in modules and "train.distill_cli" in modules  # only its __main__ hands over
    assert not hasattr(distill, "parse_args") and not hasattr(distill, "main")


def test_python_m_train_distill_still_runs_the_command():
    proc = subprocess.run([sys.executable, "-m", "train.distill", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: distill.py")  # the command's own help, not a silent no-op
    assert distill.__doc__.splitlines()[0] in proc.stdout  # the training module's docstring describes it
    assert all(flag in proc.stdout for flag in ("--preset", "--arch-args", "--ship", "--fresh"))


def test_sharpcam_train_dispatches_to_the_command_line_module():
    assert hasattr(__import__(cli.COMMANDS["train"].module, fromlist=["main"]), "main")
