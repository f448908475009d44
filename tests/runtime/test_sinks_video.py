"""Sinks: the H.264 file (browser-playable, kill-safe, exact picture, audio kept), the window's controls and
its refusal without a display, the virtual camera's mirror, and the Sink interface."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import av
import numpy as np
import pytest

from runtime.errors import SharpcamError
from runtime.controls import Controls
from runtime.sinks.video import FileSink
from runtime.sinks.folder import FolderSink
from runtime.sinks.base import NullSink, Sink, SinkOptions
from runtime.sinks.window import WindowSink, WindowView
from runtime.sinks.factory import open_sink
from runtime.sinks.video import VideoWriter

ROOT = Path(__file__).resolve().parents[2]


def frames(size: tuple[int, int], n: int, seed: int = 0) -> list[np.ndarray]:
    """Distinct frames a codec keeps close but a one-pixel shift does not: random 8x8 blocks, moving."""
    w, h = size
    blocks = np.random.default_rng(seed).integers(30, 226, ((h + 7) // 8 + 1, (w + 7) // 8 + n + 1, 3), np.uint8)
    big = np.repeat(np.repeat(blocks, 8, axis=0), 8, axis=1)
    return [np.ascontiguousarray(big[:h, 8 * i:8 * i + w]) for i in range(n)]


def make_clip(path: Path, size: tuple[int, int], n: int, fps: int = 30, audio: str | None = "aac") -> None:
    """A source file with H.264 video (even size) and a 440 Hz tone in `audio`."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        sound = out.add_stream(audio, rate=48000) if audio else None
        if sound is not None:
            sound.layout = "mono"
        for i, picture in enumerate(frames(size, n)):
            out.mux(video.encode(av.VideoFrame.from_ndarray(picture, format="bgr24")))
            if sound is not None:
                t = (np.arange(i * 1600, (i + 1) * 1600) / 48000.0)
                tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
                pcm = (tone * 30000).astype(np.int16) if audio.startswith("pcm") else tone
                chunk = av.AudioFrame.from_ndarray(pcm, format="s16" if audio.startswith("pcm") else "fltp",
                                                   layout="mono")
                chunk.sample_rate, chunk.pts = 48000, i * 1600
                out.mux(sound.encode(chunk))
        out.mux(video.encode(None))
        if sound is not None:
            out.mux(sound.encode(None))


def decode(path: Path) -> tuple[list[np.ndarray], av.container.InputContainer]:
    container = av.open(str(path))
    pictures = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    container.seek(0)
    return pictures, container


def test_mp4_is_h264_yuv420p_with_its_index_first(tmp_path):
    path = tmp_path / "out.mp4"
    with FileSink(path, (320, 240), 30) as sink:
        for picture in frames((320, 240), 10):
            sink.write(picture)
    pictures, container = decode(path)
    stream = container.streams.video[0]
    assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
    assert len(pictures) == 10
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # a browser can start playing before the end arrives
    container.close()


def test_odd_size_is_padded_never_rescaled(tmp_path, capfd):
    source = frames((641, 479), 5)
    path = tmp_path / "odd.mp4"
    with FileSink(path, (641, 479), 30) as sink:
        for picture in source:
            sink.write(picture)
    assert "641x479 is written as 642x480" in capfd.readouterr().err
    pictures, container = decode(path)
    container.close()
    assert pictures[0].shape == (480, 642, 3)
    # the picture sits unscaled at the top left (codec error only); the extra column repeats the last one
    error = np.abs(pictures[2][:479, :641].astype(int) - source[2]).mean()
    assert error < 4.0
    assert np.abs(pictures[2][:, 641].astype(int) - pictures[2][:, 640]).mean() < 4.0
    shifted = np.abs(pictures[2][:479, 1:642].astype(int) - source[2]).mean()
    assert shifted > 3 * error  # a rescale or a shift would not match pixel for pixel


