"""Capacity where it pays (issue 20): a few student shapes per tier on one cost/quality plot.

    make family-frontier                  # the committed run's shapes (runs/frontier/*), against shipped S and M
    python -m benchmarks.quality.family_frontier --shape 32x4=runs/frontier/c32b4 --shape 24x7=runs/x/best.pt

Every shape is LABEL=CHECKPOINT (a .pt the trainer wrote) or LABEL=RUN_DIR (its best.pt); the shipped students
(--shipped, default S and M) are measured beside them and marked, not counted in the front (they had other
budgets). For each: the deployed 480p frame graph and the any-size graph are exported into --work; multiply-adds
per pixel are counted from the graph (benchmarks.speed.flops); the frame graph is timed through OpenVINO on one
thread at 480p by benchmarks.speed.family_cost (every graph in each round, medians over rounds, the cost ratio
to S taken per round); validation SSIM per condition comes from the trainer's own validation
(train.validate.Validator: the val split's centre crops under each condition), so the mean over conditions is
the val SSIM the trainer records. Writes OUT.md, OUT.json, OUT.png (family_frontier_report).
"""
from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.common import command_line, describe, write_markdown_and_json
from benchmarks.quality.family_frontier_report import markdown, plot
from benchmarks.speed import family_cost
from benchmarks.speed.flops import conv_macs
from runtime.artifacts import RESOLUTIONS, checkpoint_path, graph_name
from runtime.entry import exit_on_user_error, path_arg, positive_int
from runtime.errors import SharpcamError

FRAME_SIZE = "480p"  # the size the tiers' budgets are written for
SHIPPED = (f"S={checkpoint_path('webcam')}", f"M={checkpoint_path('medium')}")


@dataclass
class Shape:
    """One point of the plot: where its weights are, and what was measured of it."""
    label: str
    checkpoint: Path
    shipped: bool = False
    model: dict = field(default_factory=dict)  # {"name", "args"} as the trainer saved it
    start: str = ""  # what training started from: a checkpoint it was grown from, or "scratch"
    epoch: int = 0  # the epoch the checkpoint is from (best validation SSIM)
    epochs_run: int = 0  # epochs the run had trained when it was saved (0: not recorded, e.g. a shipped one)
    parameters: int = 0
    macs_per_pixel: float = 0.0
    ms: float = 0.0  # median model ms per 480p frame, OpenVINO, one thread
    ms_rounds: list[float] = field(default_factory=list)
    cost_vs_s: float = 0.0  # median over rounds of this shape's ms / the reference's ms in the same round
    val_ssim: dict[str, float] = field(default_factory=dict)  # per condition, and "mean"
    recorded_val_ssim: float | None = None  # what the trainer recorded for this checkpoint
    curve: list[float] = field(default_factory=list)  # the run's val SSIM per epoch


def shape_spec(text: str) -> tuple[str, Path]:
    """LABEL=CHECKPOINT or LABEL=RUN_DIR (-> RUN_DIR/best.pt); the label names its graph files."""
    from export.__main__ import file_stem
    label, sep, path = text.partition("=")
    if not sep or not path:
        raise argparse.ArgumentTypeError(f"{text!r}: give LABEL=CHECKPOINT or LABEL=RUN_DIR")
    file_stem(label)
    checkpoint = Path(path) / "best.pt" if Path(path).is_dir() else Path(path)
    return label, checkpoint


def load_shapes(shapes: list[tuple[str, Path]], shipped: list[tuple[str, Path]]) -> list[Shape]:
    points = [Shape(label, path, shipped=True) for label, path in shipped]
    points += [Shape(label, path) for label, path in shapes]
    labels = [p.label for p in points]
    if len(set(labels)) != len(labels):
        raise SharpcamError(f"labels must differ (they name the graph files): {', '.join(labels)}")
    for point in points:
        if not point.checkpoint.is_file():
            raise SharpcamError(f"{point.label}: {point.checkpoint} not found; give a checkpoint or a run folder "
                                "with best.pt (python -m train.distill --run-dir ...)")
    return points


def run_history(checkpoint: Path) -> list[dict]:
    """The whole run's epochs from the metrics.json the trainer writes beside best.pt (best.pt's own history
    stops at its epoch); [] where there is none (a shipped checkpoint)."""
    path = checkpoint.parent / "metrics.json"
    try:
        history = json.loads(path.read_text()) if path.is_file() else []
    except (OSError, ValueError) as err:
        raise SharpcamError(f"cannot read {path}: {err}") from None
    return history if isinstance(history, list) and all("val_ssim" in row for row in history) else []


def export_graphs(point: Shape, work: Path) -> None:
    """The any-size float graph (for the multiply-adds) and the deployed frame graph (for the time)."""
    from export.onnx_export import export_float, export_frame
    from train.checkpoint import student_from_checkpoint
    from train.student import count_parameters

    student, ckpt = student_from_checkpoint(point.checkpoint)
    config = ckpt.get("config") or {}
    point.model, point.parameters = ckpt["model"], count_parameters(student)
    point.start = config.get("init") or "scratch"
    history = run_history(point.checkpoint) or ckpt.get("history") or []
    point.epoch, point.epochs_run = ckpt.get("epoch", 0), len(history)
    point.curve = [row["val_ssim"] for row in history]
    point.recorded_val_ssim = ckpt.get("best_val_ssim")
    width, height = RESOLUTIONS[FRAME_SIZE]
    float_graph = export_float(student, work / graph_name(point.label))
    export_frame(student, work / graph_name(point.label, FRAME_SIZE), (width, height), fp16=False)
    point.macs_per_pixel = conv_macs(float_graph, width, height) / (width * height)


