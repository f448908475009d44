"""Image files for `sharpcam sharpen`: read (regular files only, decoder chatter kept off the terminal) and
written like the input: the same kind of file, a similar quality, its metadata kept.

- JPEG: the input's quality (estimated from its quantisation table) and chroma subsampling; 95 from a
  lossless input. WebP: lossy at quality 80 from a lossy input (libwebp reports no quality to read back),
  lossless from a lossless one. PNG: a palette PNG stays a palette PNG on its own palette (each pixel its
  nearest entry), gray+alpha stays gray+alpha; anything else as OpenCV writes it. `quality` overrides.
- EXIF (orientation set to 1: the pixels were turned upright), the ICC profile and XMP go into the output,
  whichever of JPEG, PNG and WebP it is.
"""
from __future__ import annotations

import os
import stat
import struct
import sys
import tempfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

from runtime.errors import SharpcamError
from runtime.image_meta import EXIF_HEADER, ICC_HEADER, XMP_HEADER, FileInfo, upright_exif
from runtime.imaging import opencv

JPEG_FROM_LOSSLESS = 95  # a JPEG made from a PNG/WebP-lossless input: no quality to follow
WEBP_FROM_LOSSY = 80     # Pillow's default, a little above cwebp's 75
SUFFIX_FORMATS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp"}
MAX_SEGMENT = 65533      # a JPEG segment's body, its 2-byte length included


def encode(image: np.ndarray, suffix: str, info: FileInfo, quality: int | None = None) -> bytes:
    """The bytes of `image` as a `suffix` file, written like the input `info` describes."""
    cv2 = opencv()
    fmt = SUFFIX_FORMATS.get(suffix.lower(), "")
    params: list[int] = []
    if fmt == "jpeg":
        params = [cv2.IMWRITE_JPEG_QUALITY, quality or info.jpeg_quality or JPEG_FROM_LOSSLESS]
        if info.jpeg_sampling and hasattr(cv2, "IMWRITE_JPEG_SAMPLING_FACTOR"):
            h, v = info.jpeg_sampling
            params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, (h << 20) | (v << 16) | 0x1111]
    elif fmt == "webp":
        lossy = quality is not None or info.webp_lossy or info.format == "jpeg"
        params = [cv2.IMWRITE_WEBP_QUALITY, (quality or info.jpeg_quality or WEBP_FROM_LOSSY) if lossy else 101]
    if fmt == "png" and image.dtype == np.uint8 and info.png_color_type == 3 and info.palette is not None:
        data = palette_png(image, info.palette, info.palette_alpha)
    elif fmt == "png" and info.png_color_type == 4 and image.ndim == 3 and image.shape[2] == 4:
        data = gray_alpha_png(image)
    else:
        try:
            ok, encoded = cv2.imencode(suffix, image, params)
        except cv2.error:
            ok = False
        if not ok:
            raise SharpcamError(f"cannot write a {suffix or 'file without an extension'}: use .jpg, .png, "
                                ".webp, .bmp or .tif")
        data = encoded.tobytes()
    gray = image.ndim == 2 or (fmt == "png" and info.png_color_type == 4)
    return embed(data, fmt, info, gray)


