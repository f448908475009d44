"""Webcam (or video, or images) -> sharpening model -> virtual camera, window or file.

    sharpcam cam                                    # camera 0 if present, else the built-in clip
    sharpcam cam --engine webcam_480p.plan          # TensorRT
    sharpcam cam --engine webcam_720p.pt2           # PyTorch AOT engine (where TensorRT is not)
    sharpcam cam --strength 0.6                     # a gentler correction (0 = off, 1 = full)
    sharpcam cam --student seed --source clip.mp4 --sink out.mp4   # the report's architecture
    sharpcam cam --model webcam_480p --source clip.mp4 --sink out.mp4
    sharpcam cam --source clip.mp4 --sink frames/   # lossless PNG per frame
    sharpcam cam --sink window --side-by-side --frames 300 --stats stats.json

Sinks: vcam (pyvirtualcam: v4l2loopback on Linux, OBS on Windows/macOS), window (keys: b or space
before/after, + and - strength, m mirror, h help, q or Esc quit), null, a folder DIR/ (numbered PNGs; a
folder source's names kept), or a .mp4/.avi path.
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
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from runtime.artifacts import DEFAULT_STUDENT, SHIPPED_STUDENTS, model_arg
from runtime.backends.adaptive import POLICIES
from runtime.backends.base import strength_arg
from runtime.backends.factory import BACKENDS, Request
from runtime.contract import DEFAULT_STRENGTH
from runtime.entry import check_writable_file, exit_on_user_error, positive_float, positive_int, threads
from runtime.errors import SharpcamError
from runtime.files import write_text_atomic
from runtime.session import SessionConfig, open_session, source_audio
from runtime.sinks.base import SinkOptions
from runtime.sinks.factory import SINK_HELP
from runtime.sinks.folder import is_folder_spec
from runtime.sources import NO_CAMERA, default_spec


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as err:
        raise argparse.ArgumentTypeError("size must look like 640x480") from err
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive, not {text}")
    return w, h


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", type=model_arg, help="a compiled GPU engine built by 'make engines': TensorRT (.plan) or "
                                                    "ahead-of-time compiled PyTorch (.pt2); a path or a name such as "
                                                    "webcam_720p.pt2")
    p.add_argument("--model", type=model_arg, help="ONNX graph for ONNX Runtime (CPU, or CUDA with onnxruntime-gpu): "
                                                   "a path or a name such as webcam_480p")
    p.add_argument("--student", choices=SHIPPED_STUDENTS, default=DEFAULT_STUDENT,
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
                   help="inference engine: auto picks TensorRT (an engine and a GPU), else a PyTorch engine (.pt2 "
                        "built for this GPU), else OpenVINO (installed), else ONNX Runtime; the chosen line says "
                        "why the others were passed over (default: %(default)s)")
    p.add_argument("--threads", type=threads, default=0,
                   help="CPU inference threads, 0 to 4 per core; 0: all cores, and for OpenVINO under --load-policy "
                        "auto one thread until the camera's frame rate needs all (default: %(default)s)")
    p.add_argument("--load-policy", choices=POLICIES, default="auto",
                   help="when the model is slower than the camera: auto steps the model's size down (scale75, "
                        "scale50: the model on a 75%%/50%% frame, its correction scaled up) and back up as the "
                        "CPU allows; skip re-shows the last output for frames that barely changed; full never "
                        "adapts. scale75/scale50/skip run OpenVINO or the any-size ONNX graph; auto adapts only "
                        "on those (a fixed-size graph or engine runs at full size) (default: %(default)s)")
    p.add_argument("--strength", type=strength_arg, default=DEFAULT_STRENGTH,
                   help="how much of the correction to show: 0 = the camera as it is, 1 = full; the window "
                        "sink steps it with + and - (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no periodic status lines")
    return p.parse_args(argv)


def session_config(args: argparse.Namespace, spec: str) -> SessionConfig:
    request = Request(student=args.student, threads=args.threads, strength=args.strength, backend=args.backend,
                      engine=args.engine, model=args.model)
    options = SinkOptions(args.side_by_side, args.mirror, args.vcam_device, audio_from=source_audio(spec))
    return SessionConfig(spec, args.sink, request, args.size, args.fps, args.loop, args.load_policy, options,
                         args.frames, args.pace, args.quiet)


def cli(args: argparse.Namespace) -> dict:
    """The command line's job: check the outputs, run the session (runtime/session.py), write --stats."""
    spec = args.source or default_spec()
    if args.source is None and spec == "builtin":
        print(NO_CAMERA, file=sys.stderr)
    if is_folder_spec(args.sink) and Path(spec).is_dir() and Path(args.sink).resolve() == Path(spec).resolve():
        raise SharpcamError(f"--sink {args.sink} is the source folder: its PNGs would overwrite the frames "
                            "being read; choose another output folder")
    if args.stats:
        check_writable_file(args.stats, "--stats")
    with open_session(session_config(args, spec)) as session:
        summary = session.run()
    summary.update(session.description())
    if args.stats:
        write_text_atomic(args.stats, json.dumps(summary, indent=1))
    return summary


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
        exit_on_user_error(lambda: cli(args))


if __name__ == "__main__":
    main()
