"""Shared fixtures: a tiny corpus built from images scikit-image ships, written in seconds."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skimage
from PIL import Image

SK = Path(skimage.__file__).parent / "data"
MINI = [  # (file, category, split)
    ("astronaut.png", "people", "train"), ("coffee.png", "nature", "train"),
    ("chelsea.png", "animals", "train"), ("rocket.jpg", "nature", "train"),
    ("camera.png", "people", "val"), ("logo.png", "graphics", "test"), ("motorcycle_left.png", "nature", "test"),
]


def write_corpus(root: Path, items: list[tuple[str, str, str]], size: int = 160) -> Path:
    """Centre crops of `size` px (multiples of 8), RGB, plus a manifest in the corpus format."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    entries = []
    for name, cat, split in items:
        img = np.asarray(Image.open(SK / name).convert("RGB"))
        h, w = img.shape[:2]
        y, x = (h - size) // 2, (w - size) // 2
        ident = Path(name).stem
        Image.fromarray(img[y:y + size, x:x + size]).save(root / "images" / f"{ident}.png")
        entries.append({"id": ident, "file": f"images/{ident}.png", "category": cat, "group": ident,
                        "source": "scikit-image", "split": split})
    (root / "manifest.json").write_text(json.dumps({"version": 1, "entries": entries}))
    return root


@pytest.fixture(scope="session")
def mini_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"), MINI)
