"""Does --clean-source auto send sharp pictures to the clean-blur student? It must not: that student sharpens
whatever it gets, and a picture sharpened twice rings.

    python -m benchmarks.quality.route_sharp      # -> runs/route_sharp.md (~1 min)

Each test-split image, undegraded (already sharp), is measured by the router (runtime/route.py) and run
through the camera student and the clean-blur student; SSIM to the image itself (1.0: left as it was).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT
from benchmarks.quality.webcam_quality import onnx_method
from runtime.entry import exit_on_user_error
from runtime.files import write_text_atomic
from runtime.route import is_clean, measure
from train.corpus import load_manifest
from train.images import LoadReport, read_rgb
from train.metrics import ssim


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    p.add_argument("--camera", type=Path, default=ROOT / "engines" / "webcam.onnx")
    p.add_argument("--clean", type=Path, default=ROOT / "engines" / "fast.onnx")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "route_sharp.md")
    args = p.parse_args(argv)
    camera, clean = onnx_method(args.camera), onnx_method(args.clean)
    lines = ["# Sharp pictures and the clean-source router (test split, undegraded)", "",
             "Command: `python -m benchmarks.quality.route_sharp`. SSIM of each student's output to the sharp "
             "input itself.", "", "| image | category | noise | blockiness | routed | camera student | clean student |",
             "|---|---|---|---|---|---|---|"]
    scores, report = [], LoadReport()
    for e in (e for e in load_manifest(args.corpus) if e.split == "test"):
        img = read_rgb(args.corpus / e.file, report)
        if img is None:
            continue
        bgr = np.ascontiguousarray(img[..., ::-1])
        signal, routed = measure(bgr), is_clean(bgr)
        by_camera, by_clean = ssim(camera(img, "", {}), img), ssim(clean(img, "", {}), img)
        scores.append((routed, by_camera, by_clean))
        lines.append(f"| {e.id} | {e.category} | {signal.noise:.3f} | {signal.blockiness:.3f} | "
                     f"{'yes' if routed else 'no'} | {by_camera:.4f} | {by_clean:.4f} |")
    report.warn()
    r = np.array(scores, float)
    routed_mean = np.where(r[:, 0] > 0, r[:, 2], r[:, 1]).mean()
    lines += ["", f"Routed {int(r[:, 0].sum())} of {len(r)}. Mean SSIM: camera student {r[:, 1].mean():.4f}, "
              f"clean student {r[:, 2].mean():.4f}, as routed {routed_mean:.4f}.", ""]
    write_text_atomic(args.out, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    exit_on_user_error(main)
