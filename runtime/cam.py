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
Ctrl-C stops cleanly and finalizes an output file.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from runtime.adaptive import POLICIES, AdaptiveBackend
from runtime.backends import strength_arg
from runtime.errors import SharpcamError
from runtime.graph_io import DEFAULT_STRENGTH
from runtime.pipeline import Controls, Pipeline, PipelineConfig
from runtime.models import model_arg
from runtime.select import BACKENDS, DEFAULT_STUDENT, STUDENTS, open_backend
from runtime.sinks import SINK_HELP, ProgressSink, SinkOptions, is_folder_spec, open_sink, with_progress
from runtime.sources import open_source


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as err:
        raise argparse.ArgumentTypeError("size must look like 640x480") from err
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
    p.add_argument("--size", type=_size, default=None, help="camera resolution to ask for, e.g. 1280x720")
    p.add_argument("--fps", type=float, default=None, help="camera frame rate to ask for")
    p.add_argument("--frames", type=int, default=None, help="stop after N frames")
    p.add_argument("--stats", type=Path, help="write the latency summary (JSON) here at exit")
    p.add_argument("--side-by-side", action="store_true", help="window sink: original | sharpened")
    p.add_argument("--pace", action="store_true", help="play files at their frame rate, dropping late frames")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="inference engine: auto picks TensorRT (an engine and a GPU), else OpenVINO (installed), "
                        "else ONNX Runtime (default: %(default)s)")
    p.add_argument("--threads", type=int, default=0, help="CPU inference threads (0: all cores)")
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


def run(args: argparse.Namespace) -> dict:
    spec = args.source or default_source()
    if is_folder_spec(args.sink) and Path(spec).is_dir() and Path(args.sink).resolve() == Path(spec).resolve():
        raise SharpcamError(f"--sink {args.sink} is the source folder: its PNGs would overwrite the frames "
                            "being read; choose another output folder")
    source = open_source(spec, args.size, args.fps)
    backend = None
    try:
        backend, why = open_backend(args.engine, args.model, source.size, args.threads, args.student,
                                    args.strength, args.backend)
        print(f"source: {spec} {source.size[0]}x{source.size[1]} @ {source.fps:.0f} fps; backend: {why}",
              file=sys.stderr)
        if backend.size and tuple(backend.size) != tuple(source.size):
            print(f"note: the model runs at {backend.size[0]}x{backend.size[1]}; frames are resized in and out",
                  file=sys.stderr)
        if backend.size is None:
            backend = AdaptiveBackend(backend, args.load_policy, source.fps, realtime=source.live or args.pace)
        elif args.load_policy not in ("auto", "full"):
            raise SharpcamError(f"--load-policy {args.load_policy} needs a backend that takes any frame size; "
                                f"{backend.name} is built for {backend.size[0]}x{backend.size[1]}")
        controls = Controls(strength=args.strength)
        # issue 13: a file's progress bar (with ETA) replaces the periodic status lines on a terminal
        known = [n for n in (getattr(source, "frame_count", None), args.frames) if n]
        total = None if args.quiet or source.live or not known else min(known)
        sink_options = SinkOptions(args.side_by_side, args.mirror, args.vcam_device,
                                   audio_from=Path(spec) if Path(spec).is_file() else None)  # keep a file's audio
        sink = with_progress(open_sink(args.sink, source.size, source.fps, controls=controls, options=sink_options),
                             total)
        cfg = PipelineConfig(max_frames=args.frames, pace=args.pace,
                             print_every=0 if args.quiet or isinstance(sink, ProgressSink) else 2.0,
                             in_flight=getattr(backend, "in_flight", 1), controls=controls)
        with sink:
            pipeline = Pipeline(source, backend, sink, cfg)
            if isinstance(backend, AdaptiveBackend):
                pipeline.stats.describe("policy", lambda: backend.label)
            try:
                summary = pipeline.run()
            except KeyboardInterrupt:  # re-raised by run() after its threads stopped
                summary = pipeline.stats.summary()
                print("stopped", file=sys.stderr)
    finally:
        if backend is not None:
            backend.close()
        source.close()
    summary.update(backend=why, source=spec, sink=args.sink)
    if isinstance(backend, AdaptiveBackend):
        summary.update(load_policy=backend.label, skipped=backend.skipped)
    print(pipeline.stats.line(), file=sys.stderr)
    if args.stats:
        args.stats.parent.mkdir(parents=True, exist_ok=True)
        args.stats.write_text(json.dumps(summary, indent=1))
    return summary


def main(argv: list[str] | None = None) -> None:
    try:
        run(parse_args(argv))
    except SharpcamError as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
