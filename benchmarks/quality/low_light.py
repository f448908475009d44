"""Low-light brightening (issue 20, item 4): underexposed frames lifted toward the well-exposed clean frame.

    python -m benchmarks.quality.low_light                       # test split -> runs/low_light.{md,json,png}
    python -m benchmarks.quality.low_light --limit 4 --out runs/low_light-quick

Conditions: `dim` and `dark` (train/conditions.py UNDEREXPOSED: 1/4 and 1/8 of the light, not gained back,
fixed per image). Methods, each scored by SSIM (scikit-image, RGB) and mean-luma error against the clean frame:
- input: the dark frame as the camera gives it;
- classical: the best of gamma / gamma+CLAHE brightening + OpenCV NLM, its h chosen on the val split's
  centre crops (benchmarks/quality/low_light_classical.py); also `lift+NLM`, the runtime's lift with NLM;
- lift: runtime/low_light.py alone (--low-light auto, one fresh step per frame), no denoising; `lift
  (learned)`: the same with gain_from="learned" (runtime/exposure.py's gain, train/exposure_fit.py);
- ours: the lift, then the shipped webcam student through its ONNX graph (runtime's OnnxBackend, state reset
  per image, default strength): what `sharpcam cam` does with --low-light auto.
Flicker: a still clip (24 frames, fresh noise per frame) of a few dark test images through the input, the
lift (one step carried across the clip, as in a run) and ours: the frame-to-frame std of mean luma and the
per-pixel temporal std, each relative to the clip's mean luma (so the lift's gain cancels: what is left is
flicker the step adds). Well exposed: the office condition (8-frame clips), --low-light auto: share of frames
it changed at all. Writes OUT.md, OUT.json and OUT.png (crops: input / classical / ours / clean).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from benchmarks.quality.low_light_classical import mean_luma, tune
from benchmarks.quality.low_light_report import crops_png, markdown
from runtime.backends.onnxruntime import OnnxBackend
from runtime.entry import exit_on_user_error
from runtime.errors import SharpcamError
from runtime.files import write_text_atomic
from runtime.low_light import LowLight, LowLightConfig
from train.conditions import CONDITION_NOTES, UNDEREXPOSED, condition_params
from train.corpus import load_manifest
from train.degrade import apply, apply_clip
from train.images import LoadReport, read_rgb
from train.metrics import ssim

CLIP_FRAMES, SETTLE = 24, 4  # a still clip, and the frames a recursive filter gets to settle


def load_split(corpus: Path, split: str, limit: int | None) -> list[tuple]:
    entries = [e for e in load_manifest(corpus) if e.split == split][:limit]
    if not entries:
        raise SharpcamError(f"the '{split}' split of {corpus} is empty; build the corpus with 'make corpus'")
    report, out = LoadReport(), []
    for e in entries:
        img = read_rgb(corpus / e.file, report)
        if img is not None:
            out.append((e, img))
    report.warn()
    return out


class Ours:
    """--low-light auto, then the student's graph, on RGB frames; `reset` starts a new clip."""

    def __init__(self, model: Path) -> None:
        self.backend = OnnxBackend(model)
        self.step = LowLight(LowLightConfig(mode="auto"))

    def reset(self) -> None:
        self.backend.reset()
        self.step.reset()

    def lifted(self, rgb: np.ndarray) -> np.ndarray:
        return self.step(np.ascontiguousarray(rgb[..., ::-1]))

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        out, _ = self.backend.collect(self.backend.submit(self.lifted(rgb)))
        return np.ascontiguousarray(out[..., ::-1])


def lift_only(rgb: np.ndarray, gain_from: str = "blend") -> np.ndarray:
    step = LowLight(LowLightConfig(mode="auto", gain_from=gain_from))
    return np.ascontiguousarray(step(np.ascontiguousarray(rgb[..., ::-1]))[..., ::-1])


def lift_learned(rgb: np.ndarray) -> np.ndarray:
    """The lift with the learned exposure model's gain (runtime/exposure.py), auto deciding as by default."""
    return lift_only(rgb, "learned")


def score_stills(images: list[tuple], methods: dict, ours: Ours) -> tuple[list[dict], dict]:
    """One row per (image, condition, method); and the outputs of a few images for the crops PNG."""
    rows, examples = [], {}
    for e, img in tqdm(images, desc="low light (stills)", unit="img"):
        clean_luma = mean_luma(img)
        for condition in UNDEREXPOSED:
            dark = apply(img, condition_params(condition, e.id))
            ours.reset()
            outs = {"input": dark, **{name: m(dark) for name, m in methods.items()}, "ours": ours(dark)}
            for name, out in outs.items():
                rows.append({"image": e.id, "category": e.category, "condition": condition, "method": name,
                             "ssim": ssim(out, img), "luma_error": mean_luma(out) - clean_luma})
            if condition == "dark" and (e.category == "people" or len(examples) < 3) and e.id not in examples:
                examples[e.id] = {**outs, "clean": img}
    return rows, examples


