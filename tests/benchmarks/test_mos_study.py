"""MOS study file: validation, per-rater order, and paths that must stay inside the study directory.

Also home of `fake_study`, the tiny study the other tests/benchmarks/test_mos_*.py files build in tmp_path.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.mos.study import from_dict, inside, load_study
from runtime.errors import SharpcamError

CATEGORIES = ("text", "nature", "animals", "people")


def version_level(index: int) -> int:
    """The gray level of every pixel of version number `index` in a fake study: tells versions apart."""
    return 40 + 60 * index


def fake_study(root: Path, n_images: int = 3, versions: tuple[str, ...] = ("blurred", "student"),
               raters: int | list[str] = 2, seed: int = 7, **extra: object) -> Path:
    """A study directory with flat-gray 48x32 PNGs: one per image and version."""
    images = []
    for i in range(n_images):
        ident = f"img{i}"
        for v, version in enumerate(versions):
            path = root / "images" / version / f"{ident}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((32, 48, 3), version_level(v), np.uint8)).save(path)
        images.append({"id": ident, "category": CATEGORIES[i % len(CATEGORIES)]})
    study = {"version": 1, "name": "fake", "seed": seed, "raters": raters, "versions": list(versions),
             "images": images} | extra
    (root / "study.json").write_text(json.dumps(study))
    return root


def test_study_lists_every_image_for_every_comparison(tmp_path):
    study = load_study(fake_study(tmp_path, n_images=3, versions=("blurred", "a", "b")))
    assert study.comparisons == [("blurred", "a"), ("blurred", "b"), ("a", "b")]  # default: every pair
    assert len(study.pairs) == 9 and study.raters == ["r01", "r02"]
    assert study.criteria == ["sharpness", "edges", "text", "natural"]
    assert {p.category for p in study.pairs.values()} == {"text", "nature", "animals"}
    assert study.image_path("img1", "b") == (tmp_path / "images/b/img1.png").resolve()


def test_order_is_fixed_by_seed_and_rater_and_covers_every_pair_once(tmp_path):
    study = load_study(fake_study(tmp_path, n_images=12))
    first = study.order("r01")
    assert first == study.order("r01")  # a resumed session sees the same sequence
    assert sorted(pid for pid, _ in first) == sorted(study.pairs)
    assert first != study.order("r02")
    swaps = [swapped for _, swapped in first]
    assert 0 < sum(swaps) < len(swaps)  # both sides get used (12 coin flips all equal: p = 1/2048)
    reseeded = load_study(fake_study(tmp_path / "other", n_images=12, seed=8))
    assert reseeded.order("r01") != first


def test_sides_follow_the_order(tmp_path):
    study = load_study(fake_study(tmp_path, n_images=6))
    for pid, swapped in study.order("r02"):
        a, b = study.pairs[pid].versions
        assert study.sides("r02", pid) == ((b, a) if swapped else (a, b))


@pytest.mark.parametrize("change, message", [
    ({"versions": ["blurred"]}, "at least two"),
    ({"versions": ["blurred", "blurred"]}, "unique"),
    ({"versions": ["blurred", "x/y"]}, "letters/digits"),
    ({"comparisons": [["blurred", "nope"]]}, "comparison"),
    ({"criteria": ["sharpness", "loudness"]}, "criteria"),
    ({"raters": 0}, "raters"),
    ({"raters": ["ok", "../bad"]}, "rater ids"),
    ({"raters": ["a", "a"]}, "rater ids"),
    ({"images": [{"id": "../etc"}]}, "bad image entry"),
    ({"images": [{"id": "img0"}, {"id": "img0"}]}, "twice"),
    ({"images": []}, "at least one image"),
    ({"layout": "images/{id}.png"}, "layout"),
    ({"seed": "x"}, "seed"),
    ({"version": 2}, "version"),
])
def test_bad_study_files_are_refused_with_the_field_to_fix(tmp_path, change, message):
    fake_study(tmp_path)
    data = json.loads((tmp_path / "study.json").read_text()) | change
    with pytest.raises(SharpcamError, match=message):
        from_dict(tmp_path, data)


def test_missing_image_is_refused_at_load_not_in_front_of_a_rater(tmp_path):
    fake_study(tmp_path)
    (tmp_path / "images/student/img2.png").unlink()
    with pytest.raises(SharpcamError, match="img2.png is missing"):
        load_study(tmp_path)


def test_no_study_and_broken_json_say_what_to_do(tmp_path):
    with pytest.raises(SharpcamError, match="prepare"):
        load_study(tmp_path)
    (tmp_path / "study.json").write_text("{")
    with pytest.raises(SharpcamError, match="not valid JSON"):
        load_study(tmp_path)


def test_inside_refuses_every_way_out(tmp_path):
    root = tmp_path / "study"
    (root / "images").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(root / "images" / "ok.png")
    Image.new("RGB", (8, 8)).save(tmp_path / "secret.png")
    (root / "images" / "out.png").symlink_to(tmp_path / "secret.png")
    (root / "images" / "in.png").symlink_to(root / "images" / "ok.png")
    (root / "images" / "dir").symlink_to(tmp_path)
    (root / "notes.txt").write_text("x")
    assert inside(root, "images/ok.png") == (root / "images/ok.png").resolve()
    assert inside(root, "images/in.png") == (root / "images/ok.png").resolve()  # a link within is fine
    for bad, why in [("../secret.png", "without '..'"), ("images/../../secret.png", "without '..'"),
                     (str(tmp_path / "secret.png"), "relative"), ("images\\..\\..\\secret.png", "relative"),
                     ("images/out.png", "outside"), ("images/dir/secret.png", "outside"),
                     ("images/none.png", "missing"), ("notes.txt", "images must be"), ("", "relative")]:
        with pytest.raises(SharpcamError, match=why):
            inside(root, bad)


def test_a_layout_or_symlink_leading_out_is_refused_at_load(tmp_path):
    root = fake_study(tmp_path / "study", layout="../{version}/{id}.png")
    with pytest.raises(SharpcamError, match="'..'"):
        load_study(root)
    root = fake_study(tmp_path / "study2")
    target = root / "images/student/img0.png"
    os.replace(target, tmp_path / "elsewhere.png")
    target.symlink_to(tmp_path / "elsewhere.png")
    with pytest.raises(SharpcamError, match="outside the study directory"):
        load_study(root)
