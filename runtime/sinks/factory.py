"""Opening a sink by what the user wrote after --sink."""
from __future__ import annotations

from pathlib import Path

from runtime.controls import Controls
from runtime.errors import SharpcamError
from runtime.sinks.base import NullSink, Sink, SinkOptions
from runtime.sinks.folder import FolderSink, is_folder_spec
from runtime.sinks.video import VIDEO_SUFFIXES, FileSink
from runtime.sinks.vcam import VirtualCamSink
from runtime.sinks.window import WindowSink

SINK_HELP = ("vcam, window, null, a video file (.mp4/.mov: H.264, .webm: VP9, .mkv: H.264 or --codec vp9/ffv1 "
             "(lossless), .avi: MJPEG), or DIR/ for lossless numbered PNGs (an image folder source keeps its "
             "file names)")


def is_file_sink(spec: str) -> bool:
    """A sink that writes one file (a video), as opposed to a device, a window or a folder of images."""
    return spec not in ("null", "window", "vcam") and not is_folder_spec(spec)


def open_sink(spec: str, size: tuple[int, int], fps: float, controls: Controls | None = None,
              options: SinkOptions | None = None) -> Sink:
    """vcam, window, null, a folder for PNGs (DIR/), or a video file path (SINK_HELP)."""
    opts = options or SinkOptions()
    if spec == "null":
        return NullSink()
    if spec == "window":
        return WindowSink(side_by_side=opts.side_by_side, controls=controls, mirror=opts.mirror)
    if spec == "vcam":
        return VirtualCamSink(size, fps, opts.vcam_device, opts.mirror)
    if is_folder_spec(spec):  # before the suffix test: Path("out.mp4/").suffix is ".mp4"
        return FolderSink(Path(spec))
    if Path(spec).suffix.lower() in VIDEO_SUFFIXES:
        return FileSink(Path(spec), size, fps, opts.audio_from, opts.codec, opts.crf)
    raise SharpcamError(f"unknown sink {spec!r}: use {SINK_HELP}")
