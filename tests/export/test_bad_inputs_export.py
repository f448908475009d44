"""python -m export --name: a bare file-name stem, refused at parse time otherwise (issue 23: '../escaped'
wrote outside --out)."""
from __future__ import annotations

from pathlib import Path

import pytest

from deadline import deadline
from export.__main__ import main as export_main
from refusals import refused


@pytest.mark.parametrize("name", ["../escaped", "../../x", "a/b", "/abs/path", ".hidden", "", "x" * 65, "a\\b",
                                  "name with spaces", "tab\tname"])
@deadline(30)
def test_a_name_that_is_not_a_bare_file_stem_is_refused(tmp_path, capsys, name):
    checkpoint = tmp_path / "student.pt"
    checkpoint.write_bytes(b"never read: the name is refused first")
    out = tmp_path / "deep" / "engines"
    line = refused(export_main, ["--checkpoint", str(checkpoint), "--name", name, "--out", str(out)], capsys)
    assert "file-name stem" in line
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["student.pt"]  # nothing written, inside or out


@pytest.mark.parametrize("student, target", [("large", "make train-large"), ("medium", "make train-medium"),
                                             ("webcam", "make train")])
@deadline(30)
def test_a_family_student_without_a_checkpoint_names_the_target_that_trains_it(tmp_path, capsys, monkeypatch,
                                                                               student, target):
    import export.__main__ as export_cli
    monkeypatch.setattr(export_cli, "checkpoint_path", lambda name: tmp_path / f"{name}.pt")  # none trained here
    line = refused(export_main, ["--students", student, "--onnx-only", "--out", str(tmp_path / "out")], capsys)
    assert f"'{target}'" in line and f"{student}.pt not found" in line
