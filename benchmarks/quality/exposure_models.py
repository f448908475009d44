"""Can another model of the low-light gain reach the issue's 0.05 mean-luma error? Ridge against k nearest neighbours.

    python -m benchmarks.quality.exposure_models     # -> runs/exposure_models.md (~5 min; samples cached)

The samples are train/exposure_fit.py's: the train split at eight exposures (oracle gains), the val and test
splits' `dim` and `dark` frames. Each model predicts log(gain); every frame is lifted at it (bounded as the
step bounds it) and the mean-luma error to the clean frame measured, lift only (no student, no bilateral).
Ridge is the shipped model's family (its grid's alphas and feature sets); kNN predicts the clean mean luma
from the k nearest training frames in standardized feature space (distance-weighted), which lets the
histogram's shape decide non-linearly, then divides by the frame's own mean.
"""
from __future__ import annotations

import argparse
import math
import pickle
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, write_report
from runtime.entry import exit_on_user_error
from runtime.exposure import FEATURE_NAMES, luma
from runtime.low_light import LowLightConfig, lift
from train.exposure_fit import FEATURE_SETS, fit_ridge, load_images, predicted_log_gain, training_samples, val_samples

CFG = LowLightConfig()


def errors(log_gains: list[float], samples: list) -> np.ndarray:
    out = []
    for log_gain, s in zip(log_gains, samples):
        gain = min(max(math.exp(log_gain), 1.0), CFG.max_gain)
        out.append(float(luma(lift(s.frame, gain, CFG.knee)).mean()) - s.clean_luma)
    return np.array(out)


def knn(train: list, k: int) -> callable:
    x = np.array([s.feats for s in train])
    mean, scale = x.mean(0), x.std(0) + 1e-9
    z_train = (x - mean) / scale
    log_mean = FEATURE_NAMES.index("log_mean")
    clean_log_mean = np.array([s.log_gain for s in train]) + x[:, log_mean]  # what the lift should reach

    def predict(samples: list) -> list[float]:
        out = []
        for s in samples:
            d = np.sqrt((((s.feats - mean) / scale - z_train) ** 2).sum(1))
            near = np.argsort(d)[:k]
            w = 1 / (d[near] + 1e-3)
            out.append(float((w * clean_log_mean[near]).sum() / w.sum() - s.feats[log_mean]))
        return out
    return predict


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    p.add_argument("--cache", type=Path, default=ROOT / "runs" / "exposure_models.pkl")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "exposure_models.md")
    args = p.parse_args(argv)
    if args.cache.exists():
        train, val, test = pickle.loads(args.cache.read_bytes())
    else:
        train = training_samples(load_images(args.corpus, "train"), CFG.knee)
        val, test = (val_samples(load_images(args.corpus, split), CFG.knee) for split in ("val", "test"))
        args.cache.parent.mkdir(parents=True, exist_ok=True)
        args.cache.write_bytes(pickle.dumps((train, val, test)))
    models: dict[str, callable] = {}
    for set_name, names in FEATURE_SETS.items():
        for alpha in (1e-3, 1e-2, 1e-1):
            model = fit_ridge(train, names, alpha)
            models[f"ridge, {set_name}, alpha {alpha:g}"] = (
                lambda m: lambda samples: [predicted_log_gain(m, s) for s in samples])(model)
    for k in (3, 7, 15):
        models[f"kNN, k = {k}"] = knn(train, k)
    lines = ["# Models of the low-light gain: mean-luma error of the lift (val and test, dim + dark)", "",
             "Command: `python -m benchmarks.quality.exposure_models`. Target: mean |error| <= 0.05.", "",
             "| model | val mean \\|error\\| | val within 0.05 | test mean \\|error\\| | test signed | test within 0.05 |",
             "|---|---|---|---|---|---|"]
    for name, predict in models.items():
        ev, et = errors(predict(val), val), errors(predict(test), test)
        lines.append(f"| {name} | {np.abs(ev).mean():.4f} | {np.mean(np.abs(ev) < 0.05):.0%} | "
                     f"{np.abs(et).mean():.4f} | {et.mean():+.4f} | {np.mean(np.abs(et) < 0.05):.0%} |")
    write_report(args.out, lines)


if __name__ == "__main__":
    exit_on_user_error(main)
