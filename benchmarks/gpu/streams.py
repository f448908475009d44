"""Many streams on one device (server-side enhancement): N independent video streams, each with its own
temporal state and strength, through one engine, paced at --fps each.

    python -m benchmarks.gpu.streams --engine webcam_720p.pt2 --streams 1,8,32
    python -m benchmarks.gpu.streams --engine webcam_720p.pt2 --batched webcam_720p_b256.pt2 --find-max

Modes (`--modes`):
  concurrent  one backend per stream (its own pinned slots, CUDA streams, state and strength) over the one
              engine file; each tick submits every stream's frame, then collects them all, so the streams'
              kernels overlap on the GPU
  batched     a batched engine (export/aot_build.py `batch`): each tick is one call on all N frames
A tick is one frame interval (1/--fps). Every stream's frame is due at the tick's start. Frames sit in the
engine's pinned input, written there once per slot before timing starts (a decoder would write each frame
there; decoding is not what this measures), and outputs are left in pinned memory for the encoder (not
copied). Added latency = output ready - frame due. A tick that starts a whole interval late is skipped for
every stream (a camera would have replaced those frames) and counted as dropped.
N holds when each stream gets >= 99% of its frames and p99 added latency <= --max-latency-ms.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import command_line, describe
from runtime.entry import exit_on_user_error, path_arg, positive_float, positive_int
from runtime.files import write_text_atomic
from runtime.errors import SharpcamError
from runtime.artifacts import model_arg

MODES = ("concurrent", "batched")


@dataclass
class Trial:
    mode: str
    streams: int
    seconds: float
    fps_per_stream: float  # frames delivered per stream per second
    dropped: float  # share of due frames skipped
    p50_ms: float
    p95_ms: float
    p99_ms: float

    def holds(self, max_latency_ms: float) -> bool:
        return self.dropped <= 0.01 and self.p99_ms <= max_latency_ms


def clip_frames(size: tuple[int, int], count: int = 8) -> list[np.ndarray]:
    """Real content at the engine's size: frames of the built-in clip (a face, fine detail, text)."""
    from runtime.sources import BuiltinClip
    clip = BuiltinClip(size, seconds=count / 30.0)
    frames = [clip.read() for _ in range(count)]
    clip.close()
    return frames


class Concurrent:
    """N single-stream backends over one engine file."""

    def __init__(self, engine: Path, streams: int) -> None:
        from runtime.backends.torch_aot import TorchAotBackend
        self.backends: list = []
        try:
            for i in range(streams):
                self.backends.append(TorchAotBackend(engine, strength=0.5 + 0.5 * (i % 2)))  # streams differ
        except BaseException:
            self.close()
            raise
        self.size = self.backends[0].size

    def place(self, frames: list[np.ndarray]) -> None:
        for i, backend in enumerate(self.backends):
            for k in range(backend.in_flight):  # every slot, as a decoder would have written it
                backend.collect(backend.submit(frames[(i + k) % len(frames)]), copy=False)
        for backend in self.backends:
            backend.reset()

    def tick(self) -> list[float]:
        """Submit every stream's frame (already in place), then collect each; returns each one's finish time."""
        handles = [b.submit(b.next_input()) for b in self.backends]
        done = []
        for backend, handle in zip(self.backends, handles):
            backend.collect(handle, copy=False)
            done.append(time.perf_counter())
        return done

    def close(self) -> None:
        for backend in self.backends:
            backend.close()


class Batched:
    """One batched engine: each tick one call on N frames."""

    def __init__(self, engine: Path, streams: int) -> None:
        from runtime.backends.torch_aot import TorchAotBackend
        self.backend = TorchAotBackend(engine, streams=streams)
        for i in range(streams):
            self.backend.set_stream_strength(i, 0.5 + 0.5 * (i % 2))
        self.size, self.streams = self.backend.size, streams

    def place(self, frames: list[np.ndarray]) -> None:
        for k in range(self.backend.in_flight):
            batch = np.stack([frames[(i + k) % len(frames)] for i in range(self.streams)])
            self.backend.collect(self.backend.submit(batch), copy=False)
        self.backend.reset()

    def tick(self) -> list[float]:
        self.backend.collect(self.backend.submit(self.backend.next_input()), copy=False)
        return [time.perf_counter()] * self.streams

    def close(self) -> None:
        self.backend.close()


