"""`make engines`: student checkpoint -> ONNX graphs (checked, compared with PyTorch) -> FP16 GPU engines.

    python -m export                                   # engines/{webcam,fast,seed}.pt -> engines/
    python -m export --students seed --resolutions 480p
    python -m export --checkpoint runs/fast/best.pt --name trial --out runs/fast/engines

For each student NAME: NAME.onnx (float, dynamic), NAME_<res>.onnx and NAME_<res>_fp16.onnx (uint8 BGR frames
in and out) and NAME_onnx_report.json. With TensorRT and a CUDA GPU it then builds
NAME_<res>.plan from the FP16 graphs (one shared timing cache, a .json sidecar per engine) and compares
each engine with ONNX Runtime on real frames. With PyTorch and a CUDA GPU it builds NAME_<res>.pt2, an
ahead-of-time compiled FP16 PyTorch engine (AOTInductor; export/aot_build.py) with a NAME_<res>.pt2.json
sidecar: the GPU engine where TensorRT cannot be installed. `--aot cpu` builds CPU packages instead (tests,
CPU machines with a C++ compiler). With no GPU engine built it stops after the ONNX graphs and says what is
missing (exit status 3). Engine and ONNX files are code-like: load only trusted ones.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from export.graphs import RESOLUTIONS, default_temporal
from export.onnx_export import (check_float_graph, check_frame_graph, export_float, export_frame,
                                frame_graph_names, reference_frames)
from export.quantize import int8_graph
from export.samples import as_frame, sample_rgb
from export.tensorrt_build import INSTALL_HELP, build_engine, compare_with_onnxruntime, missing_gpu_stack
from runtime.backends.engine_meta import sha256_file
from runtime.entry import check_writable_dir, exit_on_user_error, path_arg, positive_int, resolutions
from runtime.errors import SharpcamError
from runtime.artifacts import SHIPPED_STUDENTS, STUDENTS, aot_path, checkpoint_path, graph_path, onnx_report_path, plan_path
from train.checkpoint import student_from_checkpoint
from train.temporal import TemporalConfig

LEVELS = {"fp32": 1, "fp16": 2}  # allowed 8-bit level error on 99.9% of values


STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def file_stem(text: str) -> str:
    """--name: a bare file-name stem, so the graphs land in --out ('../escaped' or 'a/b' would not)."""
    if not STEM.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a file-name stem: use up to 64 letters, digits, '.', "
                                         "'_' or '-', starting with a letter or digit (no folders; --out picks the folder)")
    return text


def export_all(checkpoint: Path, out: Path, resolutions: list[str], name: str, frames: int = 2,
               temporal: TemporalConfig | None = None) -> dict:
    """Write and verify every ONNX graph; return the report (also written to out/NAME_onnx_report.json).
    `temporal` None: the student's default gate (export/graphs.py default_temporal)."""
    student, _ = student_from_checkpoint(checkpoint)
    temporal = temporal or default_temporal(student)
    images = sample_rgb()
    report: dict = {"checkpoint": str(checkpoint), "temporal": temporal.to_dict(), "graphs": {}}
    path = export_float(student, graph_path(name, folder=out), temporal)
    parity = check_float_graph(student, path, [im[:192, :256] for im in images])
    _record(report, path, parity, ok=parity.within == 1.0)
    for res in resolutions:
        size = RESOLUTIONS[res]
        test_frames = [as_frame(im, size) for im in images[:frames]]
        references = reference_frames(student, test_frames)
        for filename, precision in zip(frame_graph_names(name, res), ("fp32", "fp16")):
            path = export_frame(student, out / filename, size, fp16=precision == "fp16", temporal=temporal)
            parity = check_frame_graph(path, test_frames, references, LEVELS[precision])
            _record(report, path, parity, ok=parity.within >= 0.999)
    onnx_report_path(name, out).write_text(json.dumps(report, indent=1))
    return report


def _record(report: dict, path: Path, parity, ok: bool) -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {parity}")
    report["graphs"][path.name] = {"sha256": sha256_file(path), "max_abs": parity.max_abs,
                                   "fraction_within": parity.within, "tolerance": parity.tolerance, "ok": ok}


