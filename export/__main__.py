"""`make engines`: student checkpoint -> ONNX graphs (checked, compared with PyTorch) -> FP16 TensorRT engines.

    python -m export                                   # engines/student.pt -> engines/
    python -m export --checkpoint runs/default/best.pt --resolutions 480p

Writes engines/student.onnx (float, dynamic), engines/student_<res>.onnx and student_<res>_fp16.onnx
(uint8 BGR frames in and out) and engines/onnx_report.json. With TensorRT and a CUDA GPU it then builds
engines/<res>.plan from the FP16 graphs (one shared timing cache, a .json sidecar per engine) and compares
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
from export.tensorrt_build import INSTALL_HELP, build_engine, compare_with_onnxruntime, missing_gpu_stack
from runtime.engine_meta import sha256_file
from runtime.errors import SharpcamError
from train.checkpoint import student_from_checkpoint

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


def export_all(checkpoint: Path, out: Path, resolutions: list[str], frames: int = 2) -> dict:
    """Write and verify every ONNX graph; return the report (also written to out/onnx_report.json)."""
    student, _ = student_from_checkpoint(checkpoint)
    images = sample_rgb()
    report: dict = {"checkpoint": str(checkpoint), "graphs": {}}
    path = export_float(student, out / "student.onnx")
    parity = check_float_graph(student, path, [im[:192, :256] for im in images])
    _record(report, path, parity, ok=parity.within == 1.0)
    for res in resolutions:
        size = RESOLUTIONS[res]
        test_frames = [as_frame(im, size) for im in images[:frames]]
        references = reference_frames(student, test_frames)
        for name, precision in zip(frame_graph_names(res), ("fp32", "fp16")):
            path = export_frame(student, out / name, size, fp16=precision == "fp16")
            parity = check_frame_graph(path, test_frames, references, LEVELS[precision])
            _record(report, path, parity, ok=parity.within >= 0.999)
    (out / "onnx_report.json").write_text(json.dumps(report, indent=1))
    return report


def _record(report: dict, path: Path, parity, ok: bool) -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {parity}")
    report["graphs"][path.name] = {"sha256": sha256_file(path), "max_abs": parity.max_abs,
                                   "fraction_within": parity.within, "tolerance": parity.tolerance, "ok": ok}


def build_engines(out: Path, resolutions: list[str]) -> None:
    cache, images = out / "timing.cache", sample_rgb()
    for res in resolutions:
        fp32_graph, fp16_graph = (out / n for n in frame_graph_names(res))
        engine = out / f"{res}.plan"
        meta = build_engine(fp16_graph, engine, cache)
        frames = [as_frame(im, RESOLUTIONS[res]) for im in images]
        worst = compare_with_onnxruntime(engine, fp32_graph, frames)
        print(f"{engine}: TensorRT {meta.tensorrt_version} on {meta.gpu_name}; "
              f"max difference to ONNX Runtime (FP32) {worst:.0f} levels")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=Path("engines/student.pt"))
    parser.add_argument("--out", type=Path, default=Path("engines"))
    parser.add_argument("--resolutions", default="480p,720p,1080p", help="comma-separated: 480p,720p,1080p")
    parser.add_argument("--onnx-only", action="store_true", help="stop after the ONNX graphs")
    args = parser.parse_args(argv)
    resolutions = [r.strip() for r in args.resolutions.split(",") if r.strip()]
    unknown = [r for r in resolutions if r not in RESOLUTIONS]
    if unknown:
        parser.error(f"unknown resolution(s) {unknown}; choose from {list(RESOLUTIONS)}")
    report = export_all(args.checkpoint, args.out, resolutions)
    if not all(g["ok"] for g in report["graphs"].values()):
        print("some graphs missed their parity tolerance: see engines/onnx_report.json", file=sys.stderr)
        return 1
    if args.onnx_only:
        return 0
    missing = missing_gpu_stack()
    if missing:
        print(f"ONNX graphs written to {args.out}/. No TensorRT engines: {missing}.\n{INSTALL_HELP}", file=sys.stderr)
        return 3
    build_engines(args.out, resolutions)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SharpcamError as err:
        sys.exit(f"error: {err}")