@pytest.mark.parametrize("codec,kept", [("aac", "copied"), ("pcm_s16le", "re-encoded to AAC")])
def test_source_audio_is_kept(tmp_path, codec, kept):
    source = tmp_path / ("src.mp4" if codec == "aac" else "src.mov")
    make_clip(source, (320, 240), 30, audio=codec)
    path = tmp_path / "out.mp4"
    writer = VideoWriter(path, (320, 240), 30, audio_from=source)
    assert kept in writer.audio
    for picture in frames((320, 240), 30):
        writer.write(picture)
    writer.close()
    writer.close()  # idempotent
    with av.open(str(path)) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        seconds = sum(f.samples for f in container.decode(audio=0)) / audio.codec_context.sample_rate
    assert abs(seconds - 1.0) < 0.1  # the tone lasts as long as the video, one second


def test_no_audio_track_means_none_kept(tmp_path):
    source = tmp_path / "silent.mp4"
    make_clip(source, (320, 240), 5, audio=None)
    writer = VideoWriter(tmp_path / "out.mp4", (320, 240), 30, audio_from=source)
    assert writer.audio == "no audio"
    writer.close()


def test_a_hard_kill_loses_at_most_the_last_second(tmp_path):
    """SIGKILL while writing (no close, no finally): the fragments written so far still play."""
    path, ready = tmp_path / "killed.mp4", tmp_path / "ready"
    script = (
        "import sys, time; from pathlib import Path\n"
        "from runtime.sinks.video import VideoWriter\n"
        "sys.path.insert(0, r'%s'); from test_sinks_video import frames\n"
        "w = VideoWriter(Path(r'%s'), (160, 120), 30)\n"
        "for f in frames((160, 120), 120): w.write(f)\n"
        "Path(r'%s').touch(); time.sleep(60)\n") % (Path(__file__).parent, path, ready)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert ready.exists(), "the writer did not get through its 120 frames"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    pictures, container = decode(path)
    container.close()
    assert len(pictures) >= 120 - 2 * 30  # written fragments survive; only the open one (<= 1 s + lookahead) is lost


def test_every_sink_follows_the_sink_interface(tmp_path):
    for sink in (NullSink(), FolderSink(tmp_path / "frames"), FileSink(tmp_path / "a.avi", (64, 48), 30),
                 FileSink(tmp_path / "a.mp4", (64, 48), 30)):
        with sink:
            assert isinstance(sink, Sink)
            assert sink.write(np.zeros((48, 64, 3), np.uint8)) is True


def test_window_labels_both_halves_and_toggles_help_and_mirror():
    sink = WindowView(side_by_side=True, controls=Controls())  # what the window shows: no display needed
    original, sharpened = frames((160, 120), 2)
    view = sink.compose(sharpened, original)
    assert view.shape == (120, 320, 3)
    assert (view[60:, :160] == original[60:]).all() and (view[60:, 160:] == sharpened[60:]).all()  # below labels
    assert (view[:30, :160] != original[:30]).any() and (view[:30, 160:] != sharpened[:30]).any()  # labelled
    short = sink.compose(sharpened, original)
    assert sink.handle_key(ord("h")) and sink.show_help
    assert (sink.compose(sharpened, original)[40:110, 160:] != short[40:110, 160:]).any()  # help lines drawn
    sink.overlay = False
    assert sink.handle_key(ord("m")) and sink.mirror
    assert (sink.compose(sharpened, original) == np.hstack([original[:, ::-1], sharpened[:, ::-1]])).all()
    assert sink.handle_key(ord("q")) is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is Linux's DISPLAY/WAYLAND_DISPLAY")
