"""The low-light benchmark's report: the Markdown tables (with the issue's targets checked) and the crops PNG."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from train.corpus import CATEGORIES

LUMA_TARGET = 0.05  # issue 20: within 0.05 of the clean frame's mean luma


def _mean(rows: list[dict], key: str, absolute: bool = False) -> float:
    values = np.array([r[key] for r in rows], dtype=np.float64)
    return float(np.mean(np.abs(values) if absolute else values))


def _select(rows: list[dict], **match) -> list[dict]:
    return [r for r in rows if all(r[k] == v for k, v in match.items())]


def stills_table(rows: list[dict]) -> list[str]:
    methods = list(dict.fromkeys(r["method"] for r in rows))
    lines = ["| condition | method | SSIM | mean-luma error, mean \\|.\\| | signed | within 0.05 |", "|---|---|---|---|---|---|"]
    for condition in dict.fromkeys(r["condition"] for r in rows):
        for m in methods:
            sel = _select(rows, condition=condition, method=m)
            within = np.mean([abs(r["luma_error"]) < LUMA_TARGET for r in sel])
            lines.append(f"| {condition} | {m} | {_mean(sel, 'ssim'):.4f} | {_mean(sel, 'luma_error', True):.3f} | "
                         f"{_mean(sel, 'luma_error'):+.3f} | {within:.0%} |")
    return lines


def category_table(rows: list[dict]) -> list[str]:
    methods = list(dict.fromkeys(r["method"] for r in rows))
    lines = ["SSIM (and mean \\|luma error\\|) per category, both conditions pooled:", "",
             "| category | images | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for cat in CATEGORIES:
        sel = _select(rows, category=cat)
        if not sel:
            continue
        n = len({r["image"] for r in sel})
        cells = [f"{_mean(_select(sel, method=m), 'ssim'):.4f} ({_mean(_select(sel, method=m), 'luma_error', True):.3f})"
                 for m in methods]
        lines.append(f"| {cat} | {n} | " + " | ".join(cells) + " |")
    return lines


def flicker_table(rows: list[dict]) -> list[str]:
    lines = ["| condition | method | frame-to-frame std of mean luma / mean | temporal std / mean |", "|---|---|---|---|"]
    for condition in dict.fromkeys(r["condition"] for r in rows):
        for m in dict.fromkeys(r["method"] for r in rows):
            sel = _select(rows, condition=condition, method=m)
            lines.append(f"| {condition} | {m} | {_mean(sel, 'luma_std'):.5f} | {_mean(sel, 'temporal_std'):.4f} |")
    return lines


def targets(payload: dict) -> list[str]:
    rows, flick = payload["stills"], payload["flicker"]
    ours, classical = _select(rows, method="ours"), _select(rows, method="classical")
    luma = _mean(ours, "luma_error", True)
    ratio = _mean(_select(flick, method="lift"), "luma_std") / max(_mean(_select(flick, method="input"), "luma_std"), 1e-12)
    office = payload["office_auto"]
    return [f"- mean-luma error within {LUMA_TARGET} of the clean frame: ours {luma:.3f} mean |error| "
            f"({_mean(ours, 'luma_error'):+.3f} signed; {np.mean([abs(r['luma_error']) < LUMA_TARGET for r in ours]):.0%} "
            f"of frames within) -> {'met' if luma <= LUMA_TARGET else 'not met'}",
            f"- SSIM above the classical pipeline: ours {_mean(ours, 'ssim'):.4f} vs {_mean(classical, 'ssim'):.4f} "
            f"({payload['classical']}) -> {'met' if _mean(ours, 'ssim') > _mean(classical, 'ssim') else 'not met'}",
            f"- no flicker added: frame-to-frame std of mean luma (relative) with the lift / without: {ratio:.3f} "
            f"-> {'met' if ratio <= 1.05 else 'not met'}",
            f"- auto on well-exposed (office) frames: {office['changed']} of {office['frames']} frames changed "
            f"({office['share_changed']:.1%}; clips: {', '.join(office['clips_changed']) or 'none'})"]


def markdown(payload: dict) -> str:
    tuning = ["| brightening | NLM h | val SSIM (centre crops) |", "|---|---|---|"] + \
        [f"| {t['brightening']} | {t['h']:g} | {t['val_ssim']:.4f} |" for t in payload["tuning_val"]]
    conditions = [f"- `{c}`: {note}" for c, note in payload["conditions"].items()]
    return "\n".join([
        f"# Low-light brightening, {payload['split']} split", "",
        "Underexposed frames (not gained back) against the well-exposed clean frame. `input`: the dark frame; "
        f"`classical`: {payload['classical']} (best on val); `lift+NLM`: {payload['lift+NLM']}; `lift`: "
        f"runtime/low_light.py alone; `ours`: --low-light auto + {payload['model']} (ONNX Runtime).", "",
        *conditions, "", "## Targets (issue 20)", "", *targets(payload), "", "## Stills", "",
        *stills_table(payload["stills"]), "", "## Per category", "", *category_table(payload["stills"]), "",
        "## Flicker: still clips, fresh noise per frame (relative to the clip's mean luma)", "",
        *flicker_table(payload["flicker"]), "", "## Classical tuning (val split)", "", *tuning, ""])


def crops_png(examples: dict, path: Path, labels: dict[str, str], size: int = 200) -> None:
    """Rows of centre crops (dark condition): input / classical / ours / clean, labelled."""
    columns = ("input", "classical", "ours", "clean")
    rows = []
    for outs in examples.values():
        h, w = outs["clean"].shape[:2]
        top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
        tiles = []
        for c in columns:
            tile = np.ascontiguousarray(outs[c][top:top + size, left:left + size][..., ::-1])
            tile = cv2.copyMakeBorder(tile, 22, 2, 2, 2, cv2.BORDER_CONSTANT, value=(255, 255, 255))
            cv2.putText(tile, labels.get(c, c)[:30], (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
            tiles.append(tile)
        heights = {t.shape[0] for t in tiles}
        if len(heights) == 1:
            rows.append(np.hstack(tiles))
    if rows:
        width = max(r.shape[1] for r in rows)
        rows = [cv2.copyMakeBorder(r, 0, 0, 0, width - r.shape[1], cv2.BORDER_CONSTANT, value=(255, 255, 255)) for r in rows]
        cv2.imwrite(str(path), np.vstack(rows))
