"""Webcam (or video, or images) -> sharpening model -> virtual camera, window or file.

    python -m runtime.cam                                    # camera 0 if present, else the built-in clip
    python -m runtime.cam --engine engines/webcam_480p.plan  # TensorRT
    python -m runtime.cam --strength 0.6                     # a gentler correction (0 = off, 1 = full)
    python -m runtime.cam --student seed --source clip.mp4 --sink out.mp4   # the report's architecture
    python -m runtime.cam --model engines/webcam_480p.onnx --source clip.mp4 --sink out.mp4
    python -m runtime.cam --source clip.mp4 --sink frames/  # lossless PNG per frame
    python -m runtime.cam --sink window --side-by-side --frames 300 --stats stats.json

Sinks: vcam (pyvirtualcam: v4l2loopback on Linux, OBS on Windows/macOS), window (keys: b or space
before/after, + and - strength, q quit), null, a folder DIR/ (numbered PNGs; a folder source's names kept),
or a .mp4/.avi path.
The default student cleans sensor noise and compression and sharpens; its temporal filter keeps still
scenes calm (state carried frame to frame, reset when the camera reconnects).
Per-stage latency (p50/p95 ms) is printed every 2 s; --stats writes the summary as JSON at exit.
Ctrl-C, SIGTERM (kill, systemd, docker stop, timeout) and SIGHUP (a closed terminal) stop cleanly and
finalize an output file. A frame the model fails on is passed through unchanged on a live camera (counted as
an error in the status line; the run stops after 30 in a row); a file job stops at its first error.
User mistakes end with one "error: ..." line and exit status 2.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Callable, Iterator

from runtime.adaptive import POLICIES, AdaptiveBackend
from runtime.backends import Backend, strength_arg
from runtime.choose import BACKENDS, open_backend
from runtime.contract import DEFAULT_STRENGTH, DEFAULT_STUDENT, STUDENTS
from runtime.entry import check_writable_file, ending, positive_float, positive_int, threads, write_text_atomic
from runtime.errors import SharpcamError
from runtime.pipeline import Controls, Pipeline, PipelineConfig
from runtime.models import model_arg
from runtime.sinks import SINK_HELP, ProgressSink, Sink, SinkOptions, is_folder_spec, open_sink, with_progress
from runtime.sources import FrameSource, open_source
from runtime.stats import LatencyStats


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as err:
        raise argparse.ArgumentTypeError("size must look like 640x480") from err
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive, not {text}")
    return w, h


def default_source() -> str:
    """Camera 0 where one exists, else the built-in clip."""
    if sys.platform.startswith("linux"):
        return "0" if Path("/dev/video0").exists() else "builtin"
    try:
        import cv2
        cap = cv2.VideoCapture(0)
        found = cap.isOpened()
        cap.release()
        return "0" if found else "builtin"
    except ImportError:
        return "builtin"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", type=model_arg, help="TensorRT engine (.plan) built by 'make engines': a path or a "
                                                    "name such as webcam_480p")
    p.add_argument("--model", type=model_arg, help="ONNX graph for ONNX Runtime (CPU, or CUDA with onnxruntime-gpu): "
                                                   "a path or a name such as webcam_480p")
    p.add_argument("--student", choices=STUDENTS, default=DEFAULT_STUDENT,
                   help="which shipped student to pick a graph/engine of when neither --engine nor --model is "
                        "given: webcam (noise, compression and blur of real webcams), fast (clean blur only) or "
                        "seed (the report's network) (default: %(default)s)")
    p.add_argument("--source", help="camera index or /dev/videoN, video file, image folder, or 'builtin' "
                                    "(default: camera 0 if present, else the built-in clip)")
    p.add_argument("--sink", default="vcam", help=f"{SINK_HELP} (default: %(default)s)")
    p.add_argument("--vcam-device", help="vcam sink: which virtual camera, e.g. /dev/video10 ('sharpcam devices' "
                                         "lists them) (default: the first free one)")
    p.add_argument("--mirror", action="store_true", help="window and vcam sinks: flip left-right (a selfie view)")
    p.add_argument("--size", type=_size, default=None, help="camera resolution to ask for, e.g. 1280x720 (default: the camera's own)")
    p.add_argument("--fps", type=positive_float, default=None, help="camera frame rate to ask for (default: the camera's own)")
    p.add_argument("--frames", type=positive_int, default=None, help="stop after N frames, N >= 1 (default: run to the end of the source, or until Ctrl-C)")
    p.add_argument("--stats", type=Path, help="write the latency summary (JSON) here at exit (default: none)")
    p.add_argument("--side-by-side", action="store_true", help="window sink: original | sharpened")
    p.add_argument("--pace", action="store_true", help="play files at their frame rate, dropping late frames")
    p.add_argument("--loop", action="store_true",
                   help="play a file, folder or the built-in clip again and again until stopped (soak tests)")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="inference engine: auto picks TensorRT (an engine and a GPU), else OpenVINO (installed), "
                        "else ONNX Runtime (default: %(default)s)")
    p.add_argument("--threads", type=threads, default=0,
                   help="CPU inference threads, 0 to 4 per core; 0: all cores, and for OpenVINO under --load-policy "
                        "auto one thread until the camera's frame rate needs all (default: %(default)s)")
    p.add_argument("--load-policy", choices=POLICIES, default="auto",
                   help="when the model is slower than the camera: auto steps the model's size down (scale75, "
                        "scale50: the model on a 75%%/50%% frame, its correction scaled up) and back up as the "
                        "CPU allows; skip re-shows the last output for frames that barely changed; full never "
                        "adapts. Needs a backend that takes any frame size (OpenVINO, the any-size ONNX graph) "
                        "(default: %(default)s)")
    p.add_argument("--strength", type=strength_arg, default=DEFAULT_STRENGTH,
                   help="how much of the correction to show: 0 = the camera as it is, 1 = full; the window "
                        "sink steps it with + and - (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no periodic status lines")
    return p.parse_args(argv)


def run(source: FrameSource, backend: Backend, sink: Sink, cfg: PipelineConfig,
        stats: LatencyStats | None = None) -> dict:
    """Frames from `source` through `backend` into `sink` until the source ends, cfg.max_frames, the sink
    says stop, or an interrupt (Ctrl-C, or SIGTERM/SIGHUP under main()); the caller owns all three and closes
    them. Returns the latency summary, with `stopped` naming the interrupt if there was one."""
    pipeline = Pipeline(source, backend, sink, cfg, stats)
    try:
        summary = pipeline.run()
    except KeyboardInterrupt as interrupt:  # re-raised by run() after its threads stopped
        summary = pipeline.stats.summary()
        summary["stopped"] = str(interrupt) or "SIGINT"
        print(f"stopped ({summary['stopped']})", file=sys.stderr)
    print(pipeline.stats.line(), file=sys.stderr)
    return summary


def cli(args: argparse.Namespace) -> dict:
    """The command line's job: check the outputs, open source, backend and sink, run, write --stats."""
    spec = args.source or default_source()
    if is_folder_spec(args.sink) and Path(spec).is_dir() and Path(args.sink).resolve() == Path(spec).resolve():
        raise SharpcamError(f"--sink {args.sink} is the source folder: its PNGs would overwrite the frames "
                            "being read; choose another output folder")
    if args.stats:
        check_writable_file(args.stats, "--stats")
    with ExitStack() as stack:  # closed in reverse: the sink (finalizing its file) first, then backend, source
        source = Looping(lambda: open_source(spec, args.size, args.fps)) if args.loop else \
            open_source(spec, args.size, args.fps)
        stack.callback(source.close)
        backend, why = open_backend(args.engine, args.model, source.size, args.threads, args.student,
                                    args.strength, args.backend)
        stack.callback(backend.close)
        print(f"source: {spec} {source.size[0]}x{source.size[1]} @ {source.fps:.0f} fps; backend: {why}",
              file=sys.stderr)
        if backend.size and tuple(backend.size) != tuple(source.size):
            print(f"note: the model runs at {backend.size[0]}x{backend.size[1]}; frames are resized in and out",
                  file=sys.stderr)
        if backend.size is None:
            log = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
            backend = AdaptiveBackend(backend, args.load_policy, source.fps, realtime=source.live or args.pace,
                                      log=log)
        elif args.load_policy not in ("auto", "full"):
            raise SharpcamError(f"--load-policy {args.load_policy} needs a backend that takes any frame size; "
                                f"{backend.name} is built for {backend.size[0]}x{backend.size[1]}")
        controls = Controls(strength=args.strength)
        # issue 13: a file's progress bar (with ETA) replaces the periodic status lines on a terminal
        known = [n for n in (getattr(source, "frame_count", None), args.frames) if n]
        total = None if args.quiet or source.live or not known else min(known)
        sink_options = SinkOptions(args.side_by_side, args.mirror, args.vcam_device,
                                   audio_from=Path(spec) if Path(spec).is_file() else None)  # keep a file's audio
        sink = stack.enter_context(with_progress(
            open_sink(args.sink, source.size, source.fps, controls=controls, options=sink_options), total))
        cfg = PipelineConfig(max_frames=args.frames, pace=args.pace,
                             print_every=0 if args.quiet or isinstance(sink, ProgressSink) else 2.0,
                             in_flight=getattr(backend, "in_flight", 1), controls=controls)
        stats = LatencyStats()
        if isinstance(backend, AdaptiveBackend):
            stats.describe("policy", lambda: backend.label)
        summary = run(source, backend, sink, cfg, stats)
    if summary["frames"] == 0 and "stopped" not in summary:
        raise SharpcamError(f"{spec} gave no frames; is it a readable video, image folder or camera?")
    summary.update(backend=why, source=spec, sink=args.sink)
    if isinstance(backend, AdaptiveBackend):
        summary.update(load_policy=backend.label, skipped=backend.skipped)
    if args.stats:
        write_text_atomic(args.stats, json.dumps(summary, indent=1))
    return summary


