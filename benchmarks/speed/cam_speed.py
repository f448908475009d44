"""End-to-end speed and CPU cost of `python -m runtime.cam`, as users run it, variants side by side.

    python -m benchmarks.speed.cam_speed                                   # engines x sizes x modes -> runs/cam_speed
    python -m benchmarks.speed.cam_speed --sizes 480p --modes paced,busy --rounds 5
    python -m benchmarks.speed.cam_speed --variant "ov-1t=--backend openvino --threads 1" \
        --variant "ort=--backend onnxruntime"

For each size, makes a clip (the built-in clip's stills, MJPG .avi like a webcam's stream) and runs
`runtime.cam --source CLIP --sink null --stats ...` once per (variant, mode) and round, the variants
interleaved within each round so a shared machine's noise hits all alike. Modes:
- free: as fast as it goes (a file converted; every frame kept, so the load policy stays at full size);
- paced: the clip played at 30 FPS like a camera (late frames dropped; `auto` may shrink the model);
- busy: paced, while another process keeps one core busy (a stand-in for the video-call app).
Reports medians over rounds: FPS, dropped frames, infer and end-to-end p50, process CPU time per frame
(user+sys of every thread) and the cores busy on average (CPU time over wall time), and the load
policy the run ended on. Writes OUT.md, OUT.json and OUT.png.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from benchmarks.common import ROOT, command_line, describe, write_markdown_and_json
from benchmarks.speed.worker import frames_of, write_mjpg
from runtime.artifacts import RESOLUTIONS
from runtime.entry import int_at_least, names_from, positive_int
from runtime.sources import BuiltinClip

MODES = ("free", "paced", "busy")
DEFAULT_VARIANTS = ("onnxruntime=--backend onnxruntime --load-policy full",
                    "openvino=--backend openvino --load-policy full",
                    "openvino 1 thread=--backend openvino --threads 1 --load-policy full",
                    "default (auto)=")
METRICS = ("fps", "dropped", "frames", "infer_p50_ms", "e2e_p50_ms", "cpu_ms_per_frame", "cores")


def make_clip(path: Path, size: tuple[int, int], frames: int = 300) -> Path:
    stills = list(frames_of(BuiltinClip(size)))
    bounce = stills + stills[::-1]  # the 90-frame clip, forwards then backwards, so there is no cut
    return write_mjpg(path, (bounce[i % len(bounce)] for i in range(frames)), size)


@contextmanager
def busy_core(on: bool):
    """Another process spinning on one core for the duration (nothing when `on` is False)."""
    # it spins only while this process lives: a benchmark killed midway leaves no core busy behind it
    spin = "import os\nparent = os.getppid()\nwhile os.getppid() == parent: pass"
    hog = subprocess.Popen([sys.executable, "-c", spin]) if on else None
    try:
        yield
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


def run_once(cam_args: list[str], clip: Path, mode: str, frames: int, stats: Path) -> dict:
    cmd = [sys.executable, "-m", "runtime.cam", "--source", str(clip), "--sink", "null", "--quiet",
           "--frames", str(frames), "--stats", str(stats), "-y", *cam_args] + (["--pace"] if mode != "free" else [])
    with busy_core(mode == "busy"):
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"runtime.cam failed ({' '.join(cam_args)}): {done.stderr.strip()[-400:]}")
    s = json.loads(stats.read_text())
    return {"fps": s["fps"], "dropped": s["dropped"], "frames": s["frames"],
            "infer_p50_ms": s["stages"]["infer"]["p50_ms"], "e2e_p50_ms": s["stages"]["end_to_end"]["p50_ms"],
            "cpu_ms_per_frame": s["cpu"]["ms_per_frame"], "cores": s["cpu"]["cores"],
            "policy": s.get("load_policy", "-"), "backend": s["backend"].split(":")[0]}


def _variant(spec: str) -> tuple[str, list[str]]:
    label, sep, args = spec.partition("=")
    if not sep or not label:
        raise argparse.ArgumentTypeError(f"a variant is LABEL=RUNTIME.CAM ARGS, not {spec!r}")
    return label, args.split()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variant", type=_variant, action="append", metavar="LABEL=ARGS",
                   help="runtime.cam arguments to compare; repeat (default: " + "; ".join(DEFAULT_VARIANTS) + ")")
    p.add_argument("--sizes", type=names_from(RESOLUTIONS, "size"), default=list(RESOLUTIONS),
                   help="comma-separated of " + ", ".join(RESOLUTIONS) + " (default: all)")
    p.add_argument("--modes", type=names_from(MODES, "mode"), default=list(MODES),
                   help="comma-separated of " + ", ".join(MODES) + " (default: all)")
    p.add_argument("--frames", type=int_at_least(30), default=300,
                   help="frames per paced or busy run: 10 s at 30 FPS, so `auto` settles and is then judged "
                        "(default: %(default)s)")
    p.add_argument("--free-frames", type=int_at_least(30), default=120, help="frames per free run (default: %(default)s)")
    p.add_argument("--rounds", type=positive_int, default=3, help="medians over this many rounds (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("runs/cam_speed"), help="OUT.md/.json/.png")
    args = p.parse_args(argv)
    args.variant = args.variant or [_variant(v) for v in DEFAULT_VARIANTS]
    return args


def measure(args: argparse.Namespace, work: Path) -> dict:
    runs: dict = {}
    clips = {size: make_clip(work / f"clip_{size}.avi", RESOLUTIONS[size]) for size in args.sizes}
    for r in range(args.rounds):
        for size in args.sizes:
            for mode in args.modes:
                for label, cam_args in args.variant:
                    frames = args.free_frames if mode == "free" else args.frames
                    row = run_once(cam_args, clips[size], mode, frames, work / "stats.json")
                    runs.setdefault((size, mode, label), []).append(row)
                    print(f"round {r + 1} {size} {mode} {label}: {row}", file=sys.stderr, flush=True)
    return runs


def summarize(runs: dict) -> list[dict]:
    rows = []
    for (size, mode, label), results in runs.items():
        row = {"size": size, "mode": mode, "variant": label, "policy": results[-1]["policy"],
               "backend": results[-1]["backend"]}
        row.update({k: statistics.median(x[k] for x in results) for k in METRICS})
        rows.append(row)
    return rows


def markdown(rows: list[dict], command: str, machine: dict, rounds: int, load: float) -> str:
    lines = ["# runtime.cam speed and CPU cost", "", f"Machine: {machine}. Load when it started: "
             f"{load:.2f} (1-min load average, {machine['cores']} cores).", "",
             f"Command: `{command}`. MJPG clip, null sink, medians of {rounds} interleaved rounds. free: as fast "
             "as it goes; paced: 30 FPS like a camera; busy: paced, with another process spinning on one core. "
             "CPU: process user+sys time per frame; cores: CPU time over wall time.", "",
             "| size | mode | variant | FPS | dropped | infer p50 ms | end-to-end p50 ms | CPU ms/frame | cores busy "
             "| load policy at the end |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['size']} | {r['mode']} | {r['variant']} | {r['fps']:.1f} | {r['dropped']:.0f}/"
                     f"{r['frames'] + r['dropped']:.0f} | {r['infer_p50_ms']:.1f} | {r['e2e_p50_ms']:.1f} | "
                     f"{r['cpu_ms_per_frame']:.1f} | {r['cores']:.2f} | {r['policy']} |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    modes = [m for m in MODES if any(r["mode"] == m for r in rows)]
    sizes = list(dict.fromkeys(r["size"] for r in rows))
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    panels = [(m, "fps", "FPS") for m in modes] + [("paced", "cores", "cores busy at 30 FPS")] * ("paced" in modes)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4), squeeze=False)
    width = 0.8 / len(variants)
    for ax, (mode, key, title) in zip(axes[0], panels):
        for i, v in enumerate(variants):
            ys = [next((r[key] for r in rows if (r["size"], r["mode"], r["variant"]) == (s, mode, v)), 0) for s in sizes]
            ax.bar(np.arange(len(sizes)) + (i - (len(variants) - 1) / 2) * width, ys, width, label=v)
        ax.axhline(30 if key == "fps" else 0.5, color="k", lw=0.8, ls="--")
        ax.set_xticks(np.arange(len(sizes)), sizes)
        ax.set_title(f"{title} ({mode})" if key == "fps" else title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine, load = describe(), os.getloadavg()[0]  # before the runs, not after
    with tempfile.TemporaryDirectory() as tmp:
        runs = measure(args, Path(tmp))
    rows = summarize(runs)
    command = command_line("benchmarks.speed.cam_speed", argv)
    text = markdown(rows, command, machine, args.rounds, load)
    write_markdown_and_json(args.out, text, {"machine": machine, "load_at_start": load, "rows": rows,
                                             "runs": {"/".join(k): v for k, v in runs.items()}})
    plot(rows, args.out.with_suffix(".png"))
    print(text)


if __name__ == "__main__":
    main()
