"""Recordings (`sharpcam cam --source FILE --sink FILE`), issue 22: the source never destroyed, outputs not
replaced unasked, the source's timestamps and audio kept, containers by extension, and how a job ends.
Every clip is a real file made here with PyAV (tests/media.py)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import av
import numpy as np
import pytest

import media
import runtime.cam as runtime_cam
import runtime.outputs as outputs
import runtime.session as session
from runtime.cam import cli as run
from runtime.cam import parse_args
from runtime.errors import SharpcamError


@pytest.fixture(scope="module")
def vfr_clip(tmp_path_factory) -> Path:
    """60 frames at 30 fps then 40 at 10 fps, a flash and a beep at 2.000 s, mono AAC."""
    path = tmp_path_factory.mktemp("media") / "vfr.mp4"
    media.make_marked_clip(path)
    return path


def cam(*argv: str) -> dict:
    return run(parse_args([*argv, "--quiet"]))


def cam_main(*argv: str) -> None:
    """The command as a user runs it: exit status and all."""
    runtime_cam.main(list(argv))


# 2: the source is never an output ------------------------------------------------------------------------
@pytest.mark.parametrize("alias", ["same", "symlink", "hardlink", "dotted"])
def test_sink_that_is_the_source_is_refused_and_the_source_kept(tmp_path, vfr_clip, alias):
    source = tmp_path / "clip.mp4"
    source.write_bytes(vfr_clip.read_bytes())
    sink = {"same": source, "dotted": tmp_path / "." / "clip.mp4",
            "symlink": tmp_path / "link.mp4", "hardlink": tmp_path / "hard.mp4"}[alias]
    if alias == "symlink":
        sink.symlink_to(source)
    if alias == "hardlink":
        os.link(source, sink)
    before = source.read_bytes()
    with pytest.raises(SharpcamError, match="same file as --source"):
        cam("--source", str(source), "--sink", str(sink), "-y")
    assert source.read_bytes() == before


def test_stats_onto_the_source_or_the_sink_is_refused(tmp_path, vfr_clip):
    out = tmp_path / "out.mp4"
    with pytest.raises(SharpcamError, match="--stats .* same file as --source"):
        cam("--source", str(vfr_clip), "--sink", "null", "--stats", str(vfr_clip), "-y")
    with pytest.raises(SharpcamError, match="--sink and --stats are the same file"):
        cam("--source", str(vfr_clip), "--sink", str(out), "--stats", str(out), "-y")
    assert not out.exists()


# 4: existing outputs -----------------------------------------------------------------------------------
def test_an_existing_output_is_refused_by_default_and_with_n(tmp_path, vfr_clip, monkeypatch):
    monkeypatch.setattr(outputs, "on_a_terminal", lambda: False)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep me")
    for flags in ([], ["-n"], ["--no-overwrite"]):
        with pytest.raises(SharpcamError, match=r"already exists; use -y \(--overwrite\)"):
            cam("--source", str(vfr_clip), "--sink", str(out), "--frames", "2", *flags)
        assert out.read_bytes() == b"keep me"
    stats = tmp_path / "stats.json"
    stats.write_text("{}")
    with pytest.raises(SharpcamError, match="--stats .* already exists"):
        cam("--source", str(vfr_clip), "--sink", "null", "--stats", str(stats), "--frames", "2")


def test_y_overwrites(tmp_path, vfr_clip):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"replace me")
    for flag in ("-y", "--overwrite"):
        assert cam("--source", str(vfr_clip), "--sink", str(out), "--frames", "2", flag)["frames"] == 2
        assert out.stat().st_size > 100


def test_y_and_n_together_are_a_usage_error():
    with pytest.raises(SystemExit):
        parse_args(["-y", "-n"])


@pytest.mark.parametrize("answer, replaced", [(True, True), (False, False)])
def test_a_terminal_is_asked(tmp_path, vfr_clip, monkeypatch, answer, replaced):
    asked = []
    monkeypatch.setattr(outputs, "on_a_terminal", lambda: True)
    monkeypatch.setattr(outputs, "ask_user", lambda question: asked.append(question) or answer)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"old")
    if replaced:
        cam("--source", str(vfr_clip), "--sink", str(out), "--frames", "2")
    else:
        with pytest.raises(SharpcamError, match="not overwriting"):
            cam("--source", str(vfr_clip), "--sink", str(out), "--frames", "2")
    assert asked and str(out) in asked[0] and (out.read_bytes() != b"old") == replaced


# 1: variable frame rate, timestamps kept, A/V in sync; 5: containers by extension -------------------------
@pytest.mark.parametrize("ext, video, audio", [(".mp4", "h264", "aac"), (".mov", "h264", "aac"),
                                               (".mkv", "h264", "aac"), (".webm", "vp9", "opus")])
def test_variable_frame_rate_keeps_each_frame_time_and_the_sync(tmp_path, vfr_clip, ext, video, audio):
    out = tmp_path / f"out{ext}"
    cam("--source", str(vfr_clip), "--sink", str(out), "--strength", "0")
    times = [t for t, _ in media.video_frames(out)]
    assert times == pytest.approx(media.frame_times([(60, 30), (40, 10)]), abs=1e-3)  # starts at 0, 10 fps after 2 s
    flash, beep = media.flash_time(out), media.beep_time(out)
    assert flash == pytest.approx(2.0, abs=1e-3)
    assert abs(flash - beep) <= media.audio_frame_seconds(out)
    with av.open(str(out)) as inp:
        assert inp.streams.video[0].codec_context.name == video
        assert media.audio_codec_name(inp.streams.audio[0]) == audio
        assert inp.streams.audio[0].codec_context.layout.name == "mono"


# 8: how a job ends ---------------------------------------------------------------------------------------
def test_a_finished_file_job_says_what_it_wrote(tmp_path, vfr_clip, capfd):
    out = tmp_path / "out.mkv"
    cam_main("--source", str(vfr_clip), "--sink", str(out), "--quiet")
    assert capfd.readouterr().err.splitlines()[-1] == f"wrote {out} (100 frames, 6.000 s)"


@pytest.mark.parametrize("signal_name, status", [("SIGINT", 130), ("SIGTERM", 143)])
def test_an_interrupted_file_job_exits_as_a_shell_reports_a_signal(tmp_path, vfr_clip, monkeypatch, capfd,
                                                                    signal_name, status):
    def interrupted(self):
        raise runtime_cam.Stop(signal_name) if signal_name != "SIGINT" else KeyboardInterrupt()

    monkeypatch.setattr(session.Pipeline, "run", interrupted)
    out = tmp_path / "out.mp4"
    with pytest.raises(SystemExit) as exit_:
        cam_main("--source", str(vfr_clip), "--sink", str(out), "--quiet")
    assert exit_.value.code == status and f"stopped ({signal_name})" in capfd.readouterr().err


def test_the_last_lines_come_under_the_progress_bar_not_into_it(tmp_path, vfr_clip, monkeypatch, capfd):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    run(parse_args(["--source", str(vfr_clip), "--sink", str(tmp_path / "out.mp4")]))
    err = capfd.readouterr().err
    assert "frame/s]" in err  # the bar was drawn
    stats_lines = [line for line in err.split("\n") if " dropped, " in line]
    assert stats_lines and all("frame/s]" not in line for line in stats_lines), err


def test_size_and_fps_on_a_file_source_say_they_are_ignored(tmp_path, vfr_clip, capfd):
    cam("--source", str(vfr_clip), "--sink", "null", "--size", "1280x720", "--fps", "60", "--frames", "2")
    err = capfd.readouterr().err
    assert "note: --size is ignored" in err and "note: --fps is ignored" in err


# 3: how close a recording is to what the sink was given (strength 0: the source itself) -------------------
def builtin_frames(n: int, size: tuple[int, int] = (640, 480)) -> list:
    from runtime.sources import BuiltinClip
    clip = BuiltinClip(size)
    return [clip.read() for _ in range(n)]


@pytest.mark.parametrize("ext, least", [(".avi", 0.99), (".mp4", 0.97)])
def test_a_recording_at_strength_0_is_close_to_its_input(tmp_path, ext, least):
    out = tmp_path / f"out{ext}"
    cam("--source", "builtin", "--sink", str(out), "--strength", "0", "--frames", "20")
    got = [image for _, image in media.video_frames(out)]
    assert len(got) == 20
    assert min(media.ssim(a, b) for a, b in zip(got, builtin_frames(20))) >= least


@pytest.mark.parametrize("ext", [".mkv", ".avi"])
def test_ffv1_is_lossless_at_any_size(tmp_path, ext):
    out = tmp_path / f"out{ext}"
    cam("--source", "builtin", "--size", "161x121", "--sink", str(out), "--codec", "ffv1", "--strength", "0",
        "--frames", "5")
    got = [image for _, image in media.video_frames(out)]
    assert len(got) == 5 and all(np.array_equal(a, b) for a, b in zip(got, builtin_frames(5, (161, 121))))


def test_a_codec_the_container_cannot_hold_is_refused(tmp_path):
    with pytest.raises(SharpcamError, match="--codec ffv1 does not go in .mp4"):
        cam("--source", "builtin", "--sink", str(tmp_path / "out.mp4"), "--codec", "ffv1")
    with pytest.raises(SharpcamError, match="--crf is for h264 and vp9"):
        cam("--source", "builtin", "--sink", str(tmp_path / "out.mkv"), "--codec", "ffv1", "--crf", "10")


def test_crf_reaches_the_encoder(tmp_path):
    sizes = {}
    for crf in ("10", "40"):
        out = tmp_path / f"crf{crf}.mp4"
        cam("--source", "builtin", "--sink", str(out), "--crf", crf, "--frames", "10", "--strength", "0")
        sizes[crf] = out.stat().st_size
    assert sizes["10"] > 3 * sizes["40"]


# 6: audio: copied where the container carries it, layout kept, starts at 0, in sync ----------------------
AUDIO_CASES = {  # source (extension, audio encoder, layout, rate), sink extension, what the output holds
    "mp3 copied": ((".mp4", "libmp3lame", "stereo", 44100), ".mp4", "mp3"),
    "mono aac copied": ((".mp4", "aac", "mono", 48000), ".mp4", "aac"),
    "mono pcm re-encoded stays mono": ((".mov", "pcm_s16le", "mono", 48000), ".mp4", "aac"),
    "opus copied into mp4": ((".webm", "libopus", "stereo", 48000), ".mp4", "opus"),
    "aac re-encoded for webm": ((".mp4", "aac", "stereo", 44100), ".webm", "opus"),
    "flac kept by mkv": ((".mkv", "flac", "stereo", 44100), ".mkv", "flac"),
}


@pytest.mark.parametrize("case", AUDIO_CASES)
def test_audio_keeps_codec_layout_start_and_sync(tmp_path, case):
    (ext, encoder, layout, rate), sink_ext, kept = AUDIO_CASES[case]
    source, out = tmp_path / f"src{ext}", tmp_path / f"out{sink_ext}"
    media.make_marked_clip(source, [(180, 30)], audio=encoder, layout=layout, rate=rate,
                           video="libvpx-vp9" if ext == ".webm" else "libx264")
    cam("--source", str(source), "--sink", str(out), "--strength", "0")
    one_frame = media.audio_frame_seconds(out)
    with av.open(str(out)) as inp:
        audio = inp.streams.audio[0]
        assert (media.audio_codec_name(audio), audio.codec_context.layout.name) == (kept, layout)
        # 6 s stays 6 s (it was 6.067: two frames late); a copied last packet or an encoder's padding may
        # run past the last frame by up to a frame, and a codec's priming by up to one more
        assert abs(inp.duration / 1e6 - 6.0) <= 2 * one_frame
    assert media.video_frames(out)[0][0] == 0.0
    assert abs(media.flash_time(out) - media.beep_time(out)) <= one_frame


# 7: large frames: the time said up front (a few frames in), memory bounded --------------------------------
@pytest.mark.parametrize("seconds_per_frame, said", [(1.0, True), (0.01, False)])
def test_a_long_file_job_says_how_long_it_will_take(capfd, seconds_per_frame, said):
    from runtime.sinks.base import NullSink
    from runtime.sinks.progress import MEASURED_FRAMES, EstimateSink, with_progress
    assert isinstance(with_progress(NullSink(), 100), EstimateSink)  # no terminal: no bar, an estimate
    times = iter([0.0, MEASURED_FRAMES * seconds_per_frame])
    sink = EstimateSink(NullSink(), 100, clock=lambda: next(times))
    frame = np.zeros((2160, 3840, 3), np.uint8)
    for _ in range(10):
        sink.write(frame)
    err = capfd.readouterr().err
    left = 100 - 1 - MEASURED_FRAMES
    assert (f"3840x2160 frames take 1.00 s each here: about 1:{left - 60:04.1f} for the {left} frames left"
            in err) == said, err


def test_a_frame_folder_that_holds_pngs_is_an_existing_output(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "on_a_terminal", lambda: False)
    frames = tmp_path / "frames"
    frames.mkdir()
    cam("--source", "builtin", "--sink", f"{frames}/", "--frames", "2")  # an empty folder: fine
    with pytest.raises(SharpcamError, match="already exists; use -y"):
        cam("--source", "builtin", "--sink", f"{frames}/", "--frames", "2")
    assert cam("--source", "builtin", "--sink", f"{frames}/", "--frames", "2", "-y")["frames"] == 2
