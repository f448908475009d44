"""Fit the low-light step's exposure model (runtime/exposure.py): frame statistics -> log(gain).

    python -m train.exposure_fit                 # corpus train split -> runtime/assets/exposure.json
    make exposure-fit

Training frames: every train-split image at EXPOSURES of the light, not gained back (the `dim`/`dark`
camera chain of train/conditions.py with the exposure replaced; 1 is office light, so the model also learns
what a well-exposed frame asks for). The target is the oracle gain: the one whose lift (runtime/low_light.py,
highlight shoulder included) gives the clean frame's mean luma. A weighted ridge regression on the
standardized features; each frame weighs its clean mean luma squared, because a log-gain error of e costs
about mean * e of luma, the issue's measure.

Selection on the val split: every (feature set, ridge alpha) of the grid is scored on the benchmark's own val
frames (conditions `dim` and `dark`, benchmarks/quality/low_light.py) by the mean |luma error| of the lift at
the predicted gain; the best is written, with the grid's table, to the model's JSON.
"""
from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from runtime.entry import exit_on_user_error
from runtime.errors import SharpcamError
from runtime.exposure import FEATURE_NAMES, NOISE_FEATURE, PARAMS_PATH, ExposureModel, features, luma
from runtime.files import write_text_atomic
from runtime.low_light import LowLightConfig, lift
from train.conditions import UNDEREXPOSED, condition_params
from train.corpus import load_manifest
from train.degrade import apply
from train.images import LoadReport, read_rgb
from train.seeds import seed_for

EXPOSURES = (1.0, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6, 1 / 8, 1 / 10)  # of the light; 1/10 is max_gain's limit
ALPHAS = (1e-4, 1e-3, 1e-2, 1e-1)
FEATURE_SETS = {"levels": tuple(n for n in FEATURE_NAMES if n != NOISE_FEATURE), "levels+noise": FEATURE_NAMES}
MAX_LOG_GAIN = math.log(32.0)  # the oracle's search range: past any exposure here


@dataclass
class Sample:
    """One frame: all its features, the oracle log gain, the clean frame's mean luma; `frame` kept for val."""
    image: str
    condition: str
    feats: np.ndarray
    log_gain: float
    clean_luma: float
    frame: np.ndarray | None = None


def oracle_log_gain(frame: np.ndarray, clean_luma: float, knee: float) -> float:
    """The log gain whose lift of BGR `frame` has mean luma `clean_luma` (bisection; every other pixel)."""
    sub = np.ascontiguousarray(frame[::2, ::2])
    low, high = 0.0, MAX_LOG_GAIN
    for _ in range(18):  # 32x range to ~1e-4 in log
        mid = 0.5 * (low + high)
        if luma(lift(sub, math.exp(mid), knee)).mean() < clean_luma:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def sample(image: str, rgb: np.ndarray, params: dict, condition: str, knee: float, keep: bool) -> Sample:
    clean = float(luma(np.ascontiguousarray(rgb[..., ::-1])).mean())
    dark = np.ascontiguousarray(apply(rgb, params)[..., ::-1])
    return Sample(image, condition, features(dark), oracle_log_gain(dark, clean, knee), clean, dark if keep else None)


def training_samples(images: list[tuple[str, np.ndarray]], knee: float,
                     exposures: tuple[float, ...] = EXPOSURES) -> list[Sample]:
    """Each image at each exposure through the not-gained-back camera chain, seeded by image and exposure."""
    out = []
    for image, rgb in tqdm(images, desc="exposure fit (train)", unit="img"):
        for exposure in exposures:
            params = UNDEREXPOSED["dim"](np.random.default_rng(seed_for("exposure-fit", image, exposure)))
            params["exposure"] = exposure
            out.append(sample(image, rgb, params, f"x{exposure:.3f}", knee, keep=False))
    return out


def val_samples(images: list[tuple[str, np.ndarray]], knee: float) -> list[Sample]:
    """The low-light benchmark's own frames: each image in `dim` and `dark`, kept for scoring the lift."""
    return [sample(image, rgb, condition_params(c, image), c, knee, keep=True)
            for image, rgb in tqdm(images, desc="exposure fit (val)", unit="img") for c in UNDEREXPOSED]


