"""Temporal stability through the deployed path: clips made from test photos, run by `python -m runtime.cam`.

    python -m benchmarks.stability.stability --model webcam=engines/webcam_480p.onnx --model fast=engines/fast_480p.onnx
    python -m benchmarks.stability.stability --split val --limit 4 --out runs/stability-val   # tuning, not test

(a) Still scenes: one photo (640x480), 24 frames, fresh sensor noise in every frame (office light and low
    light; the codec runs across the clip). Temporal std of each pixel over frames 4..23 (the first frames
    let a recursive filter settle), averaged; reported as output over input: 1.0 is as noisy as the camera,
    lower is calmer. Also SSIM of each output frame to the clean photo.
(b) Moving camera: a 512x384 window panning 3 px per frame across the photo, and one zooming in 0.6% per
    frame, office light. Error to the clean clip (SSIM) and a warping error in the spirit of Lai et al. 2018:
    mean |O_t - W(O_{t-1})| over pixels that stay in view, where W moves the previous frame by the known
    camera motion, minus the same for the clean clip (what interpolation alone gives): 0 means no
    flicker beyond the content's own; trails from a temporal filter raise it too.
(c) Still, then a pan, in office light and in low light: the still photo for half the clip, then the pan of
    (b). A temporal filter that learned the noise level while the scene stood still must still let the pan
    through (no trails); SSIM and warping error from the frame the pan starts (frames before it are settling).
(d) Local motion, in office light and in low light: a head-sized oval moving slowly over the still photo
    (scenes.local_clip). SSIM, and the error where the clean clip changed (levels; trails raise it).
(e) Scene cut: a still view of one photo, then of the next photo, office light, with no reset announced (the
    runtime's cut test, --cut-reset on by default, may see it; a model's ARGS may turn it off). Frames to
    recover: the first frame after the cut whose SSIM to the clean frame is within RECOVERED of what the same
    model gives when its stream starts at the cut (0: the cut frame itself is as good as a fresh start; the
    target is <= 2).
Clips are written as PNG folders and every model runs through `runtime.cam --source DIR --sink OUT/`
(folder sink, lossless), so state handling, padding and 8-bit output are measured as users get them.
Writes OUT.md, OUT.json, OUT.png (numbers) and OUT_frames.png (frames of the pan: look for trails).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from tqdm import tqdm


from benchmarks.common import ROOT, command_line
from benchmarks.stability.scenes import (FRAMES, SETTLE, STILL_SIZE, cover, local_clip, moved_error, moving_clip,
                                         recovery_frames, temporal_std, warp_error)
from benchmarks.stability.stability_report import plot_frames, write_stability_report
from runtime.errors import SharpcamError
from train.conditions import condition_params
from train.corpus import Entry, load_manifest
from train.degrade import apply_clip
from train.images import LoadReport, read_rgb
from train.metrics import ssim


def _empty(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*.png"):
        f.unlink()
    return folder


def write_clip(frames: list[np.ndarray], work: Path) -> Path:
    """RGB frames as a PNG folder, runtime.cam's folder source; written once, read by every model."""
    src = _empty(work / "in")
    for i, f in enumerate(frames):
        cv2.imwrite(str(src / f"{i:04d}.png"), f[..., ::-1])
    return src


def run_cam(model: Path, src: Path, work: Path, extra: tuple[str, ...] = ()) -> list[np.ndarray]:
    """Run runtime.cam with `model` (and `extra` arguments) on the PNG folder `src`; the outputs (RGB)."""
    out = _empty(work / "out")
    frames = sorted(src.glob("*.png"))
    cmd = [sys.executable, "-m", "runtime.cam", "--source", str(src), "--sink", f"{out}/", "--model", str(model),
           "--quiet", *extra]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SharpcamError(f"runtime.cam failed on {model}: {done.stderr.strip()[-500:]}")
    outs = sorted(out.glob("*.png"))
    if len(outs) != len(frames):
        raise SharpcamError(f"runtime.cam wrote {len(outs)} frames for {len(frames)}")
    return [cv2.imread(str(p))[..., ::-1] for p in outs]


# Post-processing tried on every model's outputs without another runtime.cam run (still_tune.py): a name's
# function takes (outputs, inputs), RGB frames of one clip in order, and returns what would be shown.
Variants = dict[str, Callable[[list[np.ndarray], list[np.ndarray]], list[np.ndarray]]]