def measure_cost(points: list[Shape], work: Path, rounds: int, frames: int, command: str) -> dict:
    """family_cost's interleaved rounds over every shape; the first point (S) is the ratios' reference."""
    configs = [family_cost.Config(p.label, "openvino", 1, FRAME_SIZE) for p in points]
    load_before = os.getloadavg()[0]
    results = family_cost.measure(configs, work, rounds, frames)
    meta = {"command": command, "machine": describe(), "load_before": load_before,
            "load_after": os.getloadavg()[0], "rounds": rounds, "frames": frames}
    _, data = family_cost.report(configs, results, meta)
    for point, row in zip(points, data["results"]):
        point.ms, point.ms_rounds, point.cost_vs_s = row["median_ms"], row["rounds_ms"], row["ratio"]
    return meta


def measure_val_ssim(points: list[Shape], corpus: Path, conditions: tuple[str, ...], size: int,
                     limit: int) -> None:
    """The trainer's validation, one condition at a time (equal crops per condition: their mean is its score)."""
    from train.checkpoint import student_from_checkpoint
    from train.corpus import load_manifest
    from train.validate import Validator

    val = [e for e in load_manifest(corpus) if e.split == "val"]
    validators = {c: Validator(val, corpus, size, limit, (c,)) for c in conditions}
    for point in points:
        student, _ = student_from_checkpoint(point.checkpoint)
        point.val_ssim = {c: validate(student)[0] for c, validate in validators.items()}
        point.val_ssim["mean"] = sum(point.val_ssim[c] for c in conditions) / len(conditions)
        print(f"{point.label}: val SSIM " + ", ".join(f"{c} {s:.4f}" for c, s in point.val_ssim.items()), flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from train.config import VAL_CONDITIONS, TrainConfig
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", type=shape_spec, action="append", default=[], metavar="LABEL=PATH", required=True,
                   help="a trained shape: its checkpoint or run folder; repeat")
    p.add_argument("--shipped", type=shape_spec, action="append", metavar="LABEL=PATH",
                   help="a shipped student, marked on the plot; the first is S, the cost ratios' reference "
                        f"(default: {' '.join(SHIPPED)})")
    p.add_argument("--corpus", type=path_arg("--corpus"), default=Path(TrainConfig.corpus))
    p.add_argument("--conditions", default=",".join(VAL_CONDITIONS), help="validation conditions, comma-separated")
    p.add_argument("--val-size", type=positive_int, default=TrainConfig.val_size, help="centre crop side, as trained")
    p.add_argument("--val-max", type=positive_int, default=TrainConfig.val_max, help="validation images, as trained")
    p.add_argument("--rounds", type=positive_int, default=5)
    p.add_argument("--frames", type=positive_int, default=8, help="timed frames per shape and round")
    p.add_argument("--threads", type=positive_int, default=1, help="torch threads for the validation")
    p.add_argument("--work", type=path_arg("--work"), default=Path("runs/family_frontier"),
                   help="exported graphs go here")
    p.add_argument("--out", type=path_arg("--out"), default=Path("runs/results/family_frontier"))
    args = p.parse_args(argv)
    from train.conditions import CONDITIONS
    args.conditions = tuple(c.strip() for c in args.conditions.split(",") if c.strip())
    unknown = [c for c in args.conditions if c not in CONDITIONS]
    if unknown or not args.conditions:
        p.error(f"--conditions: {', '.join(unknown) or 'none given'}; choose from {', '.join(CONDITIONS)}")
    args.shipped = args.shipped or [shape_spec(s) for s in SHIPPED]
    return args


def main(argv: list[str] | None = None) -> list[Shape]:
    def run() -> list[Shape]:
        import torch
        args = parse_args(argv)
        torch.set_num_threads(args.threads)
        points = load_shapes(args.shape, args.shipped)
        args.work.mkdir(parents=True, exist_ok=True)
        for point in points:
            export_graphs(point, args.work)
        command = command_line("benchmarks.quality.family_frontier", argv)
        meta = measure_cost(points, args.work, args.rounds, args.frames, command)
        measure_val_ssim(points, args.corpus, args.conditions, args.val_size, args.val_max)
        meta.update(conditions=list(args.conditions), val_size=args.val_size, val_max=args.val_max)
        rows = [asdict(p) | {"checkpoint": str(p.checkpoint)} for p in points]
        md = markdown(rows, meta)
        write_markdown_and_json(args.out, md, {"meta": meta, "shapes": rows})
        plot(rows, args.out.with_suffix(".png"))
        print(md)
        print(f"wrote {args.out.with_suffix('.md')}, .json and .png")
        return points
    return exit_on_user_error(run)


if __name__ == "__main__":
    main()
