"""Shared fixtures: a tiny corpus built from images scikit-image ships, written in seconds."""
from __future__ import annotations

from pathlib import Path

import pytest

from train.corpus import write_sample_corpus


@pytest.fixture(scope="session")
def mini_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_corpus(tmp_path_factory.mktemp("corpus"))