def write_int8(out: Path, resolutions: list[str], name: str) -> None:
    photos = sample_rgb()
    for res in resolutions:
        print(f"wrote {int8_graph(graph_path(name, res, folder=out), RESOLUTIONS[res], photos)}")


def build_engines(out: Path, resolutions: list[str], name: str) -> None:
    cache, images = out / "timing.cache", sample_rgb()
    for res in resolutions:
        fp32_graph, fp16_graph = (out / n for n in frame_graph_names(name, res))
        engine = plan_path(name, res, folder=out)
        meta = build_engine(fp16_graph, engine, cache)
        frames = [as_frame(im, RESOLUTIONS[res]) for im in images]
        worst = compare_with_onnxruntime(engine, fp32_graph, frames)
        print(f"{engine}: TensorRT {meta.tensorrt_version} on {meta.gpu_name}; "
              f"max difference to ONNX Runtime (FP32) {worst:.0f} levels")


def build_aot_engines(out: Path, resolutions: list[str], name: str, checkpoint: Path, device: str,
                      batch: int | None = None) -> None:
    """NAME_<res>.pt2 per resolution, and NAME_<res>_b<batch>.pt2 (up to `batch` streams per call) if asked."""
    from export.aot_build import build_aot_engine
    student, _ = student_from_checkpoint(checkpoint)
    images = sample_rgb()
    for res in resolutions:
        for streams in (None, batch) if batch else (None,):
            engine = aot_path(name, res, folder=out, batch=streams)
            meta = build_aot_engine(student, sha256_file(checkpoint), engine, RESOLUTIONS[res],
                                    [as_frame(im, RESOLUTIONS[res]) for im in images], device, batch=streams)
            print(f"{engine}: PyTorch {meta.torch_version} AOTInductor, {meta.precision} on "
                  f"{meta.gpu_name or 'the CPU'}; max difference to the eager graph {meta.parity_max_levels} levels")


def _temporal_text(cfg: TemporalConfig = TemporalConfig()) -> str:
    return f"{cfg.hold:g},{cfg.low:g},{cfg.high:g}"


def _temporal(text: str) -> TemporalConfig:
    try:
        hold, low, high = (float(v) for v in text.split(","))
    except ValueError as err:
        raise argparse.ArgumentTypeError("--temporal takes three numbers: HOLD,LOW,HIGH") from err
    if not (0 <= hold < 1 and 0 <= low < high):
        raise argparse.ArgumentTypeError("--temporal needs 0 <= HOLD < 1 and 0 <= LOW < HIGH")
    return TemporalConfig(hold, low, high)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=student_names, default=None,
                        help="students to export, from engines/NAME.pt: the shipped ones (default: %s) or a family "
                             "member just trained (e.g. large)" % ",".join(SHIPPED_STUDENTS))
    parser.add_argument("--checkpoint", type=Path, help="export this checkpoint instead (needs --name)")
    parser.add_argument("--name", type=file_stem,
                        help="file-name stem for --checkpoint's graphs and engines: letters, digits, '.', '_', '-'")
    parser.add_argument("--out", type=path_arg("--out"), default=Path("engines"), help="output folder (default: %(default)s)")
    parser.add_argument("--resolutions", type=resolutions, default="480p,720p,1080p",
                        help="comma-separated from %s (default: %%(default)s)" % ",".join(RESOLUTIONS))
    parser.add_argument("--onnx-only", action="store_true", help="stop after the ONNX graphs")
    parser.add_argument("--aot", choices=("auto", "cuda", "cpu", "no"), default="auto",
                        help="ahead-of-time compiled PyTorch engines (NAME_<res>.pt2): auto builds them for the CUDA "
                             "GPU where PyTorch has one; cuda insists; cpu builds CPU packages (~15-30 s each); no "
                             "skips them (default: %(default)s)")
    parser.add_argument("--aot-batch", type=positive_int, metavar="N",
                        help="also build NAME_<res>_bN.pt2, taking up to N independent streams per call "
                             "(python -m benchmarks.gpu.streams)")
    parser.add_argument("--int8", action="store_true",
                        help="also write NAME_<res>_int8.onnx: convolutions quantized for ONNX Runtime on CPUs "
                             "(calibrated on scikit-image's photos; measure its quality before using it)")
    parser.add_argument("--temporal", type=_temporal, metavar="HOLD,LOW,HIGH",
                        help="the temporal filter built into every graph: the share of the previous output a "
                             "still pixel keeps (0 turns it off) and the change, in 8-bit levels, below which a "
                             "pixel counts as still / above which as moved (default: %s; a recurrent student's "
                             "hold is 0: its stability is learned)" % _temporal_text())
    args = parser.parse_args(argv)
    if (args.checkpoint is None) != (args.name is None):
        parser.error("--checkpoint and --name go together")
    for conflict, message in _conflicts(args):
        if conflict:
            parser.error(message)
    args.students = args.students or student_names(",".join(SHIPPED_STUDENTS))
    return exit_on_user_error(lambda: run(args))