def run_all(models: dict[str, tuple[Path, tuple[str, ...]]], src: Path, work: Path, inputs: list[np.ndarray],
            variants: Variants | None = None) -> dict[str, list[np.ndarray]]:
    """Each model's outputs of the clip in `src` (whose frames are `inputs`), then each variant of each."""
    outs = {}
    for label, (model, extra) in models.items():
        outs[label] = run_cam(model, src, work, extra)
        for name, variant in (variants or {}).items():
            outs[label + name] = variant(outs[label], inputs)
    return outs


def measure(models: dict[str, tuple[Path, tuple[str, ...]]], photos: list[tuple[str, np.ndarray]], work: Path,
            frames: int = FRAMES, variants: Variants | None = None) -> tuple[list[dict], dict]:
    rows, examples = [], {}
    for index, (ident, photo) in enumerate(tqdm(photos, desc="stability", unit="photo")):
        still = cover(photo, STILL_SIZE)
        for condition in ("office", "lowlight"):
            noisy = apply_clip([still] * frames, condition_params(condition, f"{ident}/still"))
            base = temporal_std(noisy)
            rows.append(_row(ident, f"still {condition}", "input", noisy, [still] * frames, base=base))
            for label, out in run_all(models, write_clip(noisy, work), work, noisy, variants).items():
                rows.append(_row(ident, f"still {condition}", label, out, [still] * frames, base=base))
        for kind, condition in (("pan", "office"), ("zoom", "office"), ("still-pan", "office"),
                                ("still-pan", "lowlight")):
            clean, mats = moving_clip(cover(photo, STILL_SIZE), kind, frames)
            noisy = apply_clip(clean, condition_params(condition, f"{ident}/{kind}"))
            outs = run_all(models, write_clip(noisy, work), work, noisy, variants)
            # still-pan: measured from where the pan starts (_row skips SETTLE frames of what it is given)
            start = max(0, frames // 2 - SETTLE) if kind == "still-pan" else 0
            clean_warp = warp_error(clean[start:], mats[start:])
            scene = f"still, then pan ({light(condition)})" if kind == "still-pan" else kind
            for label, clip in {"input": noisy, **outs}.items():
                rows.append(_row(ident, scene, label, clip[start:], clean[start:], mats=mats[start:],
                                 clean_warp=clean_warp))
            if kind == "pan" and not examples:
                examples = {"clean": clean, "input": noisy, **outs}
        clean = local_clip(photo, frames)
        for condition in ("office", "lowlight"):
            noisy = apply_clip(clean, condition_params(condition, f"{ident}/local"))
            scene = f"local motion ({light(condition)})"
            for label, clip in {"input": noisy, **run_all(models, write_clip(noisy, work), work, noisy,
                                                          variants)}.items():
                rows.append(_row(ident, scene, label, clip, clean) | {"moved_error": moved_error(clip, clean)})
        following = cover(photos[(index + 1) % len(photos)][1], STILL_SIZE)
        rows += _scene_cut(ident, still, following, models, work, frames, variants)
    return rows, examples


def light(condition: str) -> str:
    """A condition's name in a scene's label ("lowlight" -> "low light")."""
    return "low light" if condition == "lowlight" else condition


def _scene_cut(ident: str, first: np.ndarray, second: np.ndarray, models: dict, work: Path, frames: int,
               variants: Variants | None = None) -> list[dict]:
    """A still view of `first`, then of `second` from frame frames // 2 on, no reset; one row per method."""
    cut = frames // 2
    clean = [first] * cut + [second] * (frames - cut)
    noisy = apply_clip(clean, condition_params("office", f"{ident}/cut"))
    rows = [_row(ident, "scene cut", "input", noisy, clean) | {"recovery": 0.0}]
    whole = run_all(models, write_clip(noisy, work), work, noisy, variants)
    fresh = run_all(models, write_clip(noisy[cut:], work / "fresh"), work / "fresh", noisy[cut:], variants)
    for label, out in whole.items():
        rows.append(_row(ident, "scene cut", label, out, clean) |
                    {"recovery": float(recovery_frames(out[cut:], fresh[label], clean[cut:]))})
    return rows


def _row(ident: str, scene: str, method: str, clip: list[np.ndarray], clean: list[np.ndarray],
         base: float | None = None, mats: list[np.ndarray] | None = None, clean_warp: float = 0.0) -> dict:
    row = {"image": ident, "scene": scene, "method": method,
           "ssim": float(np.mean([ssim(o, c) for o, c in zip(clip[SETTLE:], clean[SETTLE:])]))}
    if base is not None:
        row["temporal_std"] = temporal_std(clip)
        row["std_ratio"] = row["temporal_std"] / base
    if mats is not None:
        row["warp_error"] = warp_error(clip, mats) - clean_warp
    return row


def spread_photos(corpus: Path, split: str, limit: int) -> list[tuple[str, np.ndarray]]:
    """`limit` photos (id, RGB) spread evenly over the split's manifest order, so every category shows."""
    entries = [e for e in load_manifest(corpus) if e.split == split]
    return read_photos(corpus, [entries[round(i * len(entries) / limit)] for i in range(min(limit, len(entries)))])


def read_photos(corpus: Path, entries: list[Entry]) -> list[tuple[str, np.ndarray]]:
    """(id, RGB) of each entry that reads; the ones that do not are reported once."""
    report = LoadReport()
    photos = [(e.id, img) for e in entries if (img := read_rgb(corpus / e.file, report)) is not None]
    report.warn()
    return photos


PHOTO_SETS = ("spread", "pages")  # --photos


def choose_photos(corpus: Path, split: str, photo_set: str, limit: int) -> list[tuple[str, np.ndarray]]:
    """spread: `limit` photos spread over the split's categories; pages: every text page of the split (where
    the shimmer is worst)."""
    if photo_set == "spread":
        return spread_photos(corpus, split, limit)
    photos = read_photos(corpus, [e for e in load_manifest(corpus) if e.split == split and e.category == "text"])
    if not photos:
        raise SharpcamError(f"no readable text pages in the {split} split of {corpus}: rebuild it with text pages "
                            f"('python -m train.corpus --out {corpus}') or use --photos spread")
    return photos


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", action="append", default=[], metavar="LABEL=GRAPH.onnx [ARGS]",
                   help="a graph runtime.cam can take with --model, optionally followed by more runtime.cam "
                        "arguments (e.g. 'skip=engines/webcam_480p.onnx --backend openvino --load-policy skip'); "
                        "repeat to compare")
    p.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--limit", type=int, default=6, help="photos (spread over the split; default: %(default)s)")
    p.add_argument("--photos", choices=PHOTO_SETS, default="spread",
                   help="spread: --limit photos spread over the categories; pages: every text page of the split "
                        "(default: %(default)s)")
    p.add_argument("--frames", type=int, default=FRAMES, help="frames per clip, more than %d (default: %%(default)s)" % SETTLE)
    p.add_argument("--out", type=Path, default=Path("runs/stability"), help="OUT.md/.json/.png, OUT_frames.png")
    args = p.parse_args(argv)
    models = {}
    for spec in args.model:
        label, sep, rest = spec.partition("=")
        path, *extra = rest.split() or [""]
        if not sep or not Path(path).exists():
            p.error(f"--model takes LABEL=GRAPH.onnx [ARGS] of an existing file, not {spec!r}")
        models[label] = (Path(path).resolve(), tuple(extra))
    if not models:
        p.error("give at least one --model LABEL=GRAPH.onnx")
    if args.frames <= SETTLE or args.limit < 1:
        p.error(f"--frames must be more than {SETTLE} and --limit at least 1")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    photos = choose_photos(args.corpus, args.split, args.photos, args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        rows, examples = measure(models, photos, Path(tmp), args.frames)
    command = command_line("benchmarks.stability.stability", argv)
    graphs = {label: " ".join([str(path), *extra]) for label, (path, extra) in models.items()}
    write_stability_report(rows, args.out, f"{args.split} split, {len(photos)} photos ({args.photos})", command,
                 {"models": graphs})
    plot_frames(examples, args.out.with_name(args.out.name + "_frames.png"))
    print(args.out.with_suffix(".md").read_text())


if __name__ == "__main__":
    try:
        main()
    except SharpcamError as err:
        raise SystemExit(f"error: {err}")
