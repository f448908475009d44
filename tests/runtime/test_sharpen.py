"""The image sharpener's tiles: seamless, a fixed-size graph's tiles padded, and every model call at one size
for a backend that compiles per size (OpenVINO)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from runtime.sharpen import COMPILE_STEP, ImageSharpener, RealTimeSharpener, main as sharpen_main
from tiny_graphs import export_tiny_graphs


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    return export_tiny_graphs(tmp_path_factory.mktemp("graphs"))


def test_sharpen_files_keeps_names_modes_and_tiles_seamlessly(graphs, tmp_path):
    rng = np.random.default_rng(0)
    color = cv2.GaussianBlur(rng.integers(0, 256, (300, 420, 3), dtype=np.uint8), (5, 5), 1.5)
    cv2.imwrite(str(tmp_path / "color.png"), color)
    cv2.imwrite(str(tmp_path / "gray.png"), color[..., 0])
    cv2.imwrite(str(tmp_path / "alpha.png"), np.dstack([color, np.full(color.shape[:2], 77, np.uint8)]))
    sharpen_main([str(tmp_path / n) for n in ("color.png", "gray.png", "alpha.png")] +
                 ["-o", str(tmp_path / "out"), "--model", str(graphs["float"])])
    assert cv2.imread(str(tmp_path / "out" / "gray.png"), cv2.IMREAD_UNCHANGED).ndim == 2
    alpha = cv2.imread(str(tmp_path / "out" / "alpha.png"), cv2.IMREAD_UNCHANGED)
    assert alpha.shape == (300, 420, 4) and (alpha[..., 3] == 77).all()
    whole = RealTimeSharpener(graphs["float"], tile=1024).sharpen(color)
    tiled = RealTimeSharpener(graphs["float"], tile=128, overlap=16).sharpen(color)
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1
    big = np.vstack([np.hstack([color] * 2)] * 2)  # 600x840: larger than the 640x480 frame graph
    fixed = RealTimeSharpener(graphs["480p"]).sharpen(big)  # tiles of the graph's size, edges padded
    reference = RealTimeSharpener(graphs["float"], tile=2048).sharpen(big)
    assert fixed.shape == big.shape
    # identical away from the image's own border, where reflect padding (edge tiles) and zero padding
    # (whole image) legitimately differ within the model's receptive field
    assert np.abs(fixed.astype(int) - reference.astype(int))[16:-16, 16:-16].max() <= 2


def test_the_old_name_is_the_same_class():
    assert RealTimeSharpener is ImageSharpener


def test_openvino_compiles_a_few_sizes_not_one_per_tile(graphs):
    """OpenVINO compiles once per frame size: the sharpener rounds tiles (and small images) up to multiples of
    COMPILE_STEP, so an image compiles at most nine sizes (first, middle, last tiles across times down) however
    many tiles it has, a second image of its size none, and the tiles still join without seams."""
    pytest.importorskip("openvino")
    rng = np.random.default_rng(1)
    image = cv2.GaussianBlur(rng.integers(0, 256, (300, 420, 3), dtype=np.uint8), (5, 5), 1.5)
    sharpener = ImageSharpener(graphs["480p"], tile=128, backend="openvino")
    assert sharpener.backend.name.startswith("openvino") and sharpener.step == COMPILE_STEP
    tiled = sharpener.sharpen(image)
    sizes = set(sharpener.backend.compiled_sizes)  # (height, width)
    assert all(h % COMPILE_STEP == 0 and w % COMPILE_STEP == 0 for h, w in sizes) and len(sizes) <= 9
    sharpener.sharpen(255 - image)
    assert sharpener.backend.compiled_sizes == sizes
    small = sharpener.sharpen(image[:50, :70])
    assert tiled.shape == image.shape and small.shape == (50, 70, 3)
    assert sharpener.backend.compiled_sizes - sizes == {(64, 80)}  # 50 x 70 rounded up
    whole = ImageSharpener(graphs["480p"], tile=512, backend="openvino").sharpen(image)
    assert np.abs(tiled.astype(int) - whole.astype(int))[16:-16, 16:-16].max() <= 2
