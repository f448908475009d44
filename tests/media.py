"""Real media files made with PyAV for the recording tests, and the measurements taken on what comes back:
a flash in the picture and a beep in the sound at the same instant, so A/V sync can be read off an output.

make_marked_clip: `segments` of (frames, fps), so [(60, 30), (40, 10)] is variable frame rate (a phone's
clip): 60 frames at 30 fps, then 40 at 10 fps. The first frame at `flash_at` seconds is white (the rest
dark), and the audio holds a 1 kHz beep starting at the same time (silence elsewhere).
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

TICKS = 90000  # video time base 1/90000: any frame time a VFR clip has
DARK, WHITE = 40, 230


def _picture(size: tuple[int, int], index: int, flash: bool) -> np.ndarray:
    w, h = size
    image = np.full((h, w, 3), WHITE if flash else DARK, np.uint8)
    if not flash:  # some texture that moves, so frames differ as real ones do
        x = (index * 7) % max(w - 16, 1)
        image[h // 4:h // 4 + 16, x:x + 16] = (200, 120, 60)
    return image


def frame_times(segments: list[tuple[int, float]]) -> list[float]:
    times, t = [], 0.0
    for count, fps in segments:
        for _ in range(count):
            times.append(t)
            t += 1.0 / fps
    return times


def make_marked_clip(path: Path, segments: list[tuple[int, float]] = ((60, 30), (40, 10)),
                     size: tuple[int, int] = (160, 120), flash_at: float = 2.0, audio: str | None = "aac",
                     layout: str = "mono", rate: int = 48000, container: str | None = None,
                     video: str = "libx264") -> list[float]:
    """Write the clip; returns the frame times (seconds) as written."""
    times = frame_times(list(segments))
    duration = times[-1] + 1.0 / segments[-1][1]
    flash = min(range(len(times)), key=lambda i: abs(times[i] - flash_at))
    with av.open(str(path), "w", format=container) as out:
        vs = out.add_stream(video, rate=segments[0][1])
        vs.width, vs.height = size
        vs.pix_fmt = "yuv420p" if video != "mjpeg" else "yuvj420p"
        vs.codec_context.time_base = Fraction(1, TICKS)
        sound = _audio_stream(out, audio, layout, rate) if audio else None
        for i, t in enumerate(times):
            picture = av.VideoFrame.from_ndarray(_picture(size, i, i == flash), format="bgr24")
            picture.pts, picture.time_base = round(t * TICKS), Fraction(1, TICKS)
            out.mux(vs.encode(picture))
        out.mux(vs.encode(None))
        if sound is not None:
            _write_beep(out, sound, duration, times[flash], layout, rate)
    return times


def _audio_stream(out, codec: str, layout: str, rate: int):
    sound = out.add_stream(codec, rate=rate)
    sound.layout = layout
    return sound


def _write_beep(out, sound, duration: float, beep_at: float, layout: str, rate: int) -> None:
    channels = av.AudioLayout(layout).nb_channels
    total = int(duration * rate)
    t = np.arange(total) / rate
    wave = np.where((t >= beep_at) & (t < beep_at + 0.1), 0.5 * np.sin(2 * np.pi * 1000 * (t - beep_at)), 0.0)
    samples = np.repeat(wave.astype(np.float32)[None], channels, axis=0)
    offered = [f.name for f in sound.codec_context.codec.audio_formats or ()]
    fmt = next((f for f in ("fltp", "flt", "s16p", "s16") if f in offered), "fltp")
    chunk = 1024
    for start in range(0, total, chunk):
        block = samples[:, start:start + chunk]
        if fmt.startswith("s16"):
            block = (block * 32767).astype(np.int16)
        if not fmt.endswith("p"):  # packed: one row of interleaved samples
            block = np.ascontiguousarray(block.T.reshape(1, -1))
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block), format=fmt, layout=layout)
        frame.sample_rate, frame.pts = rate, start
        out.mux(sound.encode(frame))
    out.mux(sound.encode(None))


# measuring an output -------------------------------------------------------------------------------------
def video_frames(path: Path) -> list[tuple[float, np.ndarray]]:
    """(time in seconds, BGR image) of every decoded frame."""
    with av.open(str(path)) as inp:
        return [(float(f.pts * f.time_base), f.to_ndarray(format="bgr24")) for f in inp.decode(video=0)]


def flash_time(path: Path) -> float:
    frames = video_frames(path)
    return next(t for t, image in frames if image.mean() > (DARK + WHITE) / 2)


def beep_time(path: Path, threshold: float = 0.1) -> float:
    """Time of the first audio sample above `threshold` (full scale 1.0)."""
    with av.open(str(path)) as inp:
        for frame in inp.decode(audio=0):
            data = frame.to_ndarray().astype(np.float64)
            if data.dtype.kind == "i" or np.abs(data).max() > 2:
                data = data / 32768.0
            channels = frame.layout.nb_channels
            per_channel = data.reshape(channels, -1) if frame.format.is_planar else data.reshape(-1, channels).T
            loud = np.flatnonzero(np.abs(per_channel).max(axis=0) > threshold)
            if loud.size:
                return float(frame.pts * frame.time_base) + loud[0] / frame.sample_rate
    raise AssertionError(f"no beep in {path}")


def audio_frame_seconds(path: Path) -> float:
    """One audio frame's duration in the file (AAC 1024 samples, MP3 1152, Opus 960 at 48 kHz)."""
    with av.open(str(path)) as inp:
        ctx = inp.streams.audio[0].codec_context
        samples = ctx.frame_size or {"opus": 960, "mp3": 1152, "flac": 4608}.get(ctx.codec.canonical_name, 1024)
        return samples / ctx.sample_rate


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM over the luma of two BGR images (Gaussian window, the usual constants)."""
    import cv2
    x = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY).astype(np.float64)
    y = cv2.cvtColor(b, cv2.COLOR_BGR2GRAY).astype(np.float64)
    blur = lambda m: cv2.GaussianBlur(m, (11, 11), 1.5)  # noqa: E731
    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    return float((((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))).mean())


def audio_codec_name(stream) -> str:
    """The codec's name (opus), not its decoder's (libopus)."""
    return stream.codec_context.codec.canonical_name
