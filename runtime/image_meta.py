"""What an image file says besides its pixels, read from its bytes: EXIF (with the orientation phones set),
the ICC colour profile, XMP, and how it was encoded (JPEG quality and chroma subsampling, lossy or lossless
WebP, a palette or gray+alpha PNG), so `sharpcam sharpen` can write its output like its input.

Pure standard library + numpy: the base install has no Pillow. JPEG, PNG and WebP are read; other formats
give an empty FileInfo (pixels only, as OpenCV decodes them).
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

EXIF_HEADER = b"Exif\x00\x00"
ICC_HEADER = b"ICC_PROFILE\x00"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
ORIENTATION_TAG = 0x0112
# IJG's luminance quantisation table (quality 50), the reference an encoder's quality scales.
IJG_LUMINANCE_SUM = sum((16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57,
                         69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64,
                         81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99))


@dataclass
class FileInfo:
    """The input's metadata and encoding, as far as its format tells (None / False: not said)."""
    format: str = ""               # "jpeg", "png", "webp" or "" (anything else)
    exif: bytes | None = None      # TIFF-structured EXIF (no "Exif\0\0" prefix)
    icc: bytes | None = None       # the ICC profile, uncompressed
    xmp: bytes | None = None
    jpeg_quality: int | None = None   # estimated from the luminance quantisation table
    jpeg_sampling: tuple[int, int] | None = None  # the luma component's (H, V) sampling factors: (2, 2) = 4:2:0
    webp_lossy: bool = False
    png_color_type: int | None = None  # 3: palette, 4: gray + alpha
    palette: np.ndarray | None = None  # Nx3 RGB (palette PNGs)
    palette_alpha: np.ndarray | None = None  # tRNS: alpha of the first entries
    truncated: bool = False        # a JPEG without its end marker or a PNG without IEND: damaged
    dpi: tuple[float, float] | None = None  # pixel density (JFIF APP0 / PNG pHYs), in dots per inch


