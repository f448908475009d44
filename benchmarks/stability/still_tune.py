"""Choose `--still-average`'s settings by measurement, on the validation split (never the test split).

    python -m benchmarks.stability.still_tune --model recurrent=engines/recurrent.onnx --out runs/still_tune

Each model runs the stability clips (benchmarks/stability/stability.py) through `runtime.cam` once, with
`--still-average off`; every setting of the grid is then applied to those outputs as the pipeline applies it
(runtime/still_regions.py on each output frame in order, forgetting where runtime/scene_cut.py sees a cut in
the input), so the grid costs no further model runs. Reports still-scene temporal std (lower is calmer),
moving clips' SSIM and warping error (trails raise it), cut recovery, and each photo's still rows (the
document page is where the model alone stays least calm). Writes OUT.md/.json/.png.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import command_line
from benchmarks.stability.scenes import FRAMES, SETTLE
from benchmarks.stability.stability import PHOTO_SETS, Variants, choose_photos, measure
from benchmarks.stability.stability_report import write_stability_report
from runtime.errors import SharpcamError
from runtime.scene_cut import SceneCuts
from runtime.still_regions import StillAverage, StillConfig

# (hold, low, high, divisor, shift_low, shift_high, floor, noise_ref[, flicker_ref[, camera_relax[, spread]]]);
# shift_high 0: the level test alone; noise_ref 0: a fixed floor; flicker_ref 0: no scaling by the output's
# flicker; camera_relax 1: the displacement test as strict while the camera holds still; spread 1: no spreading
# of sure motion to its neighbours (the grid below was measured before the last three existed: its settings take
# them as shipped unless a 9th, 10th or 11th number says otherwise)
GRID = ((0.6, 1.0, 3.0, 8, 0, 0, 4, 0), (0.8, 1.0, 3.0, 8, 0, 0, 4, 0), (0.7, 2.0, 5.0, 4, 0, 0, 4, 0),
        (0.7, 1.0, 3.0, 8, 0.03, 0.08, 4, 0), (0.75, 1.0, 3.0, 8, 0.03, 0.08, 4, 0),
        (0.75, 1.0, 3.0, 8, 0.03, 0.08, 4, 0.5), (0.75, 1.0, 3.0, 8, 0.03, 0.08, 4, 0.4),
        (0.75, 1.0, 3.0, 8, 0.03, 0.08, 4, 0.3), (0.75, 1.0, 3.0, 8, 0.03, 0.08, 4, 0.25))


def shown(cfg: StillConfig):
    def apply(outputs: list[np.ndarray], inputs: list[np.ndarray]) -> list[np.ndarray]:
        still, cuts, result = StillAverage(cfg), SceneCuts(), []
        for out, frame in zip(outputs, inputs):
            bgr = np.ascontiguousarray(frame[..., ::-1])
            if cuts(bgr):
                still.reset()
            still.see_input(bgr)  # the model's input: these clips need no resize and no low-light lift
            result.append(still(np.ascontiguousarray(out[..., ::-1]))[..., ::-1])
        return result
    return apply


def grid_arg(text: str) -> tuple[tuple[float, ...], ...]:
    try:
        grid = tuple(tuple(float(v) for v in item.split(",")) for item in text.split(";") if item.strip())
        for setting in grid:
            config(setting)
    except (ValueError, TypeError) as err:
        raise argparse.ArgumentTypeError(f"--grid takes HOLD,LOW,HIGH[,DIVISOR[,SHIFT_LOW,SHIFT_HIGH[,FLOOR[,NOISE_REF"
                                         f"[,FLICKER_REF[,CAMERA_RELAX[,SPREAD]]]]]]];... "
                                         f"with 0 <= HOLD < 1, 0 <= LOW < HIGH; got {text!r}") from err
    return grid


def config(setting: tuple[float, ...]) -> StillConfig:
    """StillConfig from (hold, low, high[, divisor[, shift_low, shift_high[, floor[, noise_ref[, flicker_ref[,
    camera_relax[, spread]]]]]]]); the rest as shipped."""
    if not 3 <= len(setting) <= 11 or len(setting) == 5:
        raise ValueError(f"a setting has 3, 4 or 6 to 11 numbers, not {len(setting)}")
    names = ("hold", "low", "high", "divisor", "shift_low", "shift_high", "floor", "noise_ref", "flicker_ref",
             "camera_relax", "spread")
    given = dict(zip(names, setting))
    for whole in ("divisor", "spread"):
        if whole in given:
            given[whole] = int(given[whole])
    return StillConfig(**given)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", action="append", default=[], metavar="LABEL=GRAPH.onnx",
                   help="a graph runtime.cam can take with --model; repeat to compare")
    p.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    p.add_argument("--limit", type=int, default=6, help="validation photos (default: %(default)s)")
    p.add_argument("--photos", choices=PHOTO_SETS, default="spread",
                   help="spread: --limit photos spread over the categories (the stability suite's choice); pages: "
                        "every text page of the split, where the shimmer is worst (default: %(default)s)")
    p.add_argument("--grid", type=grid_arg, default=GRID, metavar="H,L,H[,D[,SL,SH[,F[,N[,FR[,CR[,S]]]]]]];...",
                   help="settings (hold, low, high[, thumbnail divisor[, shift low, shift high[, floor[, noise "
                        "ref[, flicker ref[, camera relax[, spread]]]]]]]) to try (default: the grid the shipped "
                        "setting was chosen from)")
    p.add_argument("--frames", type=int, default=FRAMES,
                   help="frames per clip, more than %d (default: %%(default)s)" % SETTLE)
    p.add_argument("--out", type=Path, default=Path("runs/still_tune"))
    args = p.parse_args(argv)
    models = {}
    for spec in args.model:
        label, sep, path = spec.partition("=")
        if not sep or not Path(path).is_file():
            p.error(f"--model takes LABEL=GRAPH.onnx of an existing file, not {spec!r}")
        models[label] = (Path(path).resolve(), ("--still-average", "off"))
    if not models:
        p.error("give at least one --model LABEL=GRAPH.onnx")
    if args.frames <= SETTLE:
        p.error(f"--frames must be more than {SETTLE}")
    variants: Variants = {"+" + "/".join(f"{v:g}" for v in setting): shown(config(setting))
                          for setting in args.grid}
    photos = choose_photos(args.corpus, "val", args.photos, args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        rows, _ = measure(models, photos, Path(tmp), args.frames, variants=variants)
    write_stability_report(rows, args.out, f"val split, {len(photos)} photos ({args.photos})",
                 command_line("benchmarks.stability.still_tune", argv))
    print(args.out.with_suffix(".md").read_text())


if __name__ == "__main__":
    try:
        main()
    except SharpcamError as err:
        raise SystemExit(f"error: {err}")
