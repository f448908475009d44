"""The speed/quality frontier of students on this CPU: end-to-end FPS at 480p against test-split SSIM.

    python -m benchmarks.quality.frontier                                  # the shipped students (+ fast INT8)
    python -m benchmarks.quality.frontier --variant seed=engines/seed.pt --variant luma=runs/x/best.pt \\
        --variant luma-int8=runs/x/best.pt:int8 --rounds 3

For every variant LABEL=CHECKPOINT[:int8]: export its float graph and 480p/720p frame graphs into --work
(INT8-quantized where asked, calibrated on scikit-image's sample photos); measure test-split SSIM of the
deployed float graph through ONNX Runtime, padding and 8-bit output included (what users run); then measure
model-only and end-to-end FPS (benchmarks.speed.worker, one process per measurement; video file source, null
sink), variants interleaved round by round so machine noise hits all alike, medians over rounds.
Writes benchmarks/results/frontier.{md,json,png}; the table keeps every variant tried, so later runs add
rows (--keep) rather than erase them.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path


from benchmarks.common import ROOT, describe
from benchmarks.quality.frontier_report import write_frontier
from benchmarks.speed.flops import conv_macs
from runtime.errors import SharpcamError
from runtime.artifacts import RESOLUTIONS, checkpoint_path

DEFAULT_VARIANTS = (f"seed={checkpoint_path('seed')}", f"fast={checkpoint_path('fast')}",
                    f"fast-int8={checkpoint_path('fast')}:int8")
SPEED_RESOLUTIONS = ("480p", "720p")


@dataclass
class Variant:
    label: str
    checkpoint: Path
    int8: bool
    model: dict | None = None  # (name, args) from the checkpoint
    parameters: int = 0
    epochs: int = 0  # the epoch the checkpoint is from (best validation SSIM; runs stopped early have fewer)
    recipe: str = ""  # the training settings that differ between variants
    gmac_480p: float = 0.0
    test_ssim: dict | None = None  # {category or 'all': mean SSIM}
    speed: dict | None = None  # {res: {model_only_fps, end_to_end_fps, rounds}}

    @classmethod
    def parse(cls, spec: str) -> "Variant":
        label, sep, rest = spec.partition("=")
        if not sep or not label:
            raise SharpcamError(f"--variant {spec!r}: expected LABEL=CHECKPOINT[:int8]")
        path, _, option = rest.partition(":")
        if option not in ("", "int8"):
            raise SharpcamError(f"--variant {spec!r}: unknown option {option!r} (only :int8)")
        if not Path(path).exists():
            raise SharpcamError(f"--variant {label}: checkpoint {path} not found")
        return cls(label, Path(path), option == "int8")


def recipe(cfg: dict) -> str:
    if not cfg:
        return "-"
    return (f"alpha {cfg['alpha']}, SSIM term {cfg.get('ssim_weight', 0.0)}, {cfg['bank']['variants']} variants, "
            f"crop {cfg['crop']}, batch {cfg['batch']}, lr {cfg['lr']}, patience {cfg['plateau_patience']}")


def export_variant(v: Variant, work: Path) -> dict[str, Path]:
    """{'float': any-size graph, '480p': frame graph, ...}, INT8 where the variant asks."""
    from export.onnx_export import export_float, export_frame
    from export.quantize import int8_graph
    from export.samples import sample_rgb
    from train.checkpoint import student_from_checkpoint
    from train.student import count_parameters

    student, ckpt = student_from_checkpoint(v.checkpoint)
    v.model, v.parameters, v.epochs = ckpt["model"], count_parameters(student), ckpt.get("epoch", 0)
    v.recipe = recipe(ckpt.get("config") or {})
    folder = work / v.label
    graphs = {"float": export_float(student, folder / "float.onnx")}
    for res in SPEED_RESOLUTIONS:
        graphs[res] = export_frame(student, folder / f"{res}.onnx", RESOLUTIONS[res], fp16=False)
    v.gmac_480p = round(conv_macs(graphs["float"], *RESOLUTIONS["480p"]) / 1e9, 2)
    if v.int8:
        photos = sample_rgb()
        for key, path in list(graphs.items()):  # the any-size graph is calibrated on 480p frames
            graphs[key] = int8_graph(path, RESOLUTIONS.get(key, RESOLUTIONS["480p"]), photos)
    return graphs


def measure_quality(graph: Path, corpus: Path, split: str) -> dict[str, float]:
    """Mean SSIM per category (and 'all') of the graph on the split, through ONNX Runtime."""
    from runtime.backends.onnxruntime import OnnxBackend
    from train.evaluation import evaluate, summarize

    backend = OnnxBackend(graph, device="cpu")

    def run(blurred_rgb, _sha, _params):
        backend.reset()  # independent photos: the temporal filter must not blend one into the next
        return backend.submit(blurred_rgb[..., ::-1])[0][..., ::-1]

    summary = summarize(evaluate(corpus, split, {"graph": run}))["benchmark"]["graph"]
    backend.close()
    return {cat: round(s["ssim"], 4) for cat, s in summary.items()}


def measure_speed(graph: Path, res: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.speed.worker", "ort-cpu", res, "--graph", str(graph), "--repeats",
           str(args.repeats), "--budget-s", str(args.budget_s), "--e2e-seconds", str(args.e2e_seconds)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=args.timeout)
    if proc.returncode != 0:
        raise SharpcamError(f"speed measurement of {graph} failed: {proc.stderr.strip()[-500:]}")
    r = json.loads(proc.stdout)
    return {"model_only_fps": r["model_only"]["fps"], "end_to_end_fps": r["end_to_end"]["fps"],
            "end_to_end_frames": r["end_to_end"]["frames"]}


def run_speed_rounds(variants: list[Variant], graphs: dict[str, dict[str, Path]], args: argparse.Namespace) -> None:
    runs: dict[tuple[str, str], list[dict]] = {}
    for i in range(args.rounds):
        for v in variants:
            for res in SPEED_RESOLUTIONS:
                m = measure_speed(graphs[v.label][res], res, args)
                runs.setdefault((v.label, res), []).append(m)
                print(f"round {i + 1}/{args.rounds} {v.label:>14} {res}: {m['model_only_fps']:.1f} fps model-only, "
                      f"{m['end_to_end_fps']:.1f} fps end to end", file=sys.stderr)
    for v in variants:
        v.speed = {res: {key: statistics.median(m[key] for m in runs[(v.label, res)])
                         for key in ("model_only_fps", "end_to_end_fps")} | {"rounds": args.rounds}
                   for res in SPEED_RESOLUTIONS}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variant", action="append", metavar="LABEL=CHECKPOINT[:int8]",
                   help="a student to place on the frontier; repeat (default: seed, fast, fast INT8)")
    p.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus", help="corpus with manifest.json")
    p.add_argument("--split", default="test")
    p.add_argument("--rounds", type=int, default=3, help="speed rounds; medians are reported")
    p.add_argument("--repeats", type=int, default=20, help="model-only timed runs per measurement")
    p.add_argument("--budget-s", type=float, default=4.0, help="model-only timing stops after this long")
    p.add_argument("--e2e-seconds", type=float, default=4.0, help="end-to-end frames: about this many seconds")
    p.add_argument("--work", type=Path, default=ROOT / "runs" / "frontier", help="exported graphs go here")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "results",
                   help="report folder; 'make results' promotes runs/results (default: %(default)s)")
    p.add_argument("--keep", action="store_true", help="keep earlier rows of frontier.json (other labels)")
    p.add_argument("--timeout", type=float, default=900, help="seconds per speed measurement")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    if not (args.corpus / "manifest.json").exists():
        raise SharpcamError(f"no corpus at {args.corpus}: run 'make corpus' first")
    variants = [Variant.parse(s) for s in (args.variant or DEFAULT_VARIANTS)]
    graphs = {}
    for v in variants:
        graphs[v.label] = export_variant(v, args.work)
        v.test_ssim = measure_quality(graphs[v.label]["float"], args.corpus, args.split)
        print(f"{v.label}: {v.parameters:,} parameters, {v.gmac_480p} GMAC/frame at 480p, "
              f"{args.split} SSIM {v.test_ssim['all']:.4f}", file=sys.stderr)
    run_speed_rounds(variants, graphs, args)
    rows = [asdict(v) | {"checkpoint": str(v.checkpoint)} for v in variants]
    command = " ".join(["python -m benchmarks.quality.frontier", *(argv if argv is not None else sys.argv[1:])])
    write_frontier(rows, describe(), args.out, keep=args.keep, split=args.split, command=command)
    return rows


if __name__ == "__main__":
    try:
        main()
    except SharpcamError as err:
        sys.exit(f"error: {err}")
