"""Image loading edge cases, corpus building, splits and the evaluation table."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from PIL import Image

from runtime.errors import SharpcamError
from train.corpus import Entry, assign_splits, build_corpus, group_of, summary, views
from train.evaluate import markdown
from train.evaluation import evaluate, summarize
from train.images import LoadReport, read_rgb


@pytest.fixture
def odd_images(tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (300, 400), dtype=np.uint8), "L").save(folder / "gray.png")
    Image.fromarray(rng.integers(0, 256, (300, 400, 4), dtype=np.uint8), "RGBA").save(folder / "rgba.png")
    Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)).save(folder / "good.jpg")
    Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(folder / "tiny.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return folder


def test_read_rgb_converts_and_skips(odd_images, capsys):
    report = LoadReport()
    loaded = {p.name: read_rgb(p, report, min_side=160) for p in sorted(odd_images.iterdir())}
    assert loaded["broken.png"] is None and loaded["tiny.png"] is None
    for name in ("gray.png", "rgba.png", "good.jpg"):
        assert loaded[name].shape == (300, 400, 3) and loaded[name].dtype == np.uint8
    assert len(report.converted) == 2 and len(report.skipped) == 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report.warn()
    assert not caught  # a plain line, not a Python warning with a file and line number (issue 22, item 16)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and all(line.startswith("note: ") for line in lines)  # one line per kind
    assert "broken.png" in lines[1] and "tiny.png" in lines[1]


def test_rgba_transparency_becomes_gray_not_black(tmp_path):
    path = tmp_path / "clear.png"
    Image.new("RGBA", (200, 200), (255, 0, 0, 0)).save(path)
    assert (read_rgb(path, LoadReport()) == 128).all()


def test_corpus_from_an_extra_folder(odd_images, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entries = build_corpus(tmp_path / "c", tmp_path / "cache", text_pages=0, debian=False,
                               extras=[(odd_images, "graphics")])
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert len(manifest["entries"]) == len(entries)
    extra = [e for e in entries if e.source.startswith("extra")]
    assert {e.id.split("-")[-2] for e in extra} == {"gray", "rgba", "good"}
    for e in entries:
        img = Image.open(tmp_path / "c" / e.file)
        assert img.mode == "RGB" and img.width % 8 == 0 and img.height % 8 == 0
        assert img.width <= 640 and img.height <= 480
    assert {e.split for e in entries} <= {"train", "val", "test"}
    assert "category" in summary(entries)


def test_reserved_sources_are_refused(tmp_path):
    reserved = tmp_path / "plasma-workspace-wallpapers"
    reserved.mkdir()
    with pytest.raises(SharpcamError, match="reserved"):
        build_corpus(tmp_path / "c", tmp_path / "cache", text_pages=0, debian=False, extras=[(reserved, "nature")])


def test_empty_corpus_is_a_clear_error(tmp_path, monkeypatch):
    import train.corpus as corpus
    monkeypatch.setattr(corpus, "collect_sources", lambda *_: [])
    with pytest.raises(SharpcamError, match="empty"):
        build_corpus(tmp_path / "c", tmp_path / "cache", text_pages=0, debian=False)


def test_splits_are_deterministic_and_keep_groups_together():
    def make():
        return [Entry(f"{g}-{v}", "", "nature", f"g{g}", "s") for g in range(30) for v in range(2)]
    a, b = make(), make()
    assign_splits(a)
    assign_splits(b)
    assert [e.split for e in a] == [e.split for e in b]
    for g in range(30):
        assert len({e.split for e in a if e.group == f"g{g}"}) == 1
    counts = {s: sum(e.split == s for e in a) for s in ("train", "val", "test")}
    assert counts["test"] >= 6 and counts["val"] >= 6 and counts["train"] > counts["test"]


def test_light_and_dark_variants_share_a_group(tmp_path):
    assert group_of(tmp_path / "gnome" / "grid-l.webp") == group_of(tmp_path / "gnome" / "grid-d.webp")


def test_views_never_upscale_and_add_native_crops():
    big = np.random.default_rng(0).integers(0, 256, (1200, 1600, 3), dtype=np.uint8)
    names = [n for n, v in views(big, detail=True)]
    assert names == ["full", "detail1", "detail2"]
    assert all(v.shape == (480, 640, 3) for _, v in views(big, detail=True))
    small = big[:300, :330]
    (name, v), = views(small, detail=True)
    assert v.shape == (296, 328, 3)


def test_evaluation_table(mini_corpus):
    methods = {"blurred input": lambda b, s, p: b, "perfect": None}
    truth = {}

    def perfect(blurred, sha, params):
        return truth[sha]

    from train.images import read_rgb as load
    import hashlib
    for f in (mini_corpus / "images").iterdir():
        img = load(f, LoadReport())
        truth[hashlib.sha256(img.tobytes()).hexdigest()] = img
    methods["perfect"] = perfect
    rows = evaluate(mini_corpus, "test", methods)
    table = summarize(rows, count_above_0_9=True)["benchmark"]
    assert table["perfect"]["all"]["ssim"] == pytest.approx(1.0)
    assert table["perfect"]["all"]["above_0_9"] == table["perfect"]["all"]["n"] == 2
    assert table["blurred input"]["all"]["ssim"] < 0.99
    text = markdown(table, "t")
    assert "| **all** | 2 |" in text and "graphics" in text and "**1.0000 (2/2)" in text
