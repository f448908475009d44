"""Video files through PyAV: .mp4 is H.264 that browsers play, that survives a hard kill, with the source's
audio; .avi is MJPEG that keeps any size exactly.

- H.264 (libx264 through PyAV), yuv420p, High profile: what every browser decodes.
- Fragmented MP4 (`frag_keyframe+empty_moov+default_base_moof`): the index (moov) is written first and each
  second of video is a self-contained fragment, so a SIGKILL or a power cut loses at most the last second
  instead of the whole file (a classic MP4 is unplayable until its index is written at the end). With the
  index first the file also streams as `+faststart` would make it; browsers play fragmented MP4 natively.
- Size: H.264 in 4:2:0 needs even sizes. An odd width or height is padded by one column or row repeating the
  last one, and the writer says so (`padded`). A source that changes size mid-run is scaled into the first
  size with black bars (runtime/sinks/fixed_size.py), with a note, never squeezed. `.avi` (MJPEG in 4:4:4, no
  chroma subsampling) or a folder of PNGs keep odd sizes exactly (OpenCV's own writers silently cut 641x479
  to 640x478). .avi keeps no audio.
- Audio: when the source is a file with an audio track, its packets are interleaved with the video as it is
  written (AAC, MP3 and Opus copied as they are, anything else re-encoded to AAC), up to the last video frame.

VideoWriter writes the file; FileSink is the pipeline's sink around it.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from runtime.errors import SharpcamError
from runtime.imaging import pad_to_multiple
from runtime.optional import require
from runtime.sinks.base import Sink
from runtime.sinks.fixed_size import FixedSize

FRAGMENTED = "frag_keyframe+empty_moov+default_base_moof"
COPY_AUDIO = {"aac", "mp3", "opus"}  # codecs MP4 carries as they are
CRF = "18"  # visually lossless: this file shows the model's output, not the codec's


@dataclass(frozen=True)
class Format:
    container: str
    codec: str
    pix_fmt: str
    even: bool  # the codec needs even sizes (4:2:0)
    audio: bool  # the source's audio is kept
    container_options: tuple[tuple[str, str], ...] = ()
    codec_options: tuple[tuple[str, str], ...] = ()


# flush_packets: each finished fragment reaches the file at once, not when a 32 KB buffer fills.
FORMATS = {
    ".mp4": Format("mp4", "libx264", "yuv420p", even=True, audio=True,
                   container_options=(("movflags", FRAGMENTED), ("flush_packets", "1")),
                   codec_options=(("crf", CRF), ("preset", "veryfast"))),
    ".avi": Format("avi", "mjpeg", "yuvj444p", even=False, audio=False, codec_options=(("qscale", "2"),)),
}


VIDEO_SUFFIXES = tuple(FORMATS)


def _av():
    return require("av", "writing .mp4 needs PyAV: pip install av (or write .avi / DIR/ instead)")


def even_size(size: tuple[int, int]) -> tuple[int, int]:
    return size[0] + size[0] % 2, size[1] + size[1] % 2


class _AudioCopy:
    """The source file's first audio track, fed into the output up to a given time."""

    def __init__(self, av, source: Path, output) -> None:
        self._input = av.open(str(source))
        self._in = self._input.streams.audio[0]
        self.copy = self._in.codec_context.name in COPY_AUDIO
        if self.copy:
            self._out = output.add_stream_from_template(self._in)
        else:
            self._out = output.add_stream("aac", rate=self._in.codec_context.sample_rate or 48000)
        self._packets = self._input.demux(self._in)
        self.description = f"{self._in.codec_context.name} audio " + ("copied" if self.copy else "re-encoded to AAC")

    def feed(self, output, until: float | None) -> None:
        """Mux source audio packets whose time is before `until` seconds (None: all that are left)."""
        for packet in self._packets:
            if packet.dts is None:  # the demuxer's final flush packet
                continue
            if self.copy:
                packet.stream = self._out
                output.mux(packet)
            else:
                for frame in packet.decode():
                    frame.pts = None  # the encoder counts samples itself
                    output.mux(self._out.encode(frame))
            if until is not None and packet.pts is not None and float(packet.pts * packet.time_base) >= until:
                return

    def close(self, output) -> None:
        if not self.copy:
            output.mux(self._out.encode(None))
        self._input.close()


class VideoWriter:
    """Frames (uint8 BGR HxWx3 of `size`) -> a .mp4 or .avi file (FORMATS); close() is idempotent."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float, audio_from: Path | None = None) -> None:
        self._av = av = _av()
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise SharpcamError(f"cannot write {path}: video files are {' or '.join(FORMATS)}")
        self.size, self.coded = size, even_size(size) if fmt.even else size
        self.padded = self.coded != size
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._out = av.open(str(path), "w", format=fmt.container, options=dict(fmt.container_options))
        except (OSError, av.error.FFmpegError) as err:
            raise SharpcamError(f"cannot write video {path} ({err}); give a .mp4 name in a writable folder") from err
        rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
        self._video = self._out.add_stream(fmt.codec, rate=rate)
        self._video.width, self._video.height = self.coded
        self._video.pix_fmt = fmt.pix_fmt
        # A keyframe (and so a fragment) every second bounds what a hard kill can lose.
        self._video.options = {**dict(fmt.codec_options), "g": str(max(round(float(rate)), 1))}
        self._rate, self._time_base = rate, 1 / rate
        self._audio = self._open_audio(av, audio_from) if fmt.audio else None
        self.frames = 0

    def _open_audio(self, av, source: Path | None) -> _AudioCopy | None:
        if source is None or not source.is_file():
            return None
        try:
            with av.open(str(source)) as probe:
                if not probe.streams.audio:
                    return None
            return _AudioCopy(av, source, self._out)
        except av.error.FFmpegError:
            return None  # not something FFmpeg reads: OpenCV read the video, there is no audio to keep

    @property
    def audio(self) -> str:
        return self._audio.description if self._audio else "no audio"

    def write(self, frame: np.ndarray) -> None:
        picture = self._av.VideoFrame.from_ndarray(pad_to_multiple(frame, 2 if self.padded else 1), format="bgr24")
        picture.pts = self.frames
        picture.time_base = self._time_base
        self._out.mux(self._video.encode(picture))
        self.frames += 1
        if self._audio is not None:
            self._audio.feed(self._out, until=float(self.frames / self._rate))

    def close(self) -> None:
        if self._out is None:
            return
        out, self._out = self._out, None
        try:
            out.mux(self._video.encode(None))
            if self._audio is not None:
                self._audio.feed(out, until=float(self.frames / self._rate))
                self._audio.close(out)
        finally:
            out.close()


class FileSink(Sink):
    """A video file through PyAV (VideoWriter above): .mp4 is H.264 (browser-playable, kill-safe, the
    source's audio kept, odd sizes padded by one row/column), .avi is MJPEG at any size exactly."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float, audio_from: Path | None = None) -> None:
        self._writer = VideoWriter(path, size, fps, audio_from)
        if self._writer.padded:
            print(f"note: H.264 needs even sizes: {size[0]}x{size[1]} is written as {self._writer.coded[0]}x"
                  f"{self._writer.coded[1]}, the last column/row repeated (.avi or DIR/ keep the exact size)",
                  file=sys.stderr)
        self.name, self.size, self.frames = f"file {path} ({self._writer.audio})", size, 0
        self._fixed = FixedSize(size, f"video file {path.name}")  # a file keeps its first size: scaled, not squeezed

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        self._writer.write(self._fixed.fit(frame))
        self.frames += 1
        return True

    def close(self) -> None:
        self._writer.close()  # writes the last fragment (and the .avi index)
