"""Shared fixtures: a tiny corpus built from images scikit-image ships, written in seconds."""
from __future__ import annotations

from pathlib import Path

import pytest

from train.corpus import write_sample_corpus


@pytest.fixture(autouse=True)
def own_settings_file(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test (and the commands it starts) reads and writes its own settings file, never the user's
    (runtime/settings.py): what `sharpcam app` remembers must not leak into another test's `cam`."""
    path = tmp_path_factory.mktemp("config") / "settings.json"
    monkeypatch.setenv("SHARPCAM_CONFIG", str(path))
    return path


@pytest.fixture(scope="session")
def mini_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def aot_engine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The webcam student as a CPU .pt2 engine at tests/aot_engines.py's SIZE, built once per session."""
    from aot_engines import build_cpu_engine
    return build_cpu_engine(tmp_path_factory.mktemp("aot") / "webcam_test.pt2")


@pytest.fixture(scope="session")
def aot_batched_engine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same, taking up to 4 streams per call."""
    from aot_engines import build_cpu_engine
    return build_cpu_engine(tmp_path_factory.mktemp("aot") / "webcam_test_b4.pt2", batch=4)
