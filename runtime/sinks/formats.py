"""Which codecs a video file gets, by its extension (as ffmpeg chooses), and what --codec/--crf may change.

    .mp4 .mov  H.264 (4:2:0, CRF 18) + the source's audio (AAC, MP3, Opus copied; else re-encoded to AAC)
    .webm      VP9 (4:2:0, CRF 24) + Opus (copied; else re-encoded to Opus)
    .mkv       H.264 by default, or --codec vp9 / ffv1 (lossless: every pixel kept) + any audio, copied
    .avi       MJPEG in 4:4:4 at the best quantiser (-q:v 1: SSIM >= 0.99), or --codec ffv1; no audio

H.264 and VP9 in 4:2:0 need even sizes (padded by one row/column, never rescaled); MJPEG and FFV1 keep any size
and, being intra-only, write each frame on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from runtime.errors import SharpcamError

FRAGMENTED = "frag_keyframe+empty_moov+default_base_moof"  # kill-safe MP4/MOV: index first, 1 s fragments
QP2LAMBDA = 118  # FFmpeg's FF_QP2LAMBDA: a JPEG quantiser scale as the encoder's quality unit


@dataclass(frozen=True)
class Codec:
    encoder: str
    pix_fmt: str
    even: bool  # 4:2:0: even sizes only
    default_crf: int | None = None  # None: the codec has no CRF (lossless, or a fixed quantiser)
    options: tuple[tuple[str, str], ...] = ()


CODECS = {
    "h264": Codec("libx264", "yuv420p", even=True, default_crf=18, options=(("preset", "veryfast"),)),
    "vp9": Codec("libvpx-vp9", "yuv420p", even=True, default_crf=24,
                 options=(("b", "0"), ("deadline", "realtime"), ("cpu-used", "8"), ("row-mt", "1"))),
    "ffv1": Codec("ffv1", "bgr0", even=False, options=(("level", "3"), ("slices", "4"))),
    "mjpeg": Codec("mjpeg", "yuvj444p", even=False),
}
MJPEG_QSCALE = 1  # the best JPEG quantiser scale (1..31, lower is better): FFmpeg's -q:v 1 with qmin 1


@dataclass(frozen=True)
class Container:
    format: str  # FFmpeg's muxer name
    codecs: tuple[str, ...]  # the first is the default
    audio_encoder: str | None  # what other audio is re-encoded to; None: no audio kept
    copy_audio: frozenset[str] | None = frozenset()  # codecs kept as they are; None: every codec
    options: tuple[tuple[str, str], ...] = ()
    variable_rate: bool = True  # frames keep their own times (AVI: one frame per tick only)
    codec_options: tuple[tuple[str, str], ...] = ()  # what this container needs of any codec


# flush_packets: each finished fragment reaches the file at once, not when a 32 KB buffer fills.
_MP4_OPTIONS = (("movflags", FRAGMENTED), ("flush_packets", "1"))
# No B-frames in fragmented MP4: without an edit list (which needs the index at the end) their decoding delay
# would start the video two frames late (66.7 ms at 30 fps), as every output did before.
_NO_DELAY = (("bf", "0"),)
CONTAINERS = {
    ".mp4": Container("mp4", ("h264",), "aac", frozenset({"aac", "mp3", "opus"}), _MP4_OPTIONS,
                      codec_options=_NO_DELAY),
    ".mov": Container("mov", ("h264",), "aac", frozenset({"aac", "mp3", "alac"}), _MP4_OPTIONS,
                      codec_options=_NO_DELAY),
    ".webm": Container("webm", ("vp9",), "libopus", frozenset({"opus", "vorbis"})),
    ".mkv": Container("matroska", ("h264", "vp9", "ffv1"), "aac", None),
    ".avi": Container("avi", ("mjpeg", "ffv1"), None, variable_rate=False),
}
VIDEO_SUFFIXES = tuple(CONTAINERS)
CODEC_NAMES = tuple(CODECS)


@dataclass(frozen=True)
class Encoding:
    """What one output file is written with: its container, its video codec and that codec's options."""

    suffix: str
    container: Container
    codec_name: str
    codec: Codec
    options: dict[str, str] = field(default_factory=dict)

    def copies(self, audio_codec: str) -> bool:
        allowed = self.container.copy_audio
        return allowed is None or audio_codec in allowed


def choose(suffix: str, codec: str | None = None, crf: int | None = None) -> Encoding:
    """The encoding for a file name's extension; `codec`/`crf` as the user gave them (None: the default)."""
    container = CONTAINERS.get(suffix.lower())
    if container is None:
        raise SharpcamError(f"cannot write a {suffix or 'suffix-less'} video: give a {', '.join(CONTAINERS)} name")
    name = codec or container.codecs[0]
    if name not in container.codecs:
        raise SharpcamError(f"--codec {name} does not go in {suffix} (it takes {', '.join(container.codecs)}); "
                            "use .mkv, which takes every codec")
    chosen = CODECS[name]
    options = {**dict(chosen.options), **dict(container.codec_options)}
    if chosen.default_crf is not None:
        options["crf"] = str(crf if crf is not None else chosen.default_crf)
    elif crf is not None:
        raise SharpcamError(f"--crf is for h264 and vp9; {name} has no CRF")
    return Encoding(suffix.lower(), container, name, chosen, options)
