"""What every benchmark shares: where the checkout is, the machine it ran on (CPU, cores, memory, GPU,
library versions), the command that ran it, and writing its report (Markdown + JSON, each atomically, so an
interrupted run never leaves half a report beside a whole one)."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from runtime.files import write_text_atomic

# The checkout: benchmarks read engines/ and data/ and write runs/ relative to it, wherever they are run from.
ROOT = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _gpu() -> str | None:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def describe() -> dict:
    packages = ("onnxruntime", "onnxruntime-gpu", "openvino", "torch", "tensorrt", "numpy", "opencv-python",
                "cuda-python")
    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "memory_gb": _memory_gb(), "gpu": _gpu(),
            "python": platform.python_version(), "os": platform.platform(),
            "libraries": {p: v for p in packages if (v := _version(p))}}


def command_line(module: str, argv: list[str] | None) -> str:
    """How a benchmark was run, for its report: `python -m MODULE ARGS` (argv None: this process's own)."""
    return " ".join(["python -m", module, *(sys.argv[1:] if argv is None else argv)])


def write_markdown_and_json(prefix: Path, markdown: str, data: object) -> None:
    """PREFIX.md and PREFIX.json (PREFIX's own suffix, if any, replaced: runs/results/fps -> fps.md, fps.json)."""
    write_text_atomic(prefix.with_suffix(".md"), markdown)
    write_text_atomic(prefix.with_suffix(".json"), json.dumps(data, indent=1))


def write_report(path: Path, lines: list[str]) -> None:
    """A Markdown report written from its lines (atomically) and printed."""
    text = "\n".join(lines)
    write_text_atomic(path, text + "\n")
    print(text)
