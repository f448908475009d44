"""Real codecs as degradations: JPEG through Pillow (libjpeg) and H.264 / VP8 through PyAV (libx264, libvpx).

Video is encoded with no container, straight through codec contexts, single-threaded so the same frames
always give the same bits (a training cache keys on that). Frames are padded to even sizes (4:2:0 needs
them) and cropped back.
"""
from __future__ import annotations

import io
from fractions import Fraction

import numpy as np
from PIL import Image

from runtime.errors import SharpcamError

CODECS = {"h264": ("libx264", "h264"), "vp8": ("libvpx", "vp8")}


def encode_decode_jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=int(quality))
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _av():
    try:
        import av
    except ImportError as err:
        raise SharpcamError("video-codec degradations need PyAV: pip install av") from err
    return av


def encode_decode_video(frames: list[np.ndarray], codec: str, crf: int, fps: int = 30) -> list[np.ndarray]:
    """Encode RGB uint8 frames (one size) with `codec` at constant quality `crf`, decode them, return them.

    CRF 23 is x264's default (good), 35-40 is what a starved video call looks like: blocks, smeared
    texture, ringing. For VP8 the same number is libvpx's fixed quantizer (4-63), roughly comparable.
    """
    av = _av()
    if codec not in CODECS:
        raise SharpcamError(f"unknown video codec {codec!r}; known: {', '.join(CODECS)}")
    enc_name, dec_name = CODECS[codec]
    h, w = frames[0].shape[:2]
    ph, pw = h + h % 2, w + w % 2
    enc = av.CodecContext.create(enc_name, "w")
    enc.width, enc.height, enc.pix_fmt = pw, ph, "yuv420p"
    enc.time_base = Fraction(1, fps)
    enc.thread_count = 1
    if codec == "h264":
        enc.options = {"crf": str(crf), "preset": "veryfast", "tune": "zerolatency", "threads": "1"}
    else:
        # libvpx ignores a CRF without a target bitrate; a fixed quantizer (4-63) is the same idea.
        enc.options = {"qmin": str(crf), "qmax": str(crf), "deadline": "realtime", "cpu-used": "8", "threads": "1"}
        enc.bit_rate = 50_000_000
    packets = []
    for i, rgb in enumerate(frames):
        padded = np.pad(rgb, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(padded), format="rgb24").reformat(format="yuv420p")
        vf.pts = i
        packets.extend(enc.encode(vf))
    packets.extend(enc.encode(None))
    dec = av.CodecContext.create(dec_name, "r")
    dec.thread_count = 1
    out = []
    for packet in packets:
        out.extend(dec.decode(packet))
    out.extend(dec.decode(None))
    if len(out) != len(frames):
        raise SharpcamError(f"{codec}: {len(frames)} frames in, {len(out)} decoded")
    return [np.ascontiguousarray(f.to_ndarray(format="rgb24")[:h, :w]) for f in out]
