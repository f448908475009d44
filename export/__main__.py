"""`make engines`: student checkpoint -> ONNX graphs (checked, compared with PyTorch) -> FP16 TensorRT engines.

    python -m export                                   # engines/{webcam,fast,seed}.pt -> engines/
    python -m export --students seed --resolutions 480p
    python -m export --checkpoint runs/fast/best.pt --name trial --out runs/fast/engines

For each student NAME: NAME.onnx (float, dynamic), NAME_<res>.onnx and NAME_<res>_fp16.onnx (uint8 BGR frames
in and out) and NAME_onnx_report.json. With TensorRT and a CUDA GPU it then builds
NAME_<res>.plan from the FP16 graphs (one shared timing cache, a .json sidecar per engine) and compares
each engine with ONNX Runtime on real frames. Without them it stops after the ONNX graphs and says what is
missing (exit status 3). Engine and ONNX files are code-like: load only trusted ones.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from export.graphs import RESOLUTIONS
from export.onnx_export import (check_float_graph, check_frame_graph, export_float, export_frame,
                                frame_graph_names, reference_frames)
from export.quantize import quantize_int8
from export.tensorrt_build import INSTALL_HELP, build_engine, compare_with_onnxruntime, missing_gpu_stack
from runtime.backends.engine_meta import sha256_file
from runtime.entry import check_writable_dir, exit_on_user_error, resolutions
from runtime.errors import SharpcamError
from runtime.artifacts import SHIPPED_STUDENTS, checkpoint_path, graph_path, onnx_report_path, plan_path
from train.checkpoint import student_from_checkpoint
from train.temporal import TemporalConfig

SAMPLE_IMAGES = ("astronaut.png", "coffee.png", "chelsea.png")
LEVELS = {"fp32": 1, "fp16": 2}  # allowed 8-bit level error on 99.9% of values


def sample_rgb() -> list[np.ndarray]:
    """Real photographs shipped with scikit-image (a portrait, an object, an animal)."""
    import skimage
    folder = Path(skimage.__file__).parent / "data"
    return [np.asarray(Image.open(folder / name).convert("RGB")) for name in SAMPLE_IMAGES]


def as_frame(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Cover-resize and centre-crop to (width, height), then BGR like a camera frame from OpenCV."""
    w, h = size
    img = Image.fromarray(rgb)
    scale = max(w / img.width, h / img.height)
    img = img.resize((max(w, round(img.width * scale)), max(h, round(img.height * scale))), Image.Resampling.BICUBIC)
    x, y = (img.width - w) // 2, (img.height - h) // 2
    return np.ascontiguousarray(np.asarray(img)[y:y + h, x:x + w, ::-1])


def export_all(checkpoint: Path, out: Path, resolutions: list[str], name: str, frames: int = 2,
               temporal: TemporalConfig = TemporalConfig()) -> dict:
    """Write and verify every ONNX graph; return the report (also written to out/NAME_onnx_report.json)."""
    student, _ = student_from_checkpoint(checkpoint)
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


def int8_graph(fp32: Path, size: tuple[int, int], photos: list[np.ndarray]) -> Path:
    """STEM_int8.onnx beside `fp32`, calibrated on the photos framed at `size` (width, height)."""
    return quantize_int8(fp32, fp32.with_name(f"{fp32.stem}_int8.onnx"), [as_frame(p, size) for p in photos])


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
    parser.add_argument("--students", type=student_names, default=",".join(SHIPPED_STUDENTS),
                        help="shipped students to export, from engines/NAME.pt (default: %(default)s)")
    parser.add_argument("--checkpoint", type=Path, help="export this checkpoint instead (needs --name)")
    parser.add_argument("--name", help="file-name stem for --checkpoint's graphs and engines")
    parser.add_argument("--out", type=Path, default=Path("engines"), help="output folder (default: %(default)s)")
    parser.add_argument("--resolutions", type=resolutions, default="480p,720p,1080p",
                        help="comma-separated from %s (default: %%(default)s)" % ",".join(RESOLUTIONS))
    parser.add_argument("--onnx-only", action="store_true", help="stop after the ONNX graphs")
    parser.add_argument("--int8", action="store_true",
                        help="also write NAME_<res>_int8.onnx: convolutions quantized for ONNX Runtime on CPUs "
                             "(calibrated on scikit-image's photos; measure its quality before using it)")
    parser.add_argument("--temporal", type=_temporal, default=TemporalConfig(), metavar="HOLD,LOW,HIGH",
                        help="the temporal filter built into every graph: the share of the previous output a "
                             "still pixel keeps (0 turns it off) and the change, in 8-bit levels, below which a "
                             "pixel counts as still / above which as moved (default: %s)" % _temporal_text())
    args = parser.parse_args(argv)
    if (args.checkpoint is None) != (args.name is None):
        parser.error("--checkpoint and --name go together")
    return exit_on_user_error(lambda: run(args))


def run(args: argparse.Namespace) -> int:
    resolutions = args.resolutions
    jobs = ([(args.name, args.checkpoint)] if args.checkpoint else
            [(name, checkpoint_path(name)) for name in args.students])
    for _, checkpoint in jobs:  # every input and the output folder checked before minutes of exporting
        if not Path(checkpoint).is_file():
            raise SharpcamError(f"checkpoint {checkpoint} not found; train one with 'make train' or give --checkpoint")
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
    missing = missing_gpu_stack()
    if missing:
        print(f"ONNX graphs written to {args.out}/. No TensorRT engines: {missing}.\n{INSTALL_HELP}", file=sys.stderr)
        return 3
    for name, _ in jobs:
        build_engines(args.out, resolutions, name)
    return 0


def student_names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names or any(n not in SHIPPED_STUDENTS for n in names):
        raise argparse.ArgumentTypeError(f"choose students from {', '.join(SHIPPED_STUDENTS)}, not {text!r}")
    return names


if __name__ == "__main__":
    sys.exit(main())
