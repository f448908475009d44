"""The source file's audio in a video sink's output: copied as it is where the container carries the codec,
else re-encoded (channel layout and sample rate kept), on the video's clock.

The video's frames carry their time from the start of the source's *video* stream (OpenCV's clock), so the
audio is moved by the same amount (`shift`: the video stream's start time): what played together in the
source plays together in the output. Audio before the first video frame (an AAC priming packet, an Opus
pre-roll, audio that starts early) is left out, so the output starts at 0.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from runtime.sinks.formats import Encoding


def audio_codec(stream) -> str:
    """The codec's own name (mp3), not its decoder's (PyAV's codec_context.name says mp3float)."""
    return stream.codec_context.codec.canonical_name


class AudioTrack:
    """The first audio track of `source`, muxed into `output` up to a given time on the output's clock."""

    def __init__(self, av, source: Path, output, encoding: Encoding) -> None:
        self._input = av.open(str(source))
        self._in = self._input.streams.audio[0]
        video = self._input.streams.video[0] if self._input.streams.video else None
        self._shift = _start_seconds(video) if video is not None else 0.0
        name = audio_codec(self._in)
        self.copy = encoding.copies(name)
        ctx = self._in.codec_context
        if self.copy:
            self._out = output.add_stream_from_template(self._in)
        else:
            self._out = output.add_stream(encoding.container.audio_encoder, rate=_rate_for(encoding, ctx.sample_rate))
            self._out.layout = ctx.layout.name  # mono stays mono
        self._packets = iter(self._input.demux(self._in))
        self._pending = None  # the first packet of the next feed()
        self.description = f"{name} audio " + ("copied" if self.copy else
                                                  f"re-encoded to {_display(self._out.codec_context)}")

    def feed(self, output, until: float) -> None:
        """Mux the packets that start before `until` seconds; a later one waits for the next call, and what
        starts after the last video frame ends is left out (the output ends with its video)."""
        while True:
            packet = self._pending or next(self._packets, None)
            self._pending = None
            if packet is None:
                return
            if packet.dts is None or packet.pts is None:  # the demuxer's final flush packet
                continue
            start = float(packet.pts * packet.time_base) - self._shift
            if start >= until:
                self._pending = packet
                return
            end = start + float((packet.duration or 0) * packet.time_base)
            if self.copy:
                self._copy(output, packet, start, end)
            else:
                self._encode(output, packet)

    def _copy(self, output, packet, start: float, end: float) -> None:
        if end <= 0 if packet.duration else start < 0:  # wholly before the first frame (priming, pre-roll)
            return
        moved = round(self._shift / packet.time_base)
        packet.pts -= moved
        packet.dts -= moved
        packet.stream = self._out
        output.mux(packet)

    def _encode(self, output, packet) -> None:
        for frame in packet.decode():
            start = float(frame.pts * frame.time_base) - self._shift if frame.pts is not None else 0.0
            if start + frame.samples / frame.sample_rate <= 0:
                continue
            frame.pts = round(start * frame.sample_rate)
            frame.time_base = Fraction(1, frame.sample_rate)
            output.mux(self._out.encode(frame))

    def close(self, output, until: float) -> None:
        """Flush the encoder, leaving out what it pads past `until` (the video's end), and close the source."""
        if not self.copy:
            output.mux([p for p in self._out.encode(None) if p.pts is None or float(p.pts * p.time_base) < until])
        self._input.close()


def _display(ctx) -> str:
    name = ctx.codec.canonical_name
    return {"aac": "AAC", "opus": "Opus", "mp3": "MP3"}.get(name, name)


def _start_seconds(stream) -> float:
    return float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0


def _rate_for(encoding: Encoding, rate: int | None) -> int:
    """Opus encodes 48 kHz (and a few lower rates); AAC any common rate."""
    if encoding.container.audio_encoder == "libopus" and rate not in (8000, 12000, 16000, 24000, 48000):
        return 48000
    return rate or 48000
