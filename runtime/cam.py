"""Webcam (or video, or images) -> sharpening model -> virtual camera, window or file.

    sharpcam cam                                    # camera 0 if present, else the built-in clip
    sharpcam cam --engine webcam_480p.plan          # TensorRT
    sharpcam cam --engine webcam_720p.pt2           # PyTorch AOT engine (where TensorRT is not)
    sharpcam cam --strength 0.6                     # a gentler correction (0 = off, 1 = full)
    sharpcam cam --student seed --source clip.mp4 --sink out.mp4   # the report's architecture
    sharpcam cam --student webcam                   # pin a student (default auto: the largest that keeps up)
    sharpcam cam --model webcam_480p --source clip.mp4 --sink out.mp4
    sharpcam cam --source clip.mp4 --sink frames/   # lossless PNG per frame
    sharpcam cam --sink window --side-by-side --frames 300 --stats stats.json

Sinks: vcam (pyvirtualcam: v4l2loopback on Linux, OBS on Windows/macOS), window (keys: b or space
before/after, + and - strength, m mirror, h help, q or Esc quit), null, a folder DIR/ (numbered PNGs; a
folder source's names kept), or a video file: .mp4/.mov (H.264), .webm (VP9), .mkv (any; --codec ffv1 is
lossless), .avi (MJPEG), the source's frame times and audio kept (-y replaces an existing file).
The default student cleans sensor noise and compression and sharpens; its temporal filter keeps still
scenes calm (state carried frame to frame, reset when the camera reconnects; --temporal off: each frame's own
output). --low-light auto (the default) first brightens frames that are too dark (runtime/low_light.py); its
state is in the status line and in --stats. --clean-source auto (the default) runs the clean-blur student on
a source with no noise or codec blocks to clean (runtime/route.py). --still-average auto (the default) averages
the regions that did not move over frames after the model, so text stops shimmering (runtime/still_regions.py).
Per-stage latency (p50/p95 ms) is printed every 2 s; --stats writes the summary as JSON at exit.
Ctrl-C, SIGTERM (kill, systemd, docker stop, timeout) and SIGHUP (a closed terminal) stop cleanly and
finalize an output file (also while the model loads; a second signal does not interrupt the finalization); a
file, folder or built-in source stopped before its end exits 130, 143 or 129 (as a shell reports it) so a script
can tell the output is partial. A finished file job says `wrote PATH (N frames, duration)`. Existing outputs are
replaced only with -y (a terminal is asked). A frame the model fails on is passed through unchanged on a live
camera (counted as an error in the status line; the run stops after 30 in a row); a file job stops at its first
error.
User mistakes end with one "error: ..." line and exit status 2.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from runtime.artifacts import AUTO_STUDENT, FAMILY, STUDENTS, model_arg
from runtime.backends.adaptive import POLICIES
from runtime.backends.base import strength_arg
from runtime.backends.factory import BACKENDS, Request
from runtime.contract import DEFAULT_STRENGTH
from runtime.entry import (check_not_special, check_writable_file, exit_on_user_error, frame_rate, frame_size,
                           int_between, non_empty, positive_float, positive_int, threads)
from runtime.errors import SharpcamError
from runtime.files import write_text_atomic
from runtime.low_light import DEFAULT_MODE as DEFAULT_LOW_LIGHT, MODES as LOW_LIGHT_MODES
from runtime.outputs import ASK, NO, YES, check_distinct, check_overwrite
from runtime.route import MODES as CLEAN_SOURCE_MODES
from runtime.still_regions import DEFAULT_STILL_AVERAGE
from runtime.still_regions import MODES as STILL_AVERAGE_MODES
from runtime.session import SessionConfig, open_session, source_audio
from runtime.sinks.base import SinkOptions
from runtime.sinks.factory import SINK_HELP, is_file_sink
from runtime.sinks.folder import is_folder_spec
from runtime.sinks.formats import CODEC_NAMES
from runtime.settings import ON_OFF, given_or_remembered, on_off
from runtime.sources import NO_CAMERA, default_spec, is_camera


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", type=model_arg, help="a compiled GPU engine built by 'make engines': TensorRT (.plan) or "
                                                    "ahead-of-time compiled PyTorch (.pt2); a path or a name such as "
                                                    "webcam_720p.pt2")
    p.add_argument("--model", type=model_arg, help="ONNX graph for ONNX Runtime (CPU, or CUDA with onnxruntime-gpu): "
                                                   "a path or a name such as webcam_480p")
    p.add_argument("--student", choices=(AUTO_STUDENT, *STUDENTS), default=AUTO_STUDENT,
                   help=f"which student to pick a graph/engine of when neither --engine nor --model is given: auto "
                        f"times the family ({', '.join(FAMILY)}, smallest first) at start and runs the largest "
                        "whose model time fits 60%% of the frame budget, the load policy stepping down through "
                        "them before the frame size; or one by name: webcam (noise, compression and blur of "
                        "real webcams), medium and large (the family's larger students, where their graphs are "
                        "built), fast (clean blur only), seed (the report's network) "
                        "(default: %(default)s)")
    p.add_argument("--source", type=non_empty("--source"), help="camera index or /dev/videoN, video file, image folder, or 'builtin' "
                                    "(default: camera 0 if present, else the built-in clip)")
    p.add_argument("--sink", type=non_empty("--sink"), default="vcam", help=f"{SINK_HELP} (default: %(default)s)")
    p.add_argument("--vcam-device", help="vcam sink: which virtual camera, e.g. /dev/video10 ('sharpcam devices' "
                                         "lists them) (default: the first free one)")
    p.add_argument("--mirror", action="store_true", help="window and vcam sinks: flip left-right (a selfie view)")
    p.add_argument("--size", type=frame_size, default=None, help="camera resolution to ask for, e.g. 1280x720 (default: the camera's own)")
    p.add_argument("--fps", type=frame_rate, default=None,
                   help="camera frame rate to ask for, 0.01 to 1000 (default: the camera's own)")
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
    p.add_argument("--strength", type=strength_arg, default=None,
                   help="how much of the correction to show: 0 = the camera as it is, 1 = full; the window "
                        f"sink steps it with + and - (default: the one `sharpcam app` remembered, else "
                        f"{DEFAULT_STRENGTH})")
    p.add_argument("--low-light", choices=LOW_LIGHT_MODES, default=None,
                   help="brighten underexposed frames before the model, which then cleans the noise the lift "
                        "brings out: auto only while the picture is too dark (a well-exposed frame passes "
                        "untouched), on always, off never; the gain eases over ~1 s, so it does not pump "
                        f"(default: the one `sharpcam app` remembered, else {DEFAULT_LOW_LIGHT})")
    p.add_argument("--temporal", choices=ON_OFF, default=None,
                   help="the model's temporal filter: on keeps still scenes calm (its state carried frame to "
                        "frame), off shows each frame's own output (default: the one `sharpcam app` "
                        "remembered, else on)")
    p.add_argument("--cut-reset", choices=ON_OFF, default="on",
                   help="on: a frame that is another picture than the last (a cut in a video, a switched "
                        "scene) starts the temporal filter afresh instead of blending the old scene in; "
                        "off: only a reconnect or a new frame size does (default: %(default)s)")
    p.add_argument("--still-average", choices=STILL_AVERAGE_MODES, default=DEFAULT_STILL_AVERAGE,
                   help="on: regions of the picture that did not move (judged on a 1/8-size thumbnail, where "
                        "noise and sub-pixel jitter average out) are averaged over frames, so text and edges "
                        "stop shimmering; what moves shows the new frame. Scales with --strength; forgets at "
                        "a scene cut and with --temporal off. auto: on, except behind a double-buffered GPU "
                        "engine, whose frames stay in pinned memory without host copies (default: %(default)s)")
    p.add_argument("--clean-source", choices=CLEAN_SOURCE_MODES, default="auto",
                   help="auto: a source without sensor noise or codec blocks (a soft lens in good light through "
                        "an uncompressed path, a capture card, a screen) runs the clean-blur student (fast), "
                        "which sharpens it more; it is measured every 10 frames and the camera student takes "
                        "over at the first noisy or blocky one. off: always the camera student "
                        "(default: %(default)s)")
    p.add_argument("--codec", choices=CODEC_NAMES, default=None,
                   help="video file sinks: h264 (.mp4 .mov .mkv), vp9 (.webm .mkv), ffv1 (lossless: .mkv .avi), "
                        "mjpeg (.avi) (default: the first the extension takes)")
    p.add_argument("--crf", type=int_between(0, 63), default=None,
                   help="h264 and vp9: constant quality, lower is better and bigger (default: 18 for h264, 24 for vp9)")
    p.add_argument("--quiet", action="store_true", help="no periodic status lines")
    replace = p.add_mutually_exclusive_group()
    replace.add_argument("-y", "--overwrite", dest="overwrite", action="store_const", const=YES, default=ASK,
                         help="replace output files (--sink, --stats) that exist (default: ask on a terminal, "
                              "else refuse)")
    replace.add_argument("-n", "--no-overwrite", dest="overwrite", action="store_const", const=NO,
                         help="never replace an output file that exists; stop with an error instead")
    return p.parse_args(argv)


def starting_strength(given: float | None) -> float:
    """--strength, else the strength `sharpcam app` remembered (runtime/settings.py), else the default."""
    return given_or_remembered(given, "strength", DEFAULT_STRENGTH)


def session_config(args: argparse.Namespace, spec: str) -> SessionConfig:
    request = Request(student=args.student, threads=args.threads, strength=starting_strength(args.strength),
                      backend=args.backend,
                      engine=args.engine, model=args.model)
    options = SinkOptions(args.side_by_side, args.mirror, args.vcam_device, audio_from=source_audio(spec),
                          codec=args.codec, crf=args.crf)
    # a window shows a file at its frame rate (unpaced, a 3 s clip flashed by in 0.3 s); files to files stay fast
    pace = args.pace or (args.sink == "window" and not is_camera(spec))
    return SessionConfig(spec, args.sink, request, args.size, args.fps, args.loop, args.load_policy, options,
                         args.frames, pace, args.quiet,
                         low_light=given_or_remembered(args.low_light, "low_light", DEFAULT_LOW_LIGHT),
                         temporal=given_or_remembered(on_off(args.temporal), "temporal", True),
                         clean_source=args.clean_source, cut_reset=on_off(args.cut_reset),
                         still_average=args.still_average)


def check_outputs(args: argparse.Namespace, spec: str) -> None:
    """Before any work: no output on an input or on another output, no existing file replaced unasked."""
    if is_folder_spec(args.sink) and Path(spec).is_dir() and Path(args.sink).resolve() == Path(spec).resolve():
        raise SharpcamError(f"--sink {args.sink} is the source folder: its PNGs would overwrite the frames "
                            "being read; choose another output folder")
    inputs = {"--source": Path(spec)} if Path(spec).is_file() else {}
    outputs = {"--sink": Path(args.sink)} if is_file_sink(args.sink) else {}
    if args.stats:
        outputs["--stats"] = check_writable_file(args.stats, "--stats")
    for name, path in outputs.items():
        check_not_special(path, name)
    check_distinct(inputs, outputs)
    if is_folder_spec(args.sink) and Path(args.sink).is_dir():  # a file in its place: the sink says so
        outputs["--sink"] = Path(args.sink)
    for name, path in outputs.items():
        check_overwrite(path, args.overwrite, name)


def check_sink_flags(args: argparse.Namespace) -> None:
    """A flag for one kind of sink given with another would be silently ignored: say so instead."""
    video, sink = is_file_sink(args.sink), args.sink
    rules = (("--codec", args.codec is not None, video, "a video file sink (.mp4, .mkv, .webm, .avi, .mov)"),
             ("--crf", args.crf is not None, video, "a video file sink (.mp4, .mkv, .webm, .mov)"),
             ("--side-by-side", args.side_by_side, sink == "window", "--sink window"),
             ("--mirror", args.mirror, sink in ("window", "vcam"), "--sink window and --sink vcam"),
             ("--vcam-device", args.vcam_device is not None, sink == "vcam", "--sink vcam"))
    for flag, given, applies, where in rules:
        if given and not applies:
            raise SharpcamError(f"{flag} is for {where}, not --sink {sink}; drop it or change --sink")


def cli(args: argparse.Namespace) -> dict:
    """The command line's job: check the outputs, run the session (runtime/session.py), write --stats."""
    spec = args.source or default_spec()
    if args.source is None and spec == "builtin":
        print(NO_CAMERA, file=sys.stderr)
    check_sink_flags(args)
    check_outputs(args, spec)
    with open_session(session_config(args, spec)) as session:
        summary = session.run()
    written = session.written()  # after the with: the file is finalized
    if written:
        print(written, file=sys.stderr, flush=True)
    summary.update(session.description())
    if args.stats:
        write_text_atomic(args.stats, json.dumps(summary, indent=1))
    return summary


