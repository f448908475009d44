"""`mos prepare`: a study directory from a folder of sharp pictures.

Each picture is (optionally) shrunk to fit --max-side, degraded exactly as the benchmark does
(train.blur.benchmark_degrade: the report's blur, parameters seeded by the image id), then passed
through each model (ONNX, through runtime.sharpen.RealTimeSharpener). Versions: "blurred" (the
degraded input), one per model, and optionally "unsharp" (train.metrics.unsharp_baseline on the blurred
input) and "original" (the sharp picture, as a hidden reference).

Categories come from a corpus manifest (data/corpus/manifest.json, see train/corpus.py; its test split by
default, since the models were trained on the rest) or else from the first subfolder name; pictures
directly in the folder are "uncategorized".
"""
from __future__ import annotations

import hashlib
import itertools
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from runtime.errors import SharpcamError
from runtime.files import write_text_atomic
from train.corpus import load_manifest
from train.blur import benchmark_degrade
from train.images import LoadReport, list_images, read_rgb
from train.metrics import unsharp_baseline

from benchmarks.mos.study import ANSWERS_FILE, DEFAULT_LAYOUT, IMAGE_ID, STUDY_FILE, VERSION_ID

BUILTIN = ("blurred", "unsharp", "original")


@dataclass
class PrepareConfig:
    source: Path                      # a folder of pictures, or a corpus folder with manifest.json
    out: Path                         # the study directory to write
    # (label, ONNX path); None: the runtime's default model (the shipped student)
    models: list[tuple[str, Path | None]] = field(default_factory=lambda: [("student", None)])
    unsharp: bool = False
    original: bool = False
    compare: str = "all"              # "all": every pair of versions; "blurred": each version vs blurred
    split: str = "test"               # manifest split to take; "all" for every split
    limit: int = 0                    # at most this many pictures (a seeded sample); 0 for all
    max_side: int = 640               # two of them side by side fit a laptop screen at about 1:1
    raters: int = 25
    seed: int = 0
    name: str = ""
    force: bool = False               # overwrite a study that has no answers yet


def parse_model(spec: str) -> tuple[str, Path]:
    """LABEL=PATH.onnx"""
    label, sep, path = spec.partition("=")
    if not sep or not VERSION_ID.fullmatch(label) or label in BUILTIN or not path:
        raise SharpcamError(f"--model {spec!r}: use LABEL=PATH.onnx, LABEL of letters/digits/_/- and not "
                            f"one of {BUILTIN}")
    return label, Path(path)


def _image_id(rel: Path, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", rel.with_suffix("").as_posix()).strip("-.")[:100] or "image"
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}-{n}", n + 1
    taken.add(ident)
    return ident


def find_images(cfg: PrepareConfig) -> list[tuple[str, Path, str]]:
    """(id, path, category) of the pictures to use, sorted by id."""
    if not cfg.source.is_dir():
        raise SharpcamError(f"{cfg.source} is not a folder of pictures")
    if (cfg.source / "manifest.json").exists():
        entries = [e for e in load_manifest(cfg.source) if cfg.split == "all" or e.split == cfg.split]
        # an id names the study's files (images/VERSION/ID.png): '../x' would write outside --out
        bad = [e.id for e in entries if not isinstance(e.id, str) or not IMAGE_ID.fullmatch(e.id)]
        if bad:
            raise SharpcamError(f"{cfg.source / 'manifest.json'}: image id(s) {bad[:3]} are not usable as file "
                                "names (letters, digits, '.', '_', '-', starting with a letter or digit)")
        found = [(e.id, cfg.source / e.file, e.category) for e in entries]
    else:
        taken: set[str] = set()
        found = []
        for path in list_images(cfg.source):
            rel = path.relative_to(cfg.source)
            found.append((_image_id(rel, taken), path, rel.parts[0] if len(rel.parts) > 1 else "uncategorized"))
    if not found:
        raise SharpcamError(f"no pictures in {cfg.source}" + (f" (split {cfg.split!r}; try --split all)"
                                                             if (cfg.source / "manifest.json").exists() else ""))
    if cfg.limit and len(found) > cfg.limit:
        found = random.Random(cfg.seed).sample(sorted(found), cfg.limit)
    return sorted(found)