def read_info(data: bytes) -> FileInfo:
    if data[:2] == b"\xff\xd8":
        return _jpeg(data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _png(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    return FileInfo()


def _jpeg(data: bytes) -> FileInfo:
    info, icc_parts, pos = FileInfo("jpeg"), {}, 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        body = data[pos + 4:pos + 2 + length]
        if marker == 0xE0 and body.startswith(b"JFIF\x00") and len(body) >= 12 and body[7] in (1, 2):
            x, y = struct.unpack(">HH", body[8:12])  # units 1: per inch, 2: per cm (0: an aspect ratio only)
            info.dpi = (float(x), float(y)) if body[7] == 1 else (x * 2.54, y * 2.54)
        elif marker == 0xE1 and body.startswith(EXIF_HEADER):
            info.exif = body[len(EXIF_HEADER):]
        elif marker == 0xE1 and body.startswith(XMP_HEADER):
            info.xmp = body[len(XMP_HEADER):]
        elif marker == 0xE2 and body.startswith(ICC_HEADER):
            icc_parts[body[len(ICC_HEADER)]] = body[len(ICC_HEADER) + 2:]
        elif marker == 0xDB:
            _quality_from_dqt(body, info)
        elif marker in (0xC0, 0xC1, 0xC2) and len(body) >= 9:
            factors = body[7]
            info.jpeg_sampling = (factors >> 4, factors & 15)
        elif marker == 0xDA:  # start of scan: the entropy-coded data follows, no more headers
            # the end-of-image marker cannot occur inside entropy-coded data (0xFF is stuffed there), so
            # none after the first scan means the file was cut short (data appended after it is allowed)
            info.truncated = data.find(b"\xff\xd9", pos) < 0
            break
        pos += 2 + length
    if icc_parts:
        info.icc = b"".join(icc_parts[k] for k in sorted(icc_parts))
    return info


def _quality_from_dqt(body: bytes, info: FileInfo) -> None:
    """IJG quality from table 0's sum against IJG's reference: scale = 5000/q below 50, 200-2q above."""
    pos = 0
    while pos < len(body):
        precision, table_id = body[pos] >> 4, body[pos] & 15
        size = 128 if precision else 64
        values = (struct.unpack(">64H", body[pos + 1:pos + 129]) if precision else body[pos + 1:pos + 65])
        if table_id == 0 and len(values) == 64:
            scale = 100.0 * sum(values) / IJG_LUMINANCE_SUM
            quality = (200 - scale) / 2 if scale <= 100 else 5000 / scale
            info.jpeg_quality = int(min(max(round(quality), 1), 100))
        pos += 1 + size


def _chunks(data: bytes, start: int, big_endian: bool):
    """(type, body, offset) of PNG (length, type, body, crc) or RIFF (type, length, body, pad) chunks."""
    pos = start
    while pos + 8 <= len(data):
        if big_endian:
            length, kind = struct.unpack(">I", data[pos:pos + 4])[0], data[pos + 4:pos + 8]
        else:
            kind, length = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        yield kind, data[pos + 8:pos + 8 + length], pos
        pos += 8 + length + (4 if big_endian else length & 1)


def _png(data: bytes) -> FileInfo:
    info = FileInfo("png", truncated=True)
    for kind, body, _ in _chunks(data, 8, big_endian=True):
        if kind == b"IHDR" and len(body) >= 10:
            info.png_color_type = body[9]
        elif kind == b"PLTE":
            info.palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS" and info.png_color_type == 3:
            info.palette_alpha = np.frombuffer(body, np.uint8)
        elif kind == b"eXIf":
            info.exif = body
        elif kind == b"pHYs" and len(body) == 9 and body[8] == 1:  # unit 1: pixels per metre
            x, y = struct.unpack(">II", body[:8])
            info.dpi = (x * 0.0254, y * 0.0254)
        elif kind == b"iCCP":
            name_end = body.find(b"\x00")
            try:
                info.icc = zlib.decompress(body[name_end + 2:])
            except zlib.error:
                pass  # a damaged profile: the output goes without one, as a viewer would show the input
        elif kind == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00"):
            info.xmp = body.split(b"\x00", 5)[-1] if body.count(b"\x00") >= 5 else None
        elif kind == b"IEND":
            info.truncated = False
    return info


def _webp(data: bytes) -> FileInfo:
    info = FileInfo("webp")
    for kind, body, _ in _chunks(data, 12, big_endian=False):
        if kind == b"VP8 ":
            info.webp_lossy = True
        elif kind == b"ICCP":
            info.icc = body
        elif kind == b"EXIF":
            info.exif = body[len(EXIF_HEADER):] if body.startswith(EXIF_HEADER) else body
        elif kind == b"XMP ":
            info.xmp = body
    return info


# EXIF orientation ---------------------------------------------------------------------------------------------
def _orientation_entry(exif: bytes | None) -> tuple[int, str] | None:
    """(offset of the orientation value in `exif`, byte order) or None: IFD0's tag 0x0112."""
    if not exif or exif[:2] not in (b"II", b"MM"):
        return None
    order = "<" if exif[:2] == b"II" else ">"
    try:
        ifd = struct.unpack(order + "I", exif[4:8])[0]
        count = struct.unpack(order + "H", exif[ifd:ifd + 2])[0]
        for i in range(count):
            entry = ifd + 2 + 12 * i
            if struct.unpack(order + "H", exif[entry:entry + 2])[0] == ORIENTATION_TAG:
                return entry + 8, order
    except struct.error:
        return None  # a damaged EXIF block: treated as no orientation
    return None


def orientation(exif: bytes | None) -> int:
    """1..8 as EXIF numbers them (1: as stored); 1 when absent or out of range."""
    found = _orientation_entry(exif)
    if found is None:
        return 1
    value = struct.unpack(found[1] + "H", exif[found[0]:found[0] + 2])[0]
    return value if 1 <= value <= 8 else 1


def upright_exif(exif: bytes) -> bytes:
    """The same EXIF with orientation 1: the pixels were turned upright, so viewers must not turn them again."""
    found = _orientation_entry(exif)
    if found is None:
        return exif
    offset, order = found
    return exif[:offset] + struct.pack(order + "H", 1) + exif[offset + 2:]


def apply_orientation(image: np.ndarray, value: int) -> np.ndarray:
    """Turn stored pixels the way a viewer shows them (EXIF orientation 2..8; Pillow's exif_transpose)."""
    if value in (5, 6, 7, 8):
        image = image.swapaxes(0, 1)  # transpose, then the flips below
    flips = {2: (False, True), 3: (True, True), 4: (True, False), 5: (False, False), 6: (False, True),
             7: (True, True), 8: (True, False)}.get(value, (False, False))
    if flips[0]:
        image = image[::-1]
    if flips[1]:
        image = image[:, ::-1]
    return np.ascontiguousarray(image)


def is_animated(data: bytes) -> bool:
    """An animated WebP (VP8X animation flag) or a GIF of more than one frame: the decoder gives the first
    frame only, so the caller says so rather than silently writing a still."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:16] == b"VP8X":
        return len(data) > 20 and bool(data[20] & 0x02)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return _gif_frames(data) > 1
    return False


def _gif_frames(data: bytes, enough: int = 2) -> int:
    """Image descriptors in a GIF, counted up to `enough` (walking its blocks; a damaged file stops the walk)."""
    def skip_sub_blocks(at: int) -> int:
        while at < len(data) and data[at]:
            at += data[at] + 1
        return at + 1
    flags = data[10] if len(data) > 10 else 0
    at, frames = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0), 0
    while at < len(data) and frames < enough:
        kind = data[at]
        if kind == 0x21:  # an extension: label, then sub-blocks
            at = skip_sub_blocks(at + 2)
        elif kind == 0x2C and at + 10 <= len(data):  # an image: descriptor, local colours, LZW size, data
            local = data[at + 9]
            at += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
            at, frames = skip_sub_blocks(at + 1), frames + 1
        else:  # the trailer (0x3B) or damage
            break
    return frames
