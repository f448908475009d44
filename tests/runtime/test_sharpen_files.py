"""`sharpcam sharpen`: folders, bad files skipped and counted, atomic writes, 16-bit kept, --tile validated."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from runtime.errors import SharpcamError
from runtime.sharpen import RealTimeSharpener, check_tile, main as sharpen_main


def photo(seed: int = 0, size: tuple[int, int] = (96, 128)) -> np.ndarray:
    noise = np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)
    return cv2.GaussianBlur(noise, (5, 5), 1.5)


@pytest.fixture
def album(tmp_path) -> Path:
    root = tmp_path / "album"
    (root / "sub").mkdir(parents=True)
    cv2.imwrite(str(root / "a.png"), photo(0))
    cv2.imwrite(str(root / "b.jpg"), photo(1))
    cv2.imwrite(str(root / "sub" / "c.png"), photo(2))
    (root / "broken.png").write_bytes(b"\x89PNG truncated")
    (root / "notes.txt").write_text("not an image")
    return root


def test_a_folder_keeps_going_past_a_bad_file_and_says_so(album, tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        sharpen_main([str(album), "-o", str(out)])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "broken.png" in err and "1 of 3 images failed" in err
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.jpg"]  # not recursive by default
    assert cv2.imread(str(out / "a.png")).shape == (96, 128, 3)


def test_recursive_keeps_the_layout_and_a_clean_run_exits_zero(album, tmp_path):
    (album / "broken.png").unlink()
    out = tmp_path / "out"
    sharpen_main([str(album), "-o", str(out), "--recursive"])  # no SystemExit: status 0
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.*")) == ["a.png", "b.jpg", "sub/c.png"]
    assert not list(out.rglob(".*"))  # no temporary file left behind


def test_writes_are_atomic_even_when_one_fails(tmp_path, capsys):
    src = tmp_path / "a.png"
    cv2.imwrite(str(src), photo(0))
    out = tmp_path / "out"
    (out / "a.png").mkdir(parents=True)  # the final name is taken by a folder: the rename must fail
    with pytest.raises(SystemExit):
        sharpen_main([str(src), "-o", str(out)])
    assert "cannot write" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["a.png"]  # the temporary file was removed


def test_sixteen_bit_images_stay_sixteen_bit(tmp_path):
    base = photo(3).astype(np.uint16) * 257 + np.random.default_rng(4).integers(0, 200, (96, 128, 3)).astype(np.uint16)
    src = tmp_path / "deep.png"
    cv2.imwrite(str(src), base)
    off = RealTimeSharpener(strength=0.0)
    off.sharpen_image(src, tmp_path / "off.png")
    kept = cv2.imread(str(tmp_path / "off.png"), cv2.IMREAD_UNCHANGED)
    assert kept.dtype == np.uint16 and (kept == base).all()  # strength 0: every 16-bit value as it was
    full = RealTimeSharpener()
    full.sharpen_image(src, tmp_path / "full.png")
    deep = cv2.imread(str(tmp_path / "full.png"), cv2.IMREAD_UNCHANGED)
    eight = full.sharpen(((base.astype(np.uint32) + 128) // 257).astype(np.uint8))
    assert deep.dtype == np.uint16
    assert np.abs((deep.astype(np.int64) + 128) // 257 - eight).max() <= 1  # the same correction as 8-bit
    assert len(np.unique(deep % 257)) > 50  # and the fine levels below 8 bits survive


@pytest.mark.parametrize("tile", ["0", "-100", "20", "100", "abc"])
def test_bad_tiles_are_refused_when_parsed(tile, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        sharpen_main(["x.png", "-o", str(tmp_path), "--tile", tile])
    assert exit_.value.code == 2 and "tile must be" in capsys.readouterr().err


def test_the_api_checks_tiles_against_the_model():
    assert check_tile(64, 16, 4) == 64
    with pytest.raises(SharpcamError, match="multiple of 4"):
        check_tile(66, 16, 4)
    with pytest.raises(SharpcamError):
        RealTimeSharpener(tile=32)  # no room left inside a 16-pixel overlap on each side
