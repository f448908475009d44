"""`sharpcam sharpen` writes files like its input: phone photos upright with their EXIF and ICC profile, the
input's format and quality, palette and gray+alpha PNGs, lossy WebP (issue 22, items 9 and 10)."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps

from runtime.image_meta import apply_orientation, orientation, read_info
from runtime.sharpen import main as sharpen_main

ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def scene(height: int = 96, width: int = 128, seed: int = 0) -> np.ndarray:
    """RGB with a bright top-left corner (to see which way is up) on a smooth textured field."""
    rng = np.random.default_rng(seed)
    field = np.kron(rng.integers(40, 200, (height // 8, width // 8, 3)), np.ones((8, 8, 1))).astype(np.uint8)
    field[: height // 4, : width // 4] = 250
    return field


def phone_jpeg(path: Path, orientation_tag: int, quality: int = 75) -> Image.Image:
    """A JPEG as a phone writes it: pixels stored sideways, EXIF orientation, camera tags, an ICC profile."""
    image = Image.fromarray(scene())
    exif = Image.Exif()
    exif[0x0112] = orientation_tag
    exif[0x010F], exif[0x0110] = "PhoneMaker", "Phone 12"  # Make, Model
    image.save(path, quality=quality, exif=exif.tobytes(), icc_profile=ICC)
    return image


def sharpen(*args: str) -> None:
    sharpen_main([*args, "--strength", "0"])


@pytest.mark.parametrize("tag", [1, 3, 6, 8, 5, 7, 2, 4])
def test_a_phone_photo_comes_out_upright_with_its_exif_and_icc_profile(tmp_path, tag):
    src, dst = tmp_path / "IMG_1.jpg", tmp_path / "out.jpg"
    phone_jpeg(src, tag)
    sharpen(str(src), "-o", str(dst))
    with Image.open(src) as before, Image.open(dst) as after:
        shown_before = np.asarray(ImageOps.exif_transpose(before), np.int16)
        shown_after = np.asarray(ImageOps.exif_transpose(after), np.int16)  # what a viewer shows
        assert after.info.get("icc_profile") == ICC
        exif = after.getexif()
        assert (exif.get(0x010F), exif.get(0x0110)) == ("PhoneMaker", "Phone 12")
    assert shown_after.shape == shown_before.shape
    assert np.abs(shown_after - shown_before).mean() < 4  # strength 0: the same picture, the same way up


def test_orientation_matches_pillow_for_all_eight_values():
    stored = scene(16, 24)
    for tag in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = tag
        raw = exif.tobytes()[6:] if exif.tobytes().startswith(b"Exif") else exif.tobytes()
        assert orientation(raw) == tag
        shown = np.asarray(ImageOps.exif_transpose(_with_exif(stored, exif)))
        assert (apply_orientation(stored, tag) == shown).all(), tag


def _with_exif(pixels: np.ndarray, exif: Image.Exif) -> Image.Image:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", exif=exif.tobytes())
    buffer.seek(0)
    return Image.open(buffer)


def test_a_jpeg_keeps_about_its_quality_and_size(tmp_path):
    src = tmp_path / "photo.jpg"
    Image.fromarray(scene(480, 640)).save(src, quality=70)
    sharpen(str(src), "-o", str(tmp_path / "out.jpg"))
    assert read_info(src.read_bytes()).jpeg_quality == pytest.approx(70, abs=2)
    assert read_info((tmp_path / "out.jpg").read_bytes()).jpeg_quality == pytest.approx(70, abs=2)
    assert (tmp_path / "out.jpg").stat().st_size < 1.3 * src.stat().st_size  # not q95's near-double


def test_quality_and_ext_and_suffix_choose_the_output(tmp_path):
    src = tmp_path / "photo.png"
    Image.fromarray(scene()).save(src)
    sharpen(str(src), "-o", str(tmp_path / "out"), "--ext", "jpg", "--quality", "40", "--suffix", "_x")
    out = tmp_path / "out" / "photo_x.jpg"
    assert read_info(out.read_bytes()).jpeg_quality == pytest.approx(40, abs=2)


def test_a_lossy_webp_stays_lossy(tmp_path):
    src = tmp_path / "photo.webp"
    Image.fromarray(scene(240, 320)).save(src, quality=75)
    sharpen(str(src), "-o", str(tmp_path / "out"))
    out = tmp_path / "out" / "photo.webp"
    assert read_info(out.read_bytes()).webp_lossy
    assert out.stat().st_size < 2 * src.stat().st_size


def test_a_palette_png_stays_a_palette_png(tmp_path):
    src = tmp_path / "icon.png"
    Image.fromarray(scene(120, 160)).quantize(32).save(src)
    sharpen(str(src), "-o", str(tmp_path / "out"))
    with Image.open(src) as before, Image.open(tmp_path / "out" / "icon.png") as after:
        assert after.mode == "P"
        assert after.getpalette() == before.getpalette()
        assert np.abs(np.asarray(after.convert("RGB"), np.int16)
                      - np.asarray(before.convert("RGB"), np.int16)).mean() < 2


def test_gray_with_alpha_stays_gray_with_alpha(tmp_path):
    src = tmp_path / "mask.png"
    gray = scene()[..., 0]
    alpha = np.tile(np.linspace(0, 255, 128).astype(np.uint8), (96, 1))
    Image.fromarray(np.dstack([gray, alpha]), "LA").save(src)
    sharpen(str(src), "-o", str(tmp_path / "out"))
    with Image.open(tmp_path / "out" / "mask.png") as after:
        assert after.mode == "LA"
        pixels = np.asarray(after)
    assert (pixels[..., 1] == alpha).all()
    assert np.abs(pixels[..., 0].astype(np.int16) - gray).max() <= 2


def test_webp_and_png_keep_the_icc_profile_and_exif(tmp_path):
    for name in ("a.webp", "b.png"):
        exif = Image.Exif()
        exif[0x010F] = "Maker"
        Image.fromarray(scene()).save(tmp_path / name, exif=exif.tobytes(), icc_profile=ICC)
        sharpen(str(tmp_path / name), "-o", str(tmp_path / f"out_{name}"))
        with Image.open(tmp_path / f"out_{name}") as after:
            after.load()
            assert after.info.get("icc_profile") == ICC, name
            assert after.getexif().get(0x010F) == "Maker", name


def test_a_cmyk_profile_is_not_put_on_rgb_pixels(tmp_path):
    src = tmp_path / "print.jpg"
    cmyk_profile = b"\0" * 16 + b"CMYK" + b"\0" * 108  # the colour space field is what counts
    Image.fromarray(scene()).convert("CMYK").save(src, icc_profile=cmyk_profile)
    sharpen(str(src), "-o", str(tmp_path / "out.jpg"))
    with Image.open(tmp_path / "out.jpg") as after:
        assert after.mode == "RGB" and "icc_profile" not in after.info


@pytest.mark.parametrize("source,output", [("a.jpg", "o.jpg"), ("a.jpg", "o.png"), ("a.png", "o.jpg"),
                                           ("a.png", "o.png")])
def test_the_print_size_is_kept(tmp_path, source, output):
    """A 300 dpi scan stays 300 dpi (JFIF density, PNG pHYs), as photo tools keep it; OpenCV alone writes 1:1."""
    Image.fromarray(scene()).save(tmp_path / source, dpi=(300, 150))
    sharpen(str(tmp_path / source), "-o", str(tmp_path / output))
    with Image.open(tmp_path / output) as after:
        assert after.info.get("dpi") == pytest.approx((300, 150), abs=0.02)  # PNG: whole pixels per metre


def test_an_aspect_only_density_adds_no_print_size(tmp_path):
    Image.fromarray(scene()).save(tmp_path / "a.png")  # no pHYs
    sharpen(str(tmp_path / "a.png"), "-o", str(tmp_path / "o.jpg"))
    assert read_info((tmp_path / "o.jpg").read_bytes()).dpi is None