def run_trial(runner, mode: str, streams: int, fps: float, seconds: float) -> Trial:
    """Pace `runner` at `fps` for `seconds`; added latency per stream per frame."""
    period, ticks = 1.0 / fps, max(int(seconds * fps), 1)
    latencies, skipped = [], 0
    runner.tick()  # warm-up: first launches, lazy initialisation
    start = time.perf_counter() + period
    for n in range(ticks):
        due = start + n * period
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        elif now - due >= period:
            skipped += 1
            continue
        latencies += [finished - due for finished in runner.tick()]
    ms = np.array(latencies) * 1000 if latencies else np.array([np.inf])
    elapsed = ticks * period
    return Trial(mode, streams, round(elapsed, 2), round((ticks - skipped) / elapsed, 2), round(skipped / ticks, 4),
                 *(round(float(np.percentile(ms, q)), 3) for q in (50, 95, 99)))


def trial(mode: str, engine: Path, streams: int, args: argparse.Namespace) -> Trial:
    runner = Concurrent(engine, streams) if mode == "concurrent" else Batched(engine, streams)
    try:
        runner.place(clip_frames(runner.size))
        result = run_trial(runner, mode, streams, args.fps, args.seconds)
    finally:
        runner.close()
    print(f"{mode:10s} N={streams:4d}: {result.fps_per_stream:6.2f} FPS per stream, dropped {result.dropped:.1%}, "
          f"added latency p50/p95/p99 {result.p50_ms:.2f} / {result.p95_ms:.2f} / {result.p99_ms:.2f} ms "
          f"-> {'holds' if result.holds(args.max_latency_ms) else 'misses'}", flush=True)
    return result