def test_window_without_a_display_is_a_one_line_error_not_an_abort(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run([sys.executable, "-m", "runtime.cam", "--source", "builtin", "--sink", "window",
                           "--frames", "3", "--quiet"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr  # a user error (runtime/entry.py), not 134 (Qt's SIGABRT)
    error = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "needs a display" in error[0] and "Traceback" not in proc.stderr


def test_sink_options_reach_the_sinks(tmp_path, monkeypatch):
    """Each option lands in the sink it is for (the window's halves and mirror, the virtual camera's device
    and mirror, the video file's audio source), and the refusals say what to do."""
    monkeypatch.setenv("DISPLAY", ":0")  # built only: no frame is shown, so no window opens
    window = open_sink("window", (64, 48), 30, options=SinkOptions(side_by_side=True, mirror=True))
    assert isinstance(window, WindowSink) and window.view.side_by_side and window.view.mirror
    window.close()

    opened: dict = {}

    class FakeCamera:  # pyvirtualcam.Camera's interface, recording what it was opened with and sent
        def __init__(self, **kwargs):
            opened.update(kwargs)
            self.device = kwargs["device"]

        def send(self, frame):
            opened["sent"] = frame

        def close(self):
            pass

    formats = types.SimpleNamespace(I420="I420", BGR="BGR")
    monkeypatch.setitem(sys.modules, "pyvirtualcam", types.SimpleNamespace(Camera=FakeCamera, PixelFormat=formats))
    monkeypatch.setattr(sys, "platform", "win32")  # BGR passes through unconverted: the mirror is visible
    frame = np.zeros((48, 64, 3), np.uint8)
    frame[:, 0] = 255  # the left column
    with open_sink("vcam", (64, 48), 30, options=SinkOptions(mirror=True, vcam_device="/dev/video9")) as vcam:
        vcam.write(frame)
    assert opened["device"] == "/dev/video9" and (opened["width"], opened["height"]) == (64, 48)
    assert (opened["sent"][:, -1] == 255).all() and (opened["sent"][:, 0] == 0).all()  # mirrored
    monkeypatch.undo()

    source = tmp_path / "with_audio.mp4"
    make_clip(source, (64, 48), 6)
    with open_sink(str(tmp_path / "out.mp4"), (64, 48), 30, options=SinkOptions(audio_from=source)) as video:
        assert "aac audio copied" in video.name
    with open_sink(str(tmp_path / "silent.mp4"), (64, 48), 30) as video:
        assert "no audio" in video.name

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if sys.platform.startswith("linux"):
        with pytest.raises(SharpcamError, match="needs a display"):
            open_sink("window", (64, 48), 30, options=SinkOptions(mirror=True))
    with pytest.raises(SharpcamError, match=r"\.mp4/\.mov: H\.264"):
        open_sink(str(tmp_path / "out.flv"), (64, 48), 30)


def test_progress_bar_wraps_a_sink_for_sources_of_known_length(tmp_path, monkeypatch):
    from runtime.sinks.progress import ProgressSink, with_progress
    from runtime.sources import open_source
    clip = tmp_path / "clip.mp4"
    make_clip(clip, (160, 120), 12, audio=None)
    assert open_source(str(clip)).frame_count == 12
    assert open_source("builtin").frame_count == 90
    inner = FolderSink(tmp_path / "frames")
    assert not isinstance(with_progress(inner, 12), ProgressSink)  # stderr is not a terminal under pytest: no bar in logs
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert with_progress(inner, None) is inner
    with with_progress(inner, 2) as sink:
        assert isinstance(sink, ProgressSink) and isinstance(sink, Sink)
        assert sink.write(frames((160, 120), 1)[0], name="a.png")
    assert inner.frames == 1 and (tmp_path / "frames" / "a.png").exists()


def test_missing_virtual_camera_says_how_to_install():
    if Path("/dev/video0").exists() or sys.platform != "linux":
        pytest.skip("a video device exists here; the missing-camera message cannot be provoked")
    with pytest.raises(SharpcamError) as err:
        open_sink("vcam", (640, 480), 30)
    assert "v4l2loopback" in str(err.value) and "exclusive_caps=1" in str(err.value)
    assert "--sink window" in str(err.value)