def clip_flicker(frames: list[np.ndarray]) -> dict:
    """Frame-to-frame std of mean luma and mean per-pixel temporal std, both over the clip's mean luma."""
    luma = np.stack([f.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) for f in frames[SETTLE:]])
    level = float(luma.mean())
    return {"luma_std": float(luma.mean(axis=(1, 2)).std() / level), "temporal_std": float(luma.std(axis=0).mean() / level)}


def flicker(images: list[tuple], ours: Ours, count: int) -> list[dict]:
    picked = [x for x in images if x[0].category == "people"] + [x for x in images if x[0].category != "people"]
    rows = []
    for e, img in tqdm(picked[:count], desc="low light (flicker)", unit="clip"):
        for condition in UNDEREXPOSED:
            clip = apply_clip([img] * CLIP_FRAMES, condition_params(condition, f"{e.id}/still"))
            ours.reset()
            lifted = [ours.lifted(f)[..., ::-1] for f in clip]
            ours.reset()
            outs = {"input": clip, "lift": lifted, "ours": [ours(f) for f in clip]}
            for name, frames in outs.items():
                rows.append({"image": e.id, "category": e.category, "condition": condition, "method": name,
                             **clip_flicker(frames)})
    return rows


def auto_on_well_exposed(images: list[tuple], frames: int = 8) -> dict:
    """--low-light auto on office-light clips: how many frames (and clips) it changed at all."""
    changed, total, clips_touched = 0, 0, []
    for e, img in tqdm(images, desc="low light (office)", unit="clip"):
        step = LowLight(LowLightConfig(mode="auto"))
        clip = apply_clip([img] * frames, condition_params("office", f"{e.id}/still"))
        touched = 0
        for f in clip:
            bgr = np.ascontiguousarray(f[..., ::-1])
            touched += int(step(bgr).tobytes() != bgr.tobytes())
        changed, total = changed + touched, total + frames
        if touched:
            clips_touched.append(e.id)
    return {"frames": total, "changed": changed, "share_changed": changed / total, "clips_changed": clips_touched}


def val_pairs(corpus: Path, limit: int | None) -> list[tuple[np.ndarray, np.ndarray]]:
    pairs = []
    for e, img in load_split(corpus, "val", limit):
        pairs += [(apply(img, condition_params(c, e.id)), img) for c in UNDEREXPOSED]
    return pairs


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--model", type=Path, default=Path("engines/webcam.onnx"), help="the student's any-size graph")
    p.add_argument("--limit", type=int, help="only the first N images of each split (a quick look)")
    p.add_argument("--clips", type=int, default=4, help="still clips for the flicker measure (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("runs/low_light"), help="writes OUT.md, OUT.json, OUT.png")
    args = p.parse_args(argv)
    if not args.model.exists():
        raise SharpcamError(f"{args.model} not found; export the student's graphs with 'make engines'")
    best, tuning = tune(val_pairs(args.corpus, args.limit))
    classical = max((b for b in best.values() if b.brightening != "lift"),
                    key=lambda b: next(s["val_ssim"] for s in tuning if (s["brightening"], s["h"]) == (b.brightening, b.h)))
    methods: dict = {"classical": classical, "lift+NLM": best["lift"], "lift": lift_only, "lift (learned)": lift_learned}
    images = load_split(args.corpus, args.split, args.limit)
    ours = Ours(args.model)
    rows, examples = score_stills(images, methods, ours)
    payload = {"split": args.split, "model": str(args.model), "conditions": {c: CONDITION_NOTES[c] for c in UNDEREXPOSED},
               "classical": classical.label, "lift+NLM": best["lift"].label, "tuning_val": tuning,
               "stills": rows, "flicker": flicker(images, ours, args.clips), "office_auto": auto_on_well_exposed(images)}
    text = markdown(payload)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out.with_suffix(".md"), text)
    write_text_atomic(args.out.with_suffix(".json"), json.dumps(payload, indent=1))
    crops_png(examples, args.out.with_suffix(".png"), {"classical": classical.label})
    print(f"wrote {args.out}.md/.json/.png")


if __name__ == "__main__":
    exit_on_user_error(main)