def _conflicts(args: argparse.Namespace) -> tuple[tuple[bool, str], ...]:
    """Flags that cannot both be meant: one would be silently ignored."""
    return ((args.checkpoint is not None and args.students is not None,
             "--students and --checkpoint: give the shipped students or your own checkpoint, not both"),
            (args.onnx_only and args.aot in ("cpu", "cuda"),
             f"--onnx-only stops before the --aot {args.aot} engines; drop one of them"),
            (args.onnx_only and args.aot_batch is not None,
             "--onnx-only stops before the --aot-batch engines; drop one of them"),
            (args.aot == "no" and args.aot_batch is not None,
             "--aot-batch builds AOT engines, which --aot no skips; drop one of them"))


# The make target that trains (and ships) each student's checkpoint.
TRAIN_TARGETS = {"webcam": "train", "recurrent": "train-temporal", "medium": "train-medium", "large": "train-large",
                 "fast": "train-fast", "seed": "train-seed"}


def run(args: argparse.Namespace) -> int:
    resolutions = args.resolutions
    jobs = ([(args.name, args.checkpoint)] if args.checkpoint else
            [(name, checkpoint_path(name)) for name in args.students])
    for name, checkpoint in jobs:  # every input and the output folder checked before minutes of exporting
        if not Path(checkpoint).is_file():
            target = TRAIN_TARGETS.get(name, "train")
            raise SharpcamError(f"checkpoint {checkpoint} not found; train one with 'make {target}' or give --checkpoint")
    check_writable_dir(args.out, "--out")
    for name, checkpoint in jobs:
        report = export_all(checkpoint, args.out, resolutions, name, temporal=args.temporal)
        if not all(g["ok"] for g in report["graphs"].values()):
            print(f"some graphs missed their parity tolerance: see {onnx_report_path(name, args.out)}", file=sys.stderr)
            return 1
        if args.int8:
            write_int8(args.out, resolutions, name)
    if args.onnx_only:
        return 0
    aot_device = _aot_device(args.aot)
    for name, checkpoint in jobs if aot_device else []:
        build_aot_engines(args.out, resolutions, name, checkpoint, aot_device, args.aot_batch)
    missing = missing_gpu_stack()
    if missing:
        print(f"No TensorRT engines: {missing}.\n{INSTALL_HELP}", file=sys.stderr)
        return 0 if aot_device else 3
    for name, _ in jobs:
        build_engines(args.out, resolutions, name)
    return 0


def _aot_device(choice: str) -> str | None:
    """Where --aot builds engines (cuda, cpu), or None (skipped, said why)."""
    if choice == "no":
        return None
    if choice == "cpu":
        return "cpu"
    from export.aot_build import aot_available
    problem = aot_available()
    if problem is None:
        return "cuda"
    if choice == "cuda":
        raise SharpcamError(f"--aot cuda: {problem}")
    print(f"No PyTorch GPU engines (.pt2): {problem}.", file=sys.stderr)
    return None


def student_names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names or any(n not in STUDENTS for n in names):
        raise argparse.ArgumentTypeError(f"choose students from {', '.join(STUDENTS)}, not {text!r}")
    return names


if __name__ == "__main__":
    sys.exit(main())