class Looping:
    """A finite source played again and again; each restart is a discontinuity (`generation`), so the
    temporal filter does not blend the last frame into the first."""

    def __init__(self, reopen: Callable[[], FrameSource]) -> None:
        self._reopen, self._source = reopen, reopen()
        if self._source.live:
            self._source.close()
            raise SharpcamError("--loop replays a file, folder or the built-in clip; a camera never ends")
        self.live, self.fps, self.size, self.generation = False, self._source.fps, self._source.size, 0
        self.frame_count = None  # no end

    @property
    def last_name(self) -> str | None:
        return getattr(self._source, "last_name", None)

    def read(self):
        image = self._source.read()
        if image is None:
            self._source.close()
            self._source, self.generation = self._reopen(), self.generation + 1
            image = self._source.read()
        return image

    def close(self) -> None:
        self._source.close()


class Stop(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled like Ctrl-C: the pipeline stops and the sink finalizes its file."""


@contextmanager
def stop_on_signals(signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGHUP)) -> Iterator[None]:
    """While inside: the first of `signals` stops the run like Ctrl-C; later ones are ignored so the output
    file's finalization cannot itself be interrupted (a service manager's SIGKILL still ends it)."""
    def stop(signum: int, _frame) -> None:
        for s in signals:
            signal.signal(s, signal.SIG_IGN)
        raise Stop(signal.Signals(signum).name)

    previous = {s: signal.signal(s, stop) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with stop_on_signals():
        ending(lambda: cli(args))


if __name__ == "__main__":
    main()
