"""The files the bad-input battery feeds every command (tests/runtime/test_bad_inputs_files.py and _images.py):
empty, text under a media name, truncated, headers that lie, foreign and tampered checkpoints, and valid but
unusual images. Made in a few milliseconds each."""
from __future__ import annotations

import importlib
import pickle
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from media import make_marked_clip
from train.checkpoint import FORMAT

def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (the pixel data is a few bytes: a decoder must not trust it)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 4)) + chunk(b"IEND", b"")


def _photo(h: int = 48, w: int = 64) -> np.ndarray:
    return cv2.GaussianBlur(np.random.default_rng(0).integers(0, 256, (h, w, 3), np.uint8), (5, 5), 1.5)


def make_bad_files(root: Path) -> Path:
    """Into `root`: every bad (and odd but valid) file the battery's cases name."""
    for name in ("empty.mp4", "empty.onnx", "empty.jpg", "empty.pt", "empty.plan"):
        (root / name).write_bytes(b"")
    for name in ("text.mp4", "text.onnx", "text.pt2", "text.plan", "text.jpg", "text.png", "text.pt", "text.avi"):
        (root / name).write_text("hello, not what the name says\n")
    (root / "folder.onnx").mkdir()
    (root / "empty_folder").mkdir()
    make_marked_clip(root / "clip.mp4", segments=[(12, 30)], audio=None)
    clip = (root / "clip.mp4").read_bytes()
    (root / "half.mp4").write_bytes(clip[: len(clip) // 2])
    (root / "head.mp4").write_bytes(clip[:200])
    cv2.imwrite(str(root / "photo.png"), _photo())
    (root / "photo_as.mp4").write_bytes((root / "photo.png").read_bytes())
    (root / "zero.png").write_bytes(_png_header(0, 0))
    (root / "huge.png").write_bytes(_png_header(100_000, 100_000))
    (root / "wide.png").write_bytes(_png_header(2 ** 31 - 1, 1))
    (root / "header_only.png").write_bytes(_png_header(64, 48)[:33])
    jpeg = cv2.imencode(".jpg", _photo(96, 128))[1].tobytes()
    (root / "half.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    Image.new("F", (64, 48)).save(root / "float.tif")
    _odd_images(root)
    _checkpoints(root)
    return root


def _odd_images(root: Path) -> None:
    """Valid but unusual images: sharpen must give each back at its own size, depth and channels."""
    cv2.imwrite(str(root / "one.png"), np.full((1, 1, 3), 128, np.uint8))
    cv2.imwrite(str(root / "two.png"), np.full((2, 3, 3), 128, np.uint8))
    Image.new("CMYK", (64, 48), (10, 20, 30, 40)).save(root / "cmyk.jpg")
    cv2.imwrite(str(root / "gray16.png"), (np.arange(48 * 64).reshape(48, 64) * 20).astype(np.uint16))
    cv2.imwrite(str(root / "gray.png"), np.full((48, 64), 100, np.uint8))
    cv2.imwrite(str(root / "rgba.png"), np.full((48, 64, 4), 100, np.uint8))
    frames = [Image.new("RGB", (64, 48), (i * 40, 0, 0)) for i in range(3)]
    frames[0].save(root / "animated.webp", save_all=True, append_images=frames[1:])
    frames[0].save(root / "animated.gif", save_all=True, append_images=frames[1:])
    Image.new("P", (64, 48)).save(root / "palette.png")
    Image.new("1", (64, 48)).save(root / "bilevel.png")
    Image.new("I;16", (64, 48)).save(root / "i16.tif")
    Image.new("LA", (64, 48)).save(root / "gray_alpha.png")
    (root / "jpeg_named.png").write_bytes(cv2.imencode(".jpg", _photo())[1].tobytes())
    (root / "png_named.jpg").write_bytes((root / "photo.png").read_bytes())


def _checkpoints(root: Path) -> None:
    fast = {"name": "fast", "args": {}}
    torch.save({"weights": torch.zeros(3)}, root / "foreign.pt")
    torch.save(torch.zeros(3), root / "tensor.pt")
    torch.save([1, 2], root / "list.pt")
    torch.save({"format": "sharpcam-student-v2", "model": fast, "state_dict": {}}, root / "v2.pt")
    torch.save({"format": FORMAT, "model": {"name": "warp", "args": {}}, "state_dict": {}}, root / "warp.pt")
    torch.save({"format": FORMAT, "model": {"name": "fast", "args": {"channels": "x"}}, "state_dict": {}},
               root / "text_args.pt")
    torch.save({"format": FORMAT, "model": {"name": "fast", "args": {"channels": -4}}, "state_dict": {}},
               root / "negative_args.pt")
    torch.save({"format": FORMAT, "model": fast, "state_dict": {"x": torch.zeros(1)}}, root / "wrong_weights.pt")
    torch.save({"format": FORMAT, "model": fast}, root / "no_weights.pt")
    (root / "plain_pickle.pt").write_bytes(pickle.dumps({"a": 1}))
    whole = (root / "v2.pt").read_bytes()
    (root / "half.pt").write_bytes(whole[: len(whole) // 2])


def run_main(module: str, argv: list[str], capsys) -> tuple[int, str]:
    """(exit status, stderr) of `module`'s main(argv) run in-process."""
    main = importlib.import_module(module).main
    try:
        result = main(argv)
        code = result if isinstance(result, int) and not isinstance(result, bool) else 0
    except SystemExit as stop:
        code = stop.code
    return code, capsys.readouterr().err