def find_max(mode: str, engine: Path, args: argparse.Namespace, limit: int) -> tuple[int, list[Trial]]:
    """Double N until a trial misses, then bisect: the largest N that holds (0 if even one stream misses)."""
    trials, good, bad, n = [], 0, None, 1
    while bad is None and n <= limit:
        trials.append(trial(mode, engine, n, args))
        good, bad, n = (n, None, n * 2) if trials[-1].holds(args.max_latency_ms) else (good, n, n)
    bad = bad or limit + 1
    while bad - good > max(1, good // 16):  # within ~6%: each trial costs seconds of device time
        mid = (good + bad) // 2
        trials.append(trial(mode, engine, mid, args))
        good, bad = (mid, bad) if trials[-1].holds(args.max_latency_ms) else (good, mid)
    return good, trials


def stream_outputs(runner, frames_per_stream: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """Each stream's outputs when every tick carries fresh frames (copied in, copied out): for checking that
    streams stay independent, not for timing."""
    outputs: list[list[np.ndarray]] = [[] for _ in frames_per_stream]
    for step in range(len(frames_per_stream[0])):
        frames = [stream[step] for stream in frames_per_stream]
        if isinstance(runner, Batched):
            batch, _ = runner.backend.collect(runner.backend.submit(np.stack(frames)))
            results = list(batch)
        else:
            handles = [b.submit(f) for b, f in zip(runner.backends, frames)]
            results = [b.collect(h)[0] for b, h in zip(runner.backends, handles)]
        for out, result in zip(outputs, results):
            out.append(result)
    return outputs


def alone(engine: Path, frames: list[np.ndarray], strength: float) -> list[np.ndarray]:
    """One stream through its own single-stream backend: what each of the N streams must reproduce."""
    from runtime.backends.torch_aot import TorchAotBackend
    backend = TorchAotBackend(engine, strength=strength)
    try:
        return [backend.collect(backend.submit(f))[0] for f in frames]
    finally:
        backend.close()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", type=model_arg, required=True,
                   help="a single-frame .pt2 engine (sharpcam export --aot), e.g. webcam_720p.pt2")
    p.add_argument("--batched", type=model_arg, help="a batched .pt2 engine of the same student and size "
                                                     "(needed for --modes batched)")
    p.add_argument("--modes", default="concurrent,batched", help="comma-separated from %s (default: %%(default)s)"
                                                                  % ",".join(MODES))
    p.add_argument("--streams", default="1,2", help="comma-separated stream counts to try (default: %(default)s)")
    p.add_argument("--find-max", action="store_true", help="search the largest N that holds (doubling, then bisecting)")
    p.add_argument("--max-streams", type=positive_int, default=1024, help="upper bound for --find-max (default: %(default)s)")
    p.add_argument("--max-concurrent", type=positive_int, default=128,
                   help="upper bound for --find-max in concurrent mode, where every stream loads the engine and "
                        "captures its own CUDA graphs (default: %(default)s)")
    p.add_argument("--fps", type=positive_float, default=30.0, help="each stream's frame rate (default: %(default)s)")
    p.add_argument("--seconds", type=positive_float, default=3.0, help="length of each trial (default: %(default)s)")
    p.add_argument("--max-latency-ms", type=positive_float, default=None,
                   help="p99 added latency a holding N may have (default: one frame interval)")
    p.add_argument("--out", type=path_arg("--out"), default=Path("runs/results/streams"),
                   help="report stem: writes OUT.json and OUT.md (default: %(default)s)")
    args = p.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not args.modes or any(m not in MODES for m in args.modes):
        p.error(f"--modes takes {', '.join(MODES)}")
    if "batched" in args.modes and args.batched is None:
        p.error("--modes batched needs --batched ENGINE (a batched .pt2: export/aot_build.py batch)")
    try:
        args.streams = sorted({int(n) for n in args.streams.split(",")})
    except ValueError:
        p.error("--streams takes comma-separated whole numbers")
    if args.streams[0] < 1:
        p.error("--streams must be at least 1")
    args.max_latency_ms = args.max_latency_ms or 1000.0 / args.fps
    return args


def markdown(report: dict) -> str:
    lines = ["# Many streams on one device", "", f"Command: `{report['command']}`", "",
             f"Machine: {report['machine']['cpu']}, GPU: {report['machine']['gpu'] or 'none'}; engine "
             f"{report['engine']} ({report['engine_device']}). Paced at {report['fps']:g} FPS per stream; N holds "
             f"when every stream gets >= 99% of its frames and p99 added latency <= {report['max_latency_ms']:.1f} ms.",
             "", "| mode | streams | FPS per stream | dropped | added latency p50 / p95 / p99 ms | holds |",
             "|---|---|---|---|---|---|"]
    for t in report["trials"]:
        holds = t["dropped"] <= 0.01 and t["p99_ms"] <= report["max_latency_ms"]
        lines.append(f"| {t['mode']} | {t['streams']} | {t['fps_per_stream']:.2f} | {t['dropped']:.1%} | "
                     f"{t['p50_ms']:.2f} / {t['p95_ms']:.2f} / {t['p99_ms']:.2f} | {'yes' if holds else 'no'} |")
    for mode, n in report.get("max_streams", {}).items():
        lines.append(f"\nLargest N that holds, {mode}: **{n}**")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace, argv: list[str] | None) -> dict:
    from runtime.artifacts import sidecar_path
    from runtime.backends.aot_meta import AotMeta
    meta = AotMeta.load(sidecar_path(args.engine))
    report: dict = {"command": command_line("benchmarks.gpu.streams", argv), "machine": describe(),
                    "engine": args.engine.name, "engine_device": f"{meta.device} {meta.precision} {meta.width}x"
                    f"{meta.height}", "fps": args.fps, "max_latency_ms": args.max_latency_ms, "trials": []}
    for mode in args.modes:
        engine = args.engine if mode == "concurrent" else args.batched
        if args.find_max:
            limit = min(args.max_streams, args.max_concurrent if mode == "concurrent" else _batch_of(engine))
            best, trials = find_max(mode, engine, args, limit)
            report.setdefault("max_streams", {})[mode] = best
        else:
            trials = [trial(mode, engine, n, args) for n in args.streams]
        report["trials"] += [asdict(t) for t in trials]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out.with_suffix(".json"), json.dumps(report, indent=1))
    write_text_atomic(args.out.with_suffix(".md"), markdown(report))
    print(f"wrote {args.out.with_suffix('.md')} and .json")
    return report


def _batch_of(engine: Path) -> int:
    from runtime.artifacts import sidecar_path
    from runtime.backends.aot_meta import AotMeta
    batch = AotMeta.load(sidecar_path(engine)).batch
    if not batch:
        raise SharpcamError(f"{engine} is not a batched engine; build one with export/aot_build.py's batch")
    return batch


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    exit_on_user_error(lambda: run(args, argv))


if __name__ == "__main__":
    main()
