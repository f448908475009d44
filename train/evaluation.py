"""The evaluation core: methods x conditions over a corpus split -> one row per score -> tables.

train/evaluate.py (the benchmark blur, per category), benchmarks/webcam_quality.py (every condition and
method) and benchmarks/cpu_quality.py (every CPU engine) all score with `evaluate` and `summarize`.
Each image of the split is degraded under each condition (train/conditions.py, seeded by the image's id,
so every method sees the same pixels); SSIM is computed as the report does (RGB in [0,1], scikit-image
defaults), PSNR in dB, both against the clean image.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from runtime.errors import SharpcamError
from train.checkpoint import student_from_checkpoint
from train.conditions import condition_params
from train.corpus import CATEGORIES, load_manifest
from train.degrade import apply
from train.images import LoadReport, read_rgb
from train.metrics import psnr, ssim
from train.teacher import sharpen_same_size
from train.teacher_cache import TeacherCache
from train.teacher_weights import load_teacher
from train.tensors import run_model, to_image, to_tensor

Method = Callable[[np.ndarray, str, dict], np.ndarray]  # (degraded RGB, clean image's sha256, params) -> RGB


def evaluate(corpus: Path, split: str, methods: dict[str, Method], conditions: Iterable[str] = ("benchmark",),
             limit: int | None = None, desc: str = "evaluating") -> list[dict]:
    """One row per (image, condition, method): image, category, condition, method, ssim, psnr."""
    entries = [e for e in load_manifest(corpus) if e.split == split][:limit]
    if not entries:
        raise SharpcamError(f"the '{split}' split of {corpus} is empty; build the corpus with 'make corpus'")
    rows, report = [], LoadReport()
    for e in tqdm(entries, desc=f"{desc} ({split})", unit="img"):
        img = read_rgb(corpus / e.file, report)
        if img is None:
            continue
        sha = hashlib.sha256(img.tobytes()).hexdigest()
        for condition in conditions:
            params = condition_params(condition, e.id)
            degraded = apply(img, params)
            for name, method in methods.items():
                out = method(degraded, sha, params)
                rows.append({"image": e.id, "category": e.category, "condition": condition, "method": name,
                             "ssim": ssim(out, img), "psnr": psnr(out, img)})
    report.warn()
    return rows


def nest(rows: list[dict], keys: tuple[str, ...], leaf: Callable[[list[dict]], Any]) -> dict:
    """Rows grouped by each of `keys` in turn (values in first-seen order) into nested dicts, `leaf` of each
    innermost group: nest(rows, ("condition", "method"), f) -> {condition: {method: f(its rows)}}."""
    if not keys:
        return leaf(rows)
    key, inner = keys[0], keys[1:]
    return {value: nest([r for r in rows if r[key] == value], inner, leaf)
            for value in dict.fromkeys(r[key] for r in rows)}


def scores(rows: list[dict], count_above_0_9: bool = False) -> dict:
    """{n, ssim, [above_0_9,] psnr}: means over `rows` (and how many scored SSIM above 0.9)."""
    out: dict = {"n": len(rows), "ssim": float(np.mean([r["ssim"] for r in rows]))}
    if count_above_0_9:
        out["above_0_9"] = sum(r["ssim"] > 0.9 for r in rows)
    out["psnr"] = float(np.mean([r["psnr"] for r in rows]))
    return out


def summarize(rows: list[dict], count_above_0_9: bool = False) -> dict:
    """{condition: {method: {category or 'all': scores}}}, categories in CATEGORIES order."""
    def per_category(mine: list[dict]) -> dict:
        groups = {cat: [r for r in mine if cat == "all" or r["category"] == cat] for cat in [*CATEGORIES, "all"]}
        return {cat: scores(sel, count_above_0_9) for cat, sel in groups.items() if sel}
    return nest(rows, ("condition", "method"), per_category)


def teacher_method(weights: str | None, mode: str, cache: Path) -> Method:
    """The RRDB teacher as a same-size sharpener (train/teacher.py), its outputs kept in the teacher cache."""
    teacher, sha = load_teacher(weights)
    outputs = TeacherCache(cache)

    def run(degraded: np.ndarray, image_sha: str, params: dict) -> np.ndarray:
        # the key of the evaluation's cache files since they were first written
        return outputs.get(["eval", image_sha, params, mode, sha],
                           lambda: to_image(sharpen_same_size(teacher, to_tensor(degraded), mode)))

    return run


def student_method(path: Path) -> Method:
    """A student checkpoint (.pt) through PyTorch."""
    model, _ = student_from_checkpoint(path)
    return lambda degraded, _sha, _params: run_model(model, degraded)


def identity(degraded: np.ndarray, _sha: str, _params: dict) -> np.ndarray:
    """The degraded input itself, the column every method must beat."""
    return degraded
