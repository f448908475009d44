"""What the wheel carries: every shipped student usable from a plain install (issue 22 item 13), the sdist
listing the same graphs setup.py packages."""
from __future__ import annotations

import fnmatch
import shutil
from pathlib import Path

import numpy as np
import pytest

from runtime import artifacts
from runtime.backends.factory import Request, open_backend

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def wheel_install(tmp_path, monkeypatch) -> Path:
    """The graphs as an installed wheel finds them: only runtime/graphs/, no checkout, an empty user cache."""
    graphs = tmp_path / "graphs"
    graphs.mkdir()
    for path in artifacts.CHECKOUT_ENGINES.iterdir():
        if artifacts.is_packaged(path.name):
            shutil.copy(path, graphs / path.name)
    monkeypatch.delenv(artifacts.ENV_FOLDER, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(artifacts, "in_checkout", lambda: False)
    monkeypatch.setattr(artifacts, "PACKAGED", graphs)
    return graphs


@pytest.mark.parametrize("student", artifacts.PACKAGED_STUDENTS)
@pytest.mark.parametrize("size", [None, (640, 480), (1280, 720)])
def test_every_packaged_student_runs_from_the_wheel_on_its_base_backend(wheel_install, student, size):
    backend, why = open_backend(Request(size, student, threads=1, backend="onnxruntime"))
    frame = np.full((*(size or (64, 48))[::-1], 3), 128, np.uint8)
    if backend.size is not None:
        assert tuple(backend.size) == tuple(size)
    out = backend.collect(backend.submit(frame))[0]
    assert out.shape == frame.shape, why


def test_the_python_api_finds_fast_by_name_from_the_wheel(wheel_install, tmp_path):
    import cv2
    from runtime.sharpen import RealTimeSharpener
    src = tmp_path / "in.png"
    cv2.imwrite(str(src), np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8))
    RealTimeSharpener("fast").sharpen_image(src, tmp_path / "out.png")
    assert cv2.imread(str(tmp_path / "out.png")).shape == (40, 56, 3)


def test_the_sdist_manifest_lists_every_packaged_graph():
    patterns = [word for line in (ROOT / "MANIFEST.in").read_text().splitlines()
                if line.startswith("include ") for word in line.split()[1:]]
    packaged = [f"engines/{p.name}" for p in artifacts.CHECKOUT_ENGINES.iterdir() if artifacts.is_packaged(p.name)]
    assert packaged and all(any(fnmatch.fnmatch(p, pat) for pat in patterns) for p in packaged)
