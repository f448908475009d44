"""What the CPU engines and the load policies cost in quality: the same student, every way the runtime runs it.

    python -m benchmarks.quality.cpu_quality --out runs/cpu_quality            # test split, 4 conditions
    python -m benchmarks.quality.cpu_quality --limit 5 --out runs/cpu_quality-quick

Columns: the degraded input; the default student through ONNX Runtime (its any-size float graph, as
`runtime.sharpen` runs it); through OpenVINO in float32 and in bf16 (its frame graph reshaped to each
image); and OpenVINO (the precision `auto` picks here) under the `scale75` and `scale50` load policies
(runtime/backends/adaptive.py: the model on a shrunk frame, its correction scaled up). Every image starts a fresh
stream (reset temporal state). SSIM/PSNR to the clean image, webcam conditions of train/conditions.py.
The `skip` policy needs a sequence: its cost is in benchmarks/stability/stability.py (`make stability`).
Writes OUT.md, OUT.json, OUT.png.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


from benchmarks.common import command_line, describe
from benchmarks.quality.webcam_quality import markdown, write_outputs
from runtime.backends.adaptive import AdaptiveBackend
from runtime.backends.base import Backend
from runtime.backends.onnxruntime import OnnxBackend
from runtime.entry import exit_on_user_error, positive_int, threads
from runtime.artifacts import DEFAULT_STUDENT, SHIPPED_STUDENTS, graph_path
from train.conditions import CONDITIONS
from train.evaluation import Method, evaluate, identity, summarize


def backend_method(backend: Backend) -> Method:
    def run(rgb: np.ndarray, _sha: str, _params: dict) -> np.ndarray:
        backend.reset()  # each image is a stream of its own
        out, _ = backend.collect(backend.submit(np.ascontiguousarray(rgb[..., ::-1])))
        return out[..., ::-1]
    return run


def methods_for(student: str, threads: int) -> tuple[dict[str, Method], dict[str, str]]:
    """(methods, {label: what it runs})."""
    from runtime.backends.openvino import OpenVinoBackend, native_bf16
    frame_graph, any_size = graph_path(student, "480p"), graph_path(student)
    backends: dict[str, Backend] = {"onnxruntime": OnnxBackend(any_size, threads, device="cpu")}
    for precision in ("f32", "bf16"):
        backends[f"openvino {precision}"] = OpenVinoBackend(frame_graph, threads, precision=precision)
    auto = "bf16" if native_bf16() else "f32"  # what the policies' default engine computes in here
    for policy in ("scale75", "scale50"):
        backends[f"openvino {auto} {policy}"] = AdaptiveBackend(
            OpenVinoBackend(frame_graph, threads), policy)
    methods: dict[str, Method] = {"input": identity}
    methods.update({label: backend_method(b) for label, b in backends.items()})
    return methods, {label: b.name for label, b in backends.items()}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--student", choices=SHIPPED_STUDENTS, default=DEFAULT_STUDENT, help="(default: %(default)s)")
    p.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--limit", type=positive_int, help="only the first N images (a quick look)")
    p.add_argument("--threads", type=threads, default=0, help="inference threads (0: one per core)")
    p.add_argument("--out", type=Path, default=Path("runs/cpu_quality"),
                   help="writes OUT.md, OUT.json, OUT.png (default: %(default)s)")
    args = p.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    methods, names = methods_for(args.student, args.threads)
    rows = evaluate(args.corpus, args.split, methods, list(CONDITIONS), args.limit, desc="cpu quality")
    summary = summarize(rows)
    command = command_line("benchmarks.quality.cpu_quality", argv)
    text = markdown(summary, f"Quality per CPU engine and load policy ({args.student} student, {args.split} split)")
    text += ("\n## How each column ran\n\n" + "\n".join(f"- {label}: {name}" for label, name in names.items())
             + f"\n\nCommand: `{command}`. Machine: {describe()}.\n")
    write_outputs(args.out, text, summary, {"columns": names, "summary": summary, "images": rows})


if __name__ == "__main__":
    exit_on_user_error(main)
