"""Small measurements behind claims in README's "CPU cost" section, in one report.

    python -m benchmarks.speed.cpu_probes --out runs/results/cpu_probes.md       # ~2 minutes on 2 cores

- skip: the share of frames the `skip` load policy re-shows on the stability clips (test split: still scenes
  under office and low light, pans, zooms), deciding on the inputs alone, as the runtime does.
- openvino knobs: the model's CPU ms per 480p frame (one thread, bf16 where native, 20 ms idle between
  frames like a paced camera) with OpenVINO's CPU pinning and hyper-threading switches.
- int8: a post-training QDQ INT8 copy of the 480p graph (export/quantize.py) against the float graph,
  through OpenVINO with the state fed from outside (OpenVINO's stateful transformation refuses QDQ graphs).
- pipeline: process CPU per frame of `runtime.cam` paced at 30 FPS with the model skipped (`--strength 0`).
- float16: the share of the first convolution's weights that folding 1/255 in would push below float16's
  normal range (why the lean graph scales its input in float16 instead).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


from benchmarks.common import ROOT, command_line, describe
from benchmarks.speed.cam_speed import make_clip
from benchmarks.speed.stage_cpu import cpu_ms
from benchmarks.stability.scenes import FRAMES, STILL_SIZE, cover, moving_clip
from benchmarks.stability.stability import spread_photos
from runtime.backends.adaptive import AdaptiveBackend
from runtime.artifacts import DEFAULT_STUDENT, checkpoint_path, graph_path
from runtime.contract import reset_state
from runtime.files import write_text_atomic
from runtime.sources import BuiltinClip
from train.conditions import condition_params
from train.degrade import apply_clip


class _Same:
    """A stand-in engine that returns its input: the skip decision depends on the inputs only."""
    name, size, strength = "same", None, 1.0

    def submit(self, frame):
        return frame, {}

    def collect(self, handle):
        return handle

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def skip_shares(corpus: Path, photos: int) -> dict[str, float]:
    shares: dict[str, list[float]] = {}
    for ident, photo in spread_photos(corpus, "test", photos):
        still = cover(photo, STILL_SIZE)
        clips = {c: apply_clip([still] * FRAMES, condition_params(c, f"{ident}/still")) for c in ("office", "lowlight")}
        for kind in ("pan", "zoom"):
            clips[kind] = apply_clip(moving_clip(still, kind, FRAMES)[0], condition_params("office", f"{ident}/{kind}"))
        for kind, clip in clips.items():
            policy = AdaptiveBackend(_Same(), "skip")
            for frame in clip:
                policy.submit(np.ascontiguousarray(frame[..., ::-1]))
            shares.setdefault(kind, []).append(policy.skipped / len(clip))
    return {kind: round(float(np.mean(v)), 3) for kind, v in shares.items()}


def _openvino_request(path: Path, config: dict, stateful: bool):
    import openvino as ov
    from openvino import passes
    model = ov.Core().read_model(str(path))
    if stateful:
        manager = passes.Manager()
        manager.register_pass(passes.MakeStateful({"state": "state_out"}))
        manager.run_passes(model)
    precision = "bf16" if "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES") else "f32"
    base = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1,
            "INFERENCE_NUM_THREADS": 1}
    return ov.Core().compile_model(model, "CPU", {**base, **config}).create_infer_request()


def _paced_ms(run, rounds: int) -> float:
    """CPU ms per call with 20 ms idle between calls, median of rounds, after a warm-up."""
    run()
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(10):
            run()
            time.sleep(0.02)
        samples.append(1000 * (time.process_time() - start) / 10)
    return round(statistics.median(samples), 2)


def openvino_knobs(rounds: int) -> dict[str, float]:
    frame = BuiltinClip((640, 480)).read()
    feeds = {"frame_bgr": frame, "strength": np.ones(1, np.float32)}
    variants = {"default": {}, "pinning on": {"ENABLE_CPU_PINNING": True}, "pinning off": {"ENABLE_CPU_PINNING": False},
                "hyper-threading off": {"ENABLE_HYPER_THREADING": False}}
    requests = {k: _openvino_request(graph_path(DEFAULT_STUDENT, "480p"), v, stateful=True) for k, v in variants.items()}
    return {k: _paced_ms(lambda r=r: r.infer(feeds), rounds) for k, r in requests.items()}


def int8_vs_float(work: Path, rounds: int) -> dict[str, float]:
    from export.quantize import quantize_int8
    clip = BuiltinClip((640, 480))
    calibration = [clip.read() for _ in range(8)]
    float_graph = graph_path(DEFAULT_STUDENT, "480p")
    int8_graph = quantize_int8(float_graph, work / "int8.onnx", calibration)
    feeds = {"frame_bgr": calibration[0], "state": reset_state((1, 3, 480, 640), np.float32),
             "strength": np.ones(1, np.float32)}
    requests = {"float graph": _openvino_request(float_graph, {}, stateful=False),
                "int8 (QDQ) graph": _openvino_request(int8_graph, {}, stateful=False)}
    return {k: round(statistics.median([cpu_ms(lambda r=r: r.infer(feeds), 5) for _ in range(rounds)]), 2)
            for k, r in requests.items()}


def pipeline_without_model(work: Path) -> dict:
    clip, stats = make_clip(work / "clip.avi", (640, 480)), work / "stats.json"
    subprocess.run([sys.executable, "-m", "runtime.cam", "--source", str(clip), "--pace", "--sink", "null",
                    "--strength", "0", "--quiet", "--stats", str(stats), "-y"], cwd=ROOT, check=True, capture_output=True)
    s = json.loads(stats.read_text())
    return {"fps": s["fps"], "cpu_ms_per_frame": s["cpu"]["ms_per_frame"], "cores": s["cpu"]["cores"]}


def float16_subnormal_share() -> float:
    from train.checkpoint import student_from_checkpoint
    student, _ = student_from_checkpoint(checkpoint_path(DEFAULT_STUDENT))
    folded = student.head.weight.detach().abs() / 255
    return round(float((folded < 6.1e-5).float().mean()), 3)  # 6.1e-5: float16's smallest normal number


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    p.add_argument("--photos", type=int, default=6, help="stability photos (default: %(default)s)")
    p.add_argument("--rounds", type=int, default=5, help="(default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("runs/results/cpu_probes.md"), help="(default: %(default)s)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        results = {"skip: share of frames shown again": skip_shares(args.corpus, args.photos),
                   "openvino knobs: CPU ms per 480p frame": openvino_knobs(args.rounds),
                   "int8: CPU ms per 480p frame, OpenVINO": int8_vs_float(Path(tmp), args.rounds),
                   "pipeline with the model skipped (--strength 0), 480p paced": pipeline_without_model(Path(tmp)),
                   "float16: share of first-conv weights / 255 below the normal range": float16_subnormal_share()}
    command = command_line("benchmarks.speed.cpu_probes", argv)
    lines = ["# CPU probes", "", f"Command: `{command}`. Machine: {describe()}.", ""]
    lines += [f"- **{k}**: {json.dumps(v)}" for k, v in results.items()]
    text = "\n".join(lines) + "\n"
    write_text_atomic(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