def _fit(img: np.ndarray, max_side: int) -> np.ndarray:
    h, w = img.shape[:2]
    if max_side <= 0 or max(h, w) <= max_side:
        return img
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(img).resize(size, Image.Resampling.LANCZOS))


def _provenance(path: Path | None, model: object) -> dict:
    """What produced a version: the backend (it names the file) and, for a given path, the file's sha256."""
    out = {"backend": getattr(getattr(model, "backend", None), "name", "?")}
    if path is not None:
        out |= {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    return out


def _check_out(cfg: PrepareConfig) -> None:
    if (cfg.out / ANSWERS_FILE).exists():
        raise SharpcamError(f"{cfg.out} already holds answers; prepare into a new --out folder (or move them away)")
    if (cfg.out / STUDY_FILE).exists() and not cfg.force:
        raise SharpcamError(f"{cfg.out / STUDY_FILE} exists; add --force to overwrite it, or choose another --out")


def _comparisons(versions: list[str], compare: str) -> list[list[str]]:
    if compare == "blurred":
        return [["blurred", v] for v in versions if v != "blurred"]
    return [list(c) for c in itertools.combinations(versions, 2)]


def prepare(cfg: PrepareConfig) -> Path:
    """Write the pictures and study.json; return the study file."""
    from runtime.sharpen import RealTimeSharpener  # loads ONNX Runtime only when a study is built

    _check_out(cfg)
    images = find_images(cfg)
    labels = [label for label, _ in cfg.models]
    if len(set(labels)) != len(labels):
        raise SharpcamError(f"model labels must differ: {labels}")
    versions = ["blurred", *labels] + ["unsharp"] * cfg.unsharp + ["original"] * cfg.original
    if len(versions) < 2:
        raise SharpcamError("a study needs two versions: give a --model, --unsharp or --original")
    for label, path in cfg.models:
        if path is not None and not path.is_file():
            raise SharpcamError(f"model {label}: {path} not found; give the path of an ONNX graph "
                                "(e.g. one that 'make engines' wrote)")
    models = {label: RealTimeSharpener(path) for label, path in cfg.models}
    report, entries = LoadReport(), []
    for ident, path, category in tqdm(images, desc="prepare", unit="image"):
        img = read_rgb(path, report, min_side=32)
        if img is None:
            continue
        sharp = _fit(img, cfg.max_side)
        blurred, params = benchmark_degrade(sharp, ident)
        outs = {"blurred": blurred, "unsharp": unsharp_baseline(blurred), "original": sharp}
        for label, model in models.items():  # the runtime takes BGR
            outs[label] = model.sharpen(np.ascontiguousarray(blurred[..., ::-1]))[..., ::-1]
        for version in versions:
            dst = cfg.out / DEFAULT_LAYOUT.format(version=version, id=ident)
            dst.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.ascontiguousarray(outs[version])).save(dst)
        entries.append({"id": ident, "category": category, "source": str(path), "degradation": params})
    report.warn()
    if not entries:
        raise SharpcamError(f"none of the pictures in {cfg.source} could be read")
    study = {"version": 1, "name": cfg.name or cfg.out.resolve().name, "seed": cfg.seed, "raters": cfg.raters,
             "versions": versions, "comparisons": _comparisons(versions, cfg.compare), "layout": DEFAULT_LAYOUT,
             "images": entries,
             "prepared": {"source": str(cfg.source), "max_side": cfg.max_side,
                          "degradation": "train.blur.benchmark_degrade, seeded by image id",
                          "models": {label: _provenance(path, models[label]) for label, path in cfg.models}}}
    write_text_atomic(cfg.out / STUDY_FILE, json.dumps(study, indent=1))
    return cfg.out / STUDY_FILE
