"""Video files through PyAV, the codec chosen by the extension (runtime/sinks/formats.py): .mp4/.mov H.264
that browsers play and that survives a hard kill, .webm VP9, .mkv any (FFV1: lossless), .avi MJPEG; the source's
timestamps and audio kept.

- Time: each frame keeps its time on the source's clock (a phone's variable frame rate stays as it was, and
  the audio stays in sync); frames without one (a camera, a folder, the built-in clip) are 1/fps apart.
- Fragmented MP4 (`frag_keyframe+empty_moov+default_base_moof`): the index (moov) is written first and each
  second of video is a self-contained fragment, so a SIGKILL or a power cut loses at most the last second
  instead of the whole file (a classic MP4 is unplayable until its index is written at the end). With the
  index first the file also streams as `+faststart` would make it; browsers play fragmented MP4 natively.
- Size: H.264 and VP9 in 4:2:0 need even sizes. An odd width or height is padded by one column or row
  repeating the last one, and the writer says so (`padded`). A source that changes size mid-run is scaled
  into the first size with black bars (runtime/sinks/fixed_size.py), with a note, never squeezed. MJPEG
  (4:4:4), FFV1 or a folder of PNGs keep odd sizes exactly (OpenCV's own writers silently cut 641x479 to
  640x478).
- Audio (runtime/sinks/audio.py): the source's first audio track, copied where the container carries its
  codec, else re-encoded with its channel layout; .avi keeps no audio.

VideoWriter writes the file; FileSink is the pipeline's sink around it.
"""
from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

from runtime.errors import SharpcamError
from runtime.imaging import pad_to_multiple
from runtime.optional import require
from runtime.sinks.audio import AudioTrack
from runtime.sinks.base import Sink
from runtime.sinks.fixed_size import FixedSize
from runtime.sinks.formats import MJPEG_QSCALE, QP2LAMBDA, VIDEO_SUFFIXES, Encoding, choose

__all__ = ["VIDEO_SUFFIXES", "FileSink", "VideoWriter", "even_size"]
TICKS = Fraction(1, 90000)  # the clock of containers that keep each frame's time: any source time fits


def _av():
    return require("av", "writing video files needs PyAV: pip install av (or write DIR/ instead)")


def even_size(size: tuple[int, int]) -> tuple[int, int]:
    return size[0] + size[0] % 2, size[1] + size[1] % 2


class VideoWriter:
    """Frames (uint8 BGR HxWx3 of `size`) -> a video file (formats.py by its extension); close() is idempotent."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float, audio_from: Path | None = None,
                 codec: str | None = None, crf: int | None = None) -> None:
        self._av = av = _av()
        self.encoding = enc = choose(path.suffix, codec, crf)
        self.size, self.coded = size, even_size(size) if enc.codec.even else size
        self.padded = self.coded != size
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._out = av.open(str(path), "w", format=enc.container.format, options=dict(enc.container.options))
        except (OSError, av.error.FFmpegError) as err:
            raise SharpcamError(f"cannot write video {path} ({err}); give a name in a writable folder") from err
        self._rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
        self._video = self._open_video(enc)
        self._audio = self._open_audio(av, audio_from) if enc.container.audio_encoder else None
        self.frames, self.last_time, self._last_pts = 0, None, None
        self.duration = 0.0  # seconds written: the last frame's time plus its length

    def _open_video(self, enc: Encoding):
        video = self._out.add_stream(enc.codec.encoder, rate=self._rate)
        video.width, video.height = self.coded
        video.pix_fmt = enc.codec.pix_fmt
        # A keyframe (and so a fragment) every second bounds what a hard kill can lose.
        video.options = {**enc.options, "g": str(max(round(float(self._rate)), 1))}
        if enc.container.variable_rate:
            video.codec_context.time_base = TICKS
        if enc.codec_name == "mjpeg":  # FFmpeg's -q:v: a fixed quantiser, set on the context (not an option)
            video.codec_context.qscale = True
            video.codec_context.global_quality = MJPEG_QSCALE * QP2LAMBDA
            video.options = {**video.options, "qmin": str(MJPEG_QSCALE)}
        return video

    def _open_audio(self, av, source: Path | None) -> AudioTrack | None:
        if source is None or not source.is_file():
            return None
        try:
            with av.open(str(source)) as probe:
                if not probe.streams.audio:
                    return None
            return AudioTrack(av, source, self._out, self.encoding)
        except av.error.FFmpegError:
            return None  # not something FFmpeg reads: OpenCV read the video, there is no audio to keep

    @property
    def audio(self) -> str:
        return self._audio.description if self._audio else "no audio"

    def _next_time(self, pts: float | None) -> float:
        """The frame's time: the source's where it has one and it moves forward, else 1/fps after the last."""
        step = 1 / float(self._rate)
        if self.last_time is None:
            return max(pts, 0.0) if pts is not None else 0.0
        return pts if pts is not None and pts > self.last_time + 1e-6 else self.last_time + step

    def write(self, frame: np.ndarray, pts: float | None = None) -> None:
        seconds = self._next_time(pts)
        picture = self._av.VideoFrame.from_ndarray(pad_to_multiple(frame, 2 if self.padded else 1), format="bgr24")
        tick = TICKS if self.encoding.container.variable_rate else 1 / self._rate
        ticks = round(seconds / tick)
        if self._last_pts is not None and ticks <= self._last_pts:  # a constant-rate file: one frame per tick
            ticks = self._last_pts + 1
        picture.pts, picture.time_base = ticks, tick
        self._out.mux(self._video.encode(picture))
        length = seconds - self.last_time if self.last_time is not None else 1 / float(self._rate)
        self.frames, self.last_time, self._last_pts = self.frames + 1, seconds, ticks
        self.duration = seconds + length
        if self._audio is not None:
            self._audio.feed(self._out, until=seconds)

    def close(self) -> None:
        if self._out is None:
            return
        out, self._out = self._out, None
        try:
            out.mux(self._video.encode(None))
            if self._audio is not None:
                self._audio.feed(out, until=self.duration)
                self._audio.close(out, self.duration)
        finally:
            out.close()


class FileSink(Sink):
    """A video file through PyAV (VideoWriter above), its codec by extension; odd sizes padded for 4:2:0
    codecs (said once), the source's time stamps and audio kept."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float, audio_from: Path | None = None,
                 codec: str | None = None, crf: int | None = None) -> None:
        self.path = path
        self._writer = VideoWriter(path, size, fps, audio_from, codec, crf)
        if self._writer.padded:
            print(f"note: {self._writer.encoding.codec_name} in 4:2:0 needs even sizes: {size[0]}x{size[1]} is "
                  f"written as {self._writer.coded[0]}x{self._writer.coded[1]}, the last column/row repeated "
                  "(.avi, --codec ffv1 in .mkv, or DIR/ keep the exact size)", file=sys.stderr)
        self.name, self.size = f"file {path} ({self._writer.audio})", size
        self._fixed = FixedSize(size, f"video file {path.name}")  # a file keeps its first size: scaled, not squeezed

    @property
    def frames(self) -> int:
        return self._writer.frames

    @property
    def duration(self) -> float:
        return self._writer.duration

    def write(self, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
              name: str | None = None) -> bool:
        return self.write_at(None, frame)

    def write_at(self, pts: float | None, frame: np.ndarray, original: np.ndarray | None = None, status: str = "",
                 name: str | None = None) -> bool:
        self._writer.write(self._fixed.fit(frame), pts)
        return True

    def close(self) -> None:
        self._writer.close()  # writes the last fragment (and the .avi index)
