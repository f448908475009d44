"""Sharpen image files, keeping their names, and the report's Python API.

    python -m runtime.sharpen photo.jpg scans/*.png -o sharpened/
    python -m runtime.sharpen photo.jpg -o out/ --model engines/seed.onnx
    python -m runtime.sharpen photo.jpg -o out/ --engine engines/webcam_480p.plan
    python -m runtime.sharpen photo.jpg -o out/ --strength 0.5

    from runtime.sharpen import RealTimeSharpener
    RealTimeSharpener().sharpen_image('in.jpg', 'out.jpg')             # the default student, engines/webcam.onnx
    RealTimeSharpener('engines/fast.onnx', strength=0.7).sharpen_image('in.jpg', 'out.jpg')

Any size: the dynamic float graph takes whole images, and large ones are processed in overlapping tiles
so memory stays bounded; a fixed-size frame graph or engine sets the tile size, edge tiles padded to it. Grayscale stays grayscale; an alpha channel is kept as it was.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from runtime.backends import OnnxBackend, strength_arg
from runtime.errors import SharpcamError
from runtime.graph_io import DEFAULT_STRENGTH
from runtime.select import DEFAULT_STUDENT, graph_path
from runtime.sources import opencv


class RealTimeSharpener:
    """Sharpen uint8 images: the any-size ONNX graph (default engines/webcam.onnx), or a fixed-size frame
    graph or TensorRT engine, whose size then sets the tile (edge tiles are padded to it)."""

    def __init__(self, model: str | Path | None = None, tile: int = 512, overlap: int = 16, threads: int = 0,
                 engine: str | Path | None = None, strength: float = DEFAULT_STRENGTH) -> None:
        if engine is not None:
            from runtime.trt_backend import TensorRTBackend
            self.backend = TensorRTBackend(Path(engine), strength)
        else:
            self.backend = OnnxBackend(Path(model) if model else graph_path(DEFAULT_STUDENT), threads,
                                       strength=strength)
        self.fixed = self.backend.size  # (width, height) or None
        if self.fixed is not None and min(self.fixed) <= 2 * overlap:
            raise SharpcamError(f"the model's {self.fixed} frame is too small to tile with overlap {overlap}")
        self.tile, self.overlap = tile, overlap

    def sharpen(self, image: np.ndarray) -> np.ndarray:
        """HxW (gray), HxWx3 (BGR) or HxWx4 (BGRA) uint8 in, same shape out."""
        if image.dtype != np.uint8:
            raise SharpcamError(f"expected an 8-bit image, got {image.dtype}")
        if image.ndim == 2:
            gray = self._run(np.repeat(image[..., None], 3, axis=2))
            return opencv().cvtColor(gray, opencv().COLOR_BGR2GRAY)
        if image.ndim == 3 and image.shape[2] == 4:
            return np.dstack([self._run(np.ascontiguousarray(image[..., :3])), image[..., 3]])
        if image.ndim == 3 and image.shape[2] == 3:
            return self._run(image)
        raise SharpcamError(f"unsupported image shape {image.shape}")

    def _infer(self, bgr: np.ndarray) -> np.ndarray:
        """One call of the model; a fixed-size model gets the tile padded (reflected) to its size. Every tile
        is a still picture of its own: the temporal filter is reset so nothing blends across tiles."""
        self.backend.reset()
        h, w = bgr.shape[:2]
        if self.fixed is not None and (w, h) != tuple(self.fixed):
            fw, fh = self.fixed
            padded = np.pad(bgr, ((0, fh - h), (0, fw - w), (0, 0)), mode="reflect" if min(h, w) > 1 else "edge")
            return self.backend.collect(self.backend.submit(padded))[0][:h, :w]
        return self.backend.collect(self.backend.submit(np.ascontiguousarray(bgr)))[0]

    def _run(self, bgr: np.ndarray) -> np.ndarray:
        h, w = bgr.shape[:2]
        tile_w, tile_h = self.fixed if self.fixed is not None else (self.tile, self.tile)
        if h <= tile_h and w <= tile_w:
            return self._infer(bgr)
        out = np.empty_like(bgr)
        ov = self.overlap
        step_y, step_x = tile_h - 2 * ov, tile_w - 2 * ov
        for y in range(0, h, step_y):
            for x in range(0, w, step_x):
                y0, x0 = max(y - ov, 0), max(x - ov, 0)
                y1, x1 = min(y + step_y + ov, h), min(x + step_x + ov, w)
                result = self._infer(bgr[y0:y1, x0:x1])
                # keep only the tile's own area: its overlap with neighbours saw a cut-off context
                out[y:min(y + step_y, h), x:min(x + step_x, w)] = result[y - y0:y - y0 + min(step_y, h - y),
                                                                          x - x0:x - x0 + min(step_x, w - x)]
        return out

    def sharpen_image(self, src: str | Path, dst: str | Path) -> None:
        cv2 = opencv()
        image = cv2.imread(str(src), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise SharpcamError(f"cannot read image {src}")
        if image.dtype == np.uint16:
            image = (image // 257).astype(np.uint8)
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(dst), self.sharpen(image)):
            raise SharpcamError(f"cannot write {dst}; check the folder and the file extension")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", type=Path, help="image files")
    p.add_argument("-o", "--out", type=Path, required=True, help="output folder (file names are kept)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--model", type=Path, help="ONNX graph (default: the any-size engines/webcam.onnx)")
    group.add_argument("--engine", type=Path, help="TensorRT engine; images are tiled to its frame size")
    p.add_argument("--tile", type=int, default=512, help="tile side for large images (default: %(default)s)")
    p.add_argument("--strength", type=strength_arg, default=DEFAULT_STRENGTH,
                   help="0 = the image as it is, 1 = the full correction (default: %(default)s)")
    args = p.parse_args(argv)
    try:
        sharpener = RealTimeSharpener(args.model, tile=args.tile, engine=args.engine, strength=args.strength)
        for src in args.inputs:
            dst = args.out / src.name
            if dst.resolve() == src.resolve():
                raise SharpcamError(f"{dst} would overwrite its input; choose another --out folder")
            sharpener.sharpen_image(src, dst)
            print(f"{src} -> {dst}")
    except SharpcamError as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
