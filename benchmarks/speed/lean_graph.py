"""The lean frame graph against the generic one: same pictures, CPU time per frame through OpenVINO.

    python -m benchmarks.speed.lean_graph --out runs/lean_graph.md

Exports the default student's checkpoint both ways (export/graphs.py: `FrameGraph`, `LeanFrameGraph`) into a
temporary folder, reports the largest 8-bit difference between their frames (through bf16 where `auto` picks
it, the two orders of operations round differently by a few levels; in float32 they agree to 1 level, tested),
then times both through the OpenVINO backend (one thread), interleaved over rounds, at each size: process CPU
ms per frame.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import command_line, describe
from benchmarks.speed.stage_cpu import cpu_ms
from export.onnx_export import export_frame
from runtime.artifacts import DEFAULT_STUDENT, RESOLUTIONS, checkpoint_path
from runtime.entry import positive_int
from runtime.files import write_text_atomic
from runtime.backends.openvino import OpenVinoBackend
from runtime.sources import BuiltinClip
from train.checkpoint import student_from_checkpoint


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=positive_int, default=5, help="(default: %(default)s)")
    p.add_argument("--repeats", type=positive_int, default=5, help="frames per round (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("runs/lean_graph.md"), help="(default: %(default)s)")
    args = p.parse_args(argv)
    student, _ = student_from_checkpoint(checkpoint_path(DEFAULT_STUDENT))
    lines = ["# Lean frame graph vs generic, OpenVINO, one thread", "", f"Machine: {describe()}.", "",
             "| size | generic CPU ms/frame | lean CPU ms/frame | lean/generic | max 8-bit difference |",
             "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        graphs = {kind: export_frame(student, Path(tmp) / f"{kind}.onnx", (640, 480), fp16=False, lean=kind == "lean")
                  for kind in ("generic", "lean")}
        backends = {k: OpenVinoBackend(g, threads=1) for k, g in graphs.items()}  # each compiles once per size
        for res, size in RESOLUTIONS.items():
            frame = BuiltinClip(size).read()
            outs = {k: b.submit(frame)[0] for k, b in backends.items()}  # also compiles for this size
            diff = int(np.abs(outs["lean"].astype(int) - outs["generic"].astype(int)).max())
            samples: dict[str, list[float]] = {k: [] for k in backends}
            for _ in range(args.rounds):
                for k, b in backends.items():
                    samples[k].append(cpu_ms(lambda b=b: b.submit(frame), args.repeats))
            generic, lean = (statistics.median(samples[k]) for k in ("generic", "lean"))
            lines.append(f"| {res} | {generic:.1f} | {lean:.1f} | {lean / generic:.2f} | {diff} |")
            print(lines[-1], file=sys.stderr)
    command = command_line("benchmarks.speed.lean_graph", argv)
    text = "\n".join(lines) + f"\n\nCommand: `{command}`; medians of {args.rounds} interleaved rounds.\n"
    write_text_atomic(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
