"""The one teacher cache: content-keyed, computed once, written atomically, shared by bank and evaluation."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import train.evaluation as evaluation
from train.teacher_cache import TeacherCache

OUT = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)


def test_the_same_key_computes_once_and_another_key_again(tmp_path):
    cache, calls = TeacherCache(tmp_path / "cache"), []

    def compute():
        calls.append(1)
        return OUT

    key = ["tag", "image-sha", {"kernel": 5, "sigma": 1.5}, "down2", "weights-sha"]
    assert np.array_equal(cache.get(key, compute), OUT) and len(calls) == 1
    assert np.array_equal(TeacherCache(tmp_path / "cache").get(key, compute), OUT) and len(calls) == 1
    cache.get([*key[:-1], "other-weights"], compute)
    cache.get([*key[:2], {"kernel": 7, "sigma": 1.5}, *key[3:]], compute)
    assert len(calls) == 3


def test_an_interrupted_write_leaves_neither_the_file_nor_a_temporary(tmp_path, monkeypatch):
    cache = TeacherCache(tmp_path)

    def torn(self: Path, data: bytes) -> None:  # half written, then the user presses Ctrl-C
        with open(self, "wb") as f:
            f.write(data[: len(data) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_bytes", torn)
    with pytest.raises(KeyboardInterrupt):
        cache.get(["k"], lambda: OUT)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_a_torn_file_from_an_older_writer_is_computed_again(tmp_path):
    cache = TeacherCache(tmp_path)
    cache.path(["k"]).write_bytes(b"\x93NUMPY torn")
    assert np.array_equal(cache.get(["k"], lambda: OUT), OUT)
    assert np.array_equal(np.load(cache.path(["k"])), OUT)


def test_evaluation_reads_the_files_its_earlier_versions_wrote(tmp_path, monkeypatch):
    """Cache files keep their names: the key is the evaluation's since its first version."""
    calls: list[tuple] = []

    def teacher(x: torch.Tensor) -> torch.Tensor:  # a x4 stand-in that counts its runs
        calls.append(tuple(x.shape))
        return F.interpolate(x, scale_factor=4, mode="nearest")

    monkeypatch.setattr(evaluation, "load_teacher", lambda weights: (teacher, "weights-sha"))
    params, degraded = {"kernel": 5, "sigma": 1.2}, np.full((16, 16, 3), 100, np.uint8)
    old_name = hashlib.sha256(json.dumps(["eval", "img-sha", params, "down2", "weights-sha"]).encode()).hexdigest()
    np.save(tmp_path / f"{old_name}.npy", OUT)
    run = evaluation.teacher_method(None, "down2", tmp_path)
    assert np.array_equal(run(degraded, "img-sha", params), OUT) and not calls
    fresh = run(degraded, "other-img", params)
    assert fresh.shape == degraded.shape and len(calls) == 1
    assert np.array_equal(run(degraded, "other-img", params), fresh) and len(calls) == 1
