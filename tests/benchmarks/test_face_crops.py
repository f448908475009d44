"""Face crops: the crop goes where the skin is; texture tells wax from detail; the report runs end to end."""
from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.quality import face_crops


def test_the_crop_lands_on_the_skin_coloured_patch():
    img = np.full((200, 300, 3), 90, np.uint8)
    img[120:180, 200:260] = (224, 172, 150)  # a skin tone on a grey wall
    y, x, side = face_crops.face_box(img, side=64)
    assert side == 64 and y <= 120 and y + side >= 180 and x <= 200 and x + side >= 260


def test_no_skin_gives_the_centre():
    assert face_crops.face_box(np.full((100, 200, 3), (20, 200, 20), np.uint8), side=40) == (30, 80, 40)


def test_texture_falls_when_an_image_is_smoothed():
    cv2 = pytest.importorskip("cv2")
    noisy = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert face_crops.texture(cv2.GaussianBlur(noisy, (0, 0), 2)) < 0.5 * face_crops.texture(noisy)


def test_the_report_covers_each_people_image_condition_and_method(mini_corpus, tmp_path):
    out = tmp_path / "faces"
    face_crops.main(["--corpus", str(mini_corpus), "--split", "val", "--conditions", "office,lowlight",
                     "--model", "webcam=engines/webcam.onnx", "--out", str(out)])
    rows = json.loads(out.with_suffix(".json").read_text())["rows"]
    assert {(r["condition"], r["method"]) for r in rows} == {(c, m) for c in ("office", "lowlight")
                                                              for m in ("input", "nlm+unsharp", "webcam")}
    assert out.with_suffix(".png").stat().st_size > 10_000
    assert "| camera | office |" in out.with_suffix(".md").read_text()
