"""End-to-end speed and CPU cost of `python -m runtime.cam`, students side by side, as users run it.

    python -m benchmarks.cam_speed --students webcam,fast --size 640x480 --rounds 3 --out runs/cam_speed

Makes a clip (300 frames, MJPG .avi) from the built-in clip's stills at --size, then, round by round with the
students interleaved (a shared machine's noise hits all alike), runs `runtime.cam --source CLIP --sink null`
as fast as it goes and paced at 30 FPS like a camera (`--pace`). Reports medians over rounds: FPS, infer
p50, end-to-end latency p50, process CPU time per frame and cores busy (CPU time over wall time).
Writes OUT.md and OUT.json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import describe  # noqa: E402
from runtime.sources import BuiltinClip  # noqa: E402


def make_clip(path: Path, size: tuple[int, int], frames: int = 300) -> Path:
    clip, writer = BuiltinClip(size), cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, size)
    stills = []
    while (f := clip.read()) is not None:
        stills.append(f)
    for i in range(frames):  # the 90-frame clip, forwards then backwards, so there is no cut
        k = i % (2 * len(stills))
        writer.write(stills[k if k < len(stills) else 2 * len(stills) - 1 - k])
    writer.release()
    return path


def run_once(student: str, clip: Path, paced: bool, work: Path) -> dict:
    stats = work / f"{student}_{'paced' if paced else 'free'}.json"
    cmd = [sys.executable, "-m", "runtime.cam", "--source", str(clip), "--sink", "null", "--student", student,
           "--quiet", "--stats", str(stats)] + (["--pace"] if paced else [])
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"runtime.cam failed for {student}: {done.stderr.strip()[-400:]}")
    s = json.loads(stats.read_text())
    return {"fps": s["fps"], "dropped": s["dropped"], "frames": s["frames"], "infer_p50_ms": s["stages"]["infer"]["p50_ms"],
            "e2e_p50_ms": s["stages"]["end_to_end"]["p50_ms"], "cpu_ms_per_frame": s["cpu"]["ms_per_frame"],
            "cores": s["cpu"]["cores"]}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", default="webcam,fast", help="comma-separated (default: %(default)s)")
    p.add_argument("--size", default="640x480", help="frame size (default: %(default)s)")
    p.add_argument("--rounds", type=int, default=3, help="medians over this many rounds (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("runs/cam_speed"), help="OUT.md and OUT.json")
    args = p.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x"))
    students = [s.strip() for s in args.students.split(",") if s.strip()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    runs: dict = {(s, m): [] for s in students for m in ("free", "paced")}
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "clip.avi", size)
        for r in range(args.rounds):
            for mode in ("free", "paced"):
                for s in students:
                    runs[(s, mode)].append(run_once(s, clip, mode == "paced", Path(tmp)))
                    print(f"round {r + 1} {mode} {s}: {runs[(s, mode)][-1]}", file=sys.stderr)
    rows = [{"student": s, "mode": m, **{k: statistics.median(x[k] for x in v) for k in v[0]}}
            for (s, m), v in runs.items()]
    machine = describe()
    lines = [f"# runtime.cam speed at {args.size} ({machine})", "",
             f"Command: `python -m benchmarks.cam_speed {' '.join(argv if argv is not None else sys.argv[1:])}`. "
             f"300-frame MJPG clip, null sink, medians of {args.rounds} interleaved rounds. free: as fast as it goes; "
             "paced: 30 FPS like a camera. CPU: process user+sys time per frame; cores: CPU time over wall time.", "",
             "| student | mode | FPS | dropped | infer p50 ms | end-to-end p50 ms | CPU ms/frame | cores busy |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['student']} | {r['mode']} | {r['fps']:.1f} | {r['dropped']:.0f}/{r['frames']:.0f} | "
                     f"{r['infer_p50_ms']:.1f} | {r['e2e_p50_ms']:.1f} | {r['cpu_ms_per_frame']:.1f} | {r['cores']:.2f} |")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps({"machine": machine, "rows": rows,
                                                         "runs": {f"{s}/{m}": v for (s, m), v in runs.items()}}, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