def fit_ridge(samples: list[Sample], names: tuple[str, ...], alpha: float) -> ExposureModel:
    """Weighted ridge (weights: clean mean luma squared) on standardized features; the bias is not shrunk."""
    cols = [FEATURE_NAMES.index(n) for n in names]
    x = np.array([s.feats[cols] for s in samples])
    y = np.array([s.log_gain for s in samples])
    w = np.array([s.clean_luma for s in samples]) ** 2
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.c_[(x - mean) / scale, np.ones(len(y))]
    normal = z.T @ (z * w[:, None])
    normal[:-1, :-1] += alpha * w.sum() * np.eye(len(cols))
    coef = np.linalg.solve(normal, z.T @ (w * y))
    return ExposureModel(names, mean, scale, coef[:-1], float(coef[-1]))


def predicted_log_gain(model: ExposureModel, s: Sample) -> float:
    """The model's log gain for a sample (whose features are all of FEATURE_NAMES)."""
    return model.log_gain(s.feats[[FEATURE_NAMES.index(n) for n in model.names]])


def luma_errors(model: ExposureModel, samples: list[Sample], cfg: LowLightConfig) -> np.ndarray:
    """Signed mean-luma error of each val frame lifted at the model's gain (bounded as the step bounds it)."""
    errors = []
    for s in samples:
        gain = min(max(math.exp(predicted_log_gain(model, s)), 1.0), cfg.max_gain)
        errors.append(float(luma(lift(s.frame, gain, cfg.knee)).mean()) - s.clean_luma)
    return np.array(errors)


def select(train: list[Sample], val: list[Sample], cfg: LowLightConfig) -> tuple[ExposureModel, list[dict]]:
    """Every (feature set, alpha) fitted on train and scored on val; the best by mean |luma error|."""
    table, best = [], None
    for set_name, names in FEATURE_SETS.items():
        for alpha in ALPHAS:
            model = fit_ridge(train, names, alpha)
            err = luma_errors(model, val, cfg)
            row = {"features": set_name, "alpha": alpha, "val_abs_luma_error": float(np.abs(err).mean()),
                   "val_signed": float(err.mean()), "val_within_0.05": float(np.mean(np.abs(err) < 0.05))}
            table.append(row)
            if best is None or row["val_abs_luma_error"] < best[1]["val_abs_luma_error"]:
                best = (model, row)
    return best[0], table


def load_images(corpus: Path, split: str) -> list[tuple[str, np.ndarray]]:
    entries = [e for e in load_manifest(corpus) if e.split == split]
    if not entries:
        raise SharpcamError(f"the '{split}' split of {corpus} is empty; build the corpus with 'make corpus'")
    report = LoadReport()
    images = [(e.id, img) for e in entries if (img := read_rgb(corpus / e.file, report)) is not None]
    report.warn()
    return images


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    p.add_argument("--out", type=Path, default=PARAMS_PATH, help="the model's JSON (default: what the runtime reads)")
    args = p.parse_args(argv)
    cfg = LowLightConfig()
    train = training_samples(load_images(args.corpus, "train"), cfg.knee)
    val = val_samples(load_images(args.corpus, "val"), cfg.knee)
    model, table = select(train, val, cfg)
    chosen = min(table, key=lambda r: r["val_abs_luma_error"])
    for row in table:
        print(f"{row['features']:<13} alpha {row['alpha']:<7g} val |luma error| {row['val_abs_luma_error']:.4f} "
              f"(signed {row['val_signed']:+.4f}, {row['val_within_0.05']:.0%} within 0.05)")
    print(f"chosen: {chosen['features']}, alpha {chosen['alpha']:g}")
    payload = {**model.to_json(), "fitted_on": f"{args.corpus} train split, exposures "
               + ", ".join(f"{e:.3f}" for e in EXPOSURES), "chosen": chosen, "selection_val": table}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out, json.dumps(payload, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    exit_on_user_error(main)