def read_image_file(path: Path) -> bytes:
    """The file's bytes; a missing path, a folder, a FIFO or a device (which could block for ever) refused."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a pipe or a device)"
            raise SharpcamError(f"{path}: {kind}; give an image file")
        return path.read_bytes()
    except FileNotFoundError:
        raise SharpcamError(f"{path}: no such file") from None
    except OSError as err:
        raise SharpcamError(f"cannot read {path} ({err.strerror or err})") from None


def decode(data: bytes) -> tuple[np.ndarray | None, str]:
    """(pixels as stored, or None; what the decoder printed, e.g. libjpeg's 'Corrupt JPEG data'), that text
    kept off the terminal so the caller can say it once, naming the file."""
    cv2 = opencv()
    if not data:
        return None, "the file is empty"  # imdecode asserts on an empty buffer
    with captured_stderr() as said:
        try:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        except cv2.error as err:  # a header OpenCV refuses outright, e.g. 100000x100000 pixels (its size limit)
            reason = str(err).strip().splitlines()[-1] if str(err).strip() else "refused by the decoder"
            return None, f"the decoder refused it ({reason})"
    return image, " ".join(said()).strip()


@contextmanager
def captured_stderr() -> Iterator:
    """File descriptor 2 into a temporary file while inside: C libraries write there directly."""
    sys.stderr.flush()
    saved = os.dup(2)
    lines: list[str] = []
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lambda: lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines += sink.read().decode(errors="replace").splitlines()


# PNG kinds OpenCV does not write -------------------------------------------------------------------------------
def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(width: int, height: int, depth: int, color_type: int, rows: np.ndarray, extra: list[bytes]) -> bytes:
    """A PNG of `rows` (height x bytes per row) with the 'Up' filter (each row minus the one above)."""
    up = rows.copy()
    up[1:] -= rows[:-1]  # uint8 wraps around: PNG's filter arithmetic is modulo 256
    raw = np.hstack([np.full((height, 1), 2, np.uint8), up]).tobytes()
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + b"".join(extra)
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def palette_png(image: np.ndarray, palette: np.ndarray, alpha: np.ndarray | None) -> bytes:
    """Each pixel its nearest palette entry (RGB, and alpha where the palette has transparency)."""
    entries = palette.astype(np.float32)
    pixels = image[..., 2::-1] if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
    if alpha is not None and image.ndim == 3 and image.shape[2] == 4:
        full_alpha = np.full(len(palette), 255, np.float32)
        full_alpha[:len(alpha)] = alpha[:len(palette)]
        entries = np.hstack([entries, full_alpha[:, None]])
        pixels = np.dstack([pixels, image[..., 3]])
    flat = pixels.reshape(-1, entries.shape[1]).astype(np.float32)
    norms = (entries ** 2).sum(axis=1)
    index = np.empty(len(flat), np.uint8)
    for start in range(0, len(flat), 1 << 16):  # |p - e|^2 = |p|^2 - 2 p.e + |e|^2; |p|^2 is the same for all e
        part = flat[start:start + (1 << 16)]
        index[start:start + len(part)] = np.argmin(norms - 2 * part @ entries.T, axis=1)
    extra = [_chunk(b"PLTE", palette.astype(np.uint8).tobytes())]
    if alpha is not None:
        extra.append(_chunk(b"tRNS", alpha.astype(np.uint8).tobytes()))
    h, w = image.shape[:2]
    return _png(w, h, 8, 3, index.reshape(h, w), extra)


def gray_alpha_png(image: np.ndarray) -> bytes:
    """BGRA (as OpenCV reads a gray+alpha PNG) back to gray+alpha, 8 or 16 bits."""
    gray = opencv().cvtColor(np.ascontiguousarray(image[..., :3]), opencv().COLOR_BGR2GRAY)
    pairs = np.dstack([gray, image[..., 3]])
    h, w = pairs.shape[:2]
    if pairs.dtype == np.uint16:
        rows = pairs.astype(">u2").view(np.uint8).reshape(h, w * 4)
        return _png(w, h, 16, 4, rows, [])
    return _png(w, h, 8, 4, pairs.reshape(h, w * 2), [])


# metadata into the encoded bytes ---------------------------------------------------------------------------
def embed(data: bytes, fmt: str, info: FileInfo, gray: bool = False) -> bytes:
    """The input's metadata into the output's bytes. The ICC profile only where its colour space is the
    output's (a CMYK JPEG's profile would misdescribe the RGB pixels OpenCV decoded from it)."""
    exif = upright_exif(info.exif) if info.exif else None
    icc = info.icc if info.icc and info.icc[16:20] == (b"GRAY" if gray else b"RGB ") else None
    if fmt == "jpeg":
        return _embed_jpeg(_jfif_density(data, info.dpi), exif, icc, info.xmp)
    if fmt == "png":
        return _embed_png(data, exif, icc, info.xmp, info.dpi)
    if fmt == "webp":
        return _embed_webp(data, exif, icc, info.xmp)
    return data


def _segment(marker: int, body: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body


def _embed_jpeg(data: bytes, exif: bytes | None, icc: bytes | None, xmp: bytes | None) -> bytes:
    segments = []
    if exif and len(EXIF_HEADER) + len(exif) <= MAX_SEGMENT:
        segments.append(_segment(0xE1, EXIF_HEADER + exif))
    if icc:
        size = MAX_SEGMENT - len(ICC_HEADER) - 2
        parts = [icc[i:i + size] for i in range(0, len(icc), size)]
        segments += [_segment(0xE2, ICC_HEADER + bytes((n + 1, len(parts))) + part) for n, part in enumerate(parts)]
    if xmp and len(XMP_HEADER) + len(xmp) <= MAX_SEGMENT:
        segments.append(_segment(0xE1, XMP_HEADER + xmp))
    return data[:2] + b"".join(segments) + data[2:]  # right after the start-of-image marker


def _jfif_density(data: bytes, dpi: tuple[float, float] | None) -> bytes:
    """The input's pixel density (print size) in the output's JFIF header, which OpenCV writes as 1:1 aspect."""
    if dpi is None:
        return data
    density = bytes((1,)) + struct.pack(">HH", *(min(max(round(d), 1), 65535) for d in dpi))
    app0 = data[2:4] == b"\xff\xe0" and data[6:11] == b"JFIF\x00"
    if app0:
        return data[:13] + density + data[18:]  # after marker, length, "JFIF\0" and the version
    return data[:2] + _segment(0xE0, b"JFIF\x00\x01\x01" + density + b"\x00\x00") + data[2:]


def _embed_png(data: bytes, exif: bytes | None, icc: bytes | None, xmp: bytes | None,
               dpi: tuple[float, float] | None = None) -> bytes:
    chunks = []
    if dpi is not None:
        chunks.append(_chunk(b"pHYs", struct.pack(">IIB", *(round(d / 0.0254) for d in dpi), 1)))
    if icc:
        chunks.append(_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(icc)))
    if exif:
        chunks.append(_chunk(b"eXIf", exif))
    if xmp:
        chunks.append(_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp))
    ihdr_end = 8 + 8 + 13 + 4  # signature, then IHDR's length+type, 13-byte body, crc
    return data[:ihdr_end] + b"".join(chunks) + data[ihdr_end:]


def _embed_webp(data: bytes, exif: bytes | None, icc: bytes | None, xmp: bytes | None) -> bytes:
    if not (exif or icc or xmp):
        return data
    chunks, pos, flags, canvas = [], 12, 0, None
    while pos + 8 <= len(data):
        kind, length = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"VP8X":
            flags, canvas = body[0], body[4:10]
        else:
            chunks.append((kind, body))
        pos += 8 + length + (length & 1)
    if canvas is None:
        canvas = _webp_canvas(chunks)
    flags |= (0x20 if icc else 0) | (0x08 if exif else 0) | (0x04 if xmp else 0)
    if any(kind == b"ALPH" for kind, _ in chunks) or _vp8l_alpha(chunks):
        flags |= 0x10
    ordered = [(b"VP8X", bytes((flags, 0, 0, 0)) + canvas)] + ([(b"ICCP", icc)] if icc else []) + chunks
    ordered += ([(b"EXIF", exif)] if exif else []) + ([(b"XMP ", xmp)] if xmp else [])
    body = b"WEBP" + b"".join(k + struct.pack("<I", len(b)) + b + b"\x00" * (len(b) & 1) for k, b in ordered)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _webp_canvas(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """24-bit (width - 1, height - 1) from a simple file's VP8 or VP8L bitstream header."""
    kind, body = chunks[0]
    if kind == b"VP8L":
        bits = int.from_bytes(body[1:5], "little")
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    else:
        width, height = (struct.unpack("<H", body[6:8])[0] & 0x3FFF), (struct.unpack("<H", body[8:10])[0] & 0x3FFF)
    return (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")


def _vp8l_alpha(chunks: list[tuple[bytes, bytes]]) -> bool:
    return any(kind == b"VP8L" and len(body) >= 5 and body[4] & 0x10 for kind, body in chunks)
