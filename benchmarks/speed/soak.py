"""Soak test: run `python -m runtime.cam` for minutes and watch for leaks and drift.

    python -m benchmarks.speed.soak                       # 30 minutes: built-in clip, looped and paced, null sink
    python -m benchmarks.speed.soak --minutes 5 --interval 2 --out runs/soak/short
    python -m benchmarks.speed.soak -- --student fast --threads 2      # arguments after -- go to runtime.cam

Every --interval seconds it samples the child's resident memory and thread count (from /proc) and its
latest status line (FPS, frames, drops, errors, end-to-end p50/p95). At the end it stops the child with
SIGTERM (which also tests the clean stop) and writes OUT/soak.json (settings, samples, the child's final
--stats summary, and the RSS growth between the first and last quarter) and OUT/soak.png. Linux only (/proc).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


from benchmarks.common import ROOT
from runtime.entry import check_writable_dir, exit_on_user_error, positive_float
from runtime.files import write_text_atomic

DEFAULT_CAM = ["--source", "builtin", "--loop", "--pace", "--sink", "null"]
STATUS = re.compile(r"(?P<fps>[\d.]+) fps, (?P<frames>\d+) frames, (?P<dropped>\d+) dropped, (?P<errors>\d+) errors"
                    r".*end_to_end (?P<p50>[\d.]+)/(?P<p95>[\d.]+)")


@dataclass
class Sample:
    seconds: float
    rss_mb: float
    threads: int
    fps: float | None = None
    frames: int | None = None
    dropped: int | None = None
    errors: int | None = None
    e2e_p50_ms: float | None = None
    e2e_p95_ms: float | None = None


def parse_status(line: str) -> dict | None:
    """The numbers of one runtime.cam status line (runtime/stats.py's LatencyStats.line), or None."""
    m = STATUS.search(line)
    if m is None:
        return None
    return {"fps": float(m["fps"]), "frames": int(m["frames"]), "dropped": int(m["dropped"]),
            "errors": int(m["errors"]), "e2e_p50_ms": float(m["p50"]), "e2e_p95_ms": float(m["p95"])}


def proc_memory(pid: int) -> tuple[float, int]:
    """(resident memory in MB, threads) of a running process, from /proc/PID/status."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["Threads"])


def rss_growth_mb(samples: list[Sample]) -> float | None:
    """Median RSS of the last quarter minus the first quarter's (after the first sample: start-up)."""
    rss = [s.rss_mb for s in samples[1:]]
    if len(rss) < 4:
        return None
    quarter = len(rss) // 4
    return round(float(np.median(rss[-quarter:]) - np.median(rss[:quarter])), 1)


def soak(minutes: float, interval: float, out: Path, cam_args: list[str]) -> dict:
    stats_path = out / "cam_stats.json"
    cmd = [sys.executable, "-m", "runtime.cam", *(cam_args or DEFAULT_CAM), "--stats", str(stats_path), "-y"]
    child = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    latest: dict = {}
    log: list[str] = []
    reader = threading.Thread(target=_read_status, args=(child, latest, log), daemon=True)
    reader.start()
    samples: list[Sample] = []
    start = time.monotonic()
    try:
        while time.monotonic() - start < minutes * 60 and child.poll() is None:
            time.sleep(interval)
            if child.poll() is not None:
                break
            rss, threads = proc_memory(child.pid)
            samples.append(Sample(round(time.monotonic() - start, 1), round(rss, 1), threads, **latest))
            print(f"{samples[-1].seconds:7.0f} s  {rss:7.1f} MB  {threads:3d} threads  "
                  f"{latest.get('fps', 0):5.1f} fps", file=sys.stderr, flush=True)
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
        code = child.wait(timeout=60)
        reader.join(timeout=5)
    result = {"command": cmd, "minutes": minutes, "interval_s": interval, "exit_status": code,
              "rss_growth_mb": rss_growth_mb(samples), "samples": [asdict(s) for s in samples],
              "final": json.loads(stats_path.read_text()) if stats_path.exists() else None,
              "child_stderr_tail": log[-5:]}
    write_text_atomic(out / "soak.json", json.dumps(result, indent=1))
    if samples:
        chart(samples, out / "soak.png")
    return result


def _read_status(child: subprocess.Popen, latest: dict, log: list[str]) -> None:
    for line in child.stderr:
        log.append(line.rstrip())
        del log[:-50]
        numbers = parse_status(line)
        if numbers:
            latest.update(numbers)


def chart(samples: list[Sample], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [s.seconds / 60 for s in samples]
    fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True)
    panels = [("resident memory (MB)", [s.rss_mb for s in samples]), ("threads", [s.threads for s in samples]),
              ("frames per second", [s.fps for s in samples])]
    for ax, (title, values) in zip(axes.flat, panels):
        ax.plot(minutes, [np.nan if v is None else v for v in values])
        ax.set_title(title)
    latency = axes.flat[3]
    for key, label in (("e2e_p50_ms", "p50"), ("e2e_p95_ms", "p95")):
        latency.plot(minutes, [np.nan if getattr(s, key) is None else getattr(s, key) for s in samples], label=label)
    latency.set_title("end-to-end latency (ms)")
    latency.legend()
    for ax in axes[1]:
        ax.set_xlabel("minutes")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    cam_args = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=positive_float, default=30.0, help="how long to run (default: %(default)s)")
    p.add_argument("--interval", type=positive_float, default=5.0, help="seconds between samples (default: %(default)s)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: runs/soak/<date-time>)")
    args = p.parse_args(own)
    out = args.out or ROOT / "runs" / "soak" / time.strftime("%Y%m%d-%H%M%S")
    if not sys.platform.startswith("linux") or not os.path.exists("/proc/self/status"):
        p.error("the soak test samples /proc: Linux only")

    def run() -> dict:
        check_writable_dir(out, "--out")
        result = soak(args.minutes, args.interval, out, cam_args)
        print(f"wrote {out / 'soak.json'}; RSS growth {result['rss_growth_mb']} MB", file=sys.stderr)
        return result
    return exit_on_user_error(run)


if __name__ == "__main__":
    main()