class Stop(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP: the pipeline stops and the sink finalizes its file."""


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def stop_on_signals(signals: tuple[int, ...] = STOP_SIGNALS) -> Iterator[None]:
    """While inside: the first of `signals` stops the run (a Stop raised in the main thread); later ones
    only say, once, that the output is being finished, so they cannot interrupt its finalization (a second
    Ctrl-C used to land inside the video writer's close). SIGKILL still ends it."""
    stopping = False

    def stop(signum: int, _frame) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise Stop(signal.Signals(signum).name)
        # os.write, not print: a signal handler may run while the main thread is inside a print to stderr
        os.write(2, b"finishing the output; one moment (kill -9 abandons it)\n")
        for s in signals:
            signal.signal(s, signal.SIG_IGN)  # said once

    previous = {s: signal.signal(s, stop) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with stop_on_signals():
        try:
            summary = exit_on_user_error(lambda: cli(args))
        except Stop as stop:  # before the first frame (loading the model, opening the camera): nothing to finish
            print(f"stopped ({stop}) while starting", file=sys.stderr, flush=True)
            summary = {"stopped": str(stop), "partial": not is_camera(args.source or default_spec())}
    if summary.get("partial"):  # as a shell reports a job a signal ended: a script can tell the file is partial
        sys.exit(128 + signal.Signals[summary["stopped"]].value)


if __name__ == "__main__":
    main()
