"""Artifact names and paths, written once: what export writes, what ships, and finding a model by name.

Artifacts, for a student NAME in engines/ (or an export's --out folder):
- NAME.pt: the checkpoint; NAME.onnx: the float graph (any size); NAME_<res>.onnx, NAME_<res>_fp16.onnx:
  frame graphs at a fixed size (RESOLUTIONS); NAME_<res>.plan: a TensorRT engine built from the fp16 graph,
  with its sidecar NAME_<res>.json (runtime/backends/engine_meta.py); NAME_onnx_report.json: export's parity
  report. What the graphs take and give is runtime/contract.py's.

A model is asked for by student name (`webcam`), by file name (`webcam_480p.onnx`, `webcam_480p`), or by path.
Names are looked up in these folders, first match wins (`search_folders()`):

1. `$SHARPCAM_ENGINES`, a folder the user names (engines built elsewhere, a shared team folder);
2. the checkout's `engines/` when running from a source checkout (the developer's location);
3. the user cache, where `sharpcam export` / `make engines` from an installed wheel put what they build:
   `$XDG_CACHE_HOME/sharpcam/engines` (default `~/.cache/...`) on Linux, `~/Library/Caches/sharpcam/engines`
   on macOS, `%LOCALAPPDATA%\\sharpcam\\engines` on Windows;
4. the graphs inside the installed package (`runtime/graphs/`): the default student's any-size float graph and
   its 480p/720p/1080p uint8 frame graphs (FP32 and FP16), and the other students' any-size and 480p graphs
   (PACKAGED_STUDENTS), copied there from `engines/` when the wheel is built.

Pure standard library (setup.py imports it to know which graphs to package).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from runtime.errors import SharpcamError

ENV_FOLDER = "SHARPCAM_ENGINES"
CHECKOUT_ENGINES = Path(__file__).resolve().parent.parent / "engines"
ENGINES = CHECKOUT_ENGINES  # a checkout's engines/: where export writes and the shipped students live
PACKAGED = Path(__file__).resolve().parent / "graphs"
# Shipped students, each as engines/<name>.pt plus its graphs. "webcam" (S, the default for pictures and the
# per-frame reference) cleans, deblocks and sharpens real webcam frames; "recurrent" is S reading its previous
# output (learned temporal stability, trained on clips: `make train-temporal`), the S of live video; "medium"
# (M) is webcam's recipe at ~3.7x the cost, for machines with room; "large" (L, ~21x) is for GPUs; "fast" is
# the clean-blur CPU student and "seed" the report's architecture, both kept for the report's benchmark.
# (Architectures are train/'s registry, not these.)
SHIPPED_STUDENTS = ("webcam", "recurrent", "medium", "large", "fast", "seed")
DEFAULT_STUDENT = "webcam"
# The family for video, smallest first: S (the recurrent student: today's 2-core budget, calmer than the
# per-frame webcam student on every still, pan, zoom and cut of the stability suite), M (~3.7x S: 480p with
# room on 2 cores) and L (~21x S, for GPUs: `make train-large`, grown from M). `--student auto` times those
# whose graphs are found and runs the largest that fits the frame budget (runtime/backends/family.py); the
# load policy steps down through them.
FAMILY = ("recurrent", "medium", "large")
# The clean-blur student and the camera students it takes clean frames from (`--clean-source auto`,
# runtime/route.py): on the report's clean blur fast scores 0.9004 against webcam 0.8808, recurrent 0.8711
# and medium 0.8956 (benchmarks/results/family.md); large (0.9095) does better than fast and keeps them.
CLEAN_STUDENT = "fast"
ROUTED_STUDENTS = ("webcam", "recurrent", "medium")
AUTO_STUDENT = "auto"  # --student auto: the family member chosen by measured budget (the live default)
# Every name --student takes besides auto: the shipped students and the family's (whose graphs may be absent).
STUDENTS = tuple(dict.fromkeys((*FAMILY, *SHIPPED_STUDENTS)))
# Students whose graphs travel inside the wheel: all of them, so `--student fast|seed` and
# RealTimeSharpener("fast") work from a plain install. The default student brings every frame graph; the
# others only their any-size graph (ONNX Runtime at any size, still images) and the 480p frame graph (which
# OpenVINO reshapes to any size): seed's full set would be 7.4 MB, these two 2.7 MB, medium's 0.7 MB. Not L:
# its two graphs would add 3.6 MB for machines with a GPU, which build its engines from a checkout anyway.
PACKAGED_STUDENTS = tuple(s for s in SHIPPED_STUDENTS if s != "large")
PACKAGED_RESOLUTIONS_OTHERS = ("480p",)
# The sizes frame graphs and engines are built for, (width, height), by the name in their file names.
RESOLUTIONS: dict[str, tuple[int, int]] = {"480p": (640, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
RESOLUTION_NAMES = {size: name for name, size in RESOLUTIONS.items()}
GRAPH_SUFFIX, PLAN_SUFFIX, AOT_SUFFIX = ".onnx", ".plan", ".pt2"
# Compiled engines, by file suffix: what --engine takes (runtime/backends/factory.py opens each kind): TensorRT
# plans, and ahead-of-time compiled PyTorch packages (export/aot_build.py).
ENGINE_SUFFIXES = (PLAN_SUFFIX, AOT_SUFFIX)


def graph_name(student: str, resolution: str | None = None, fp16: bool = False) -> str:
    """webcam.onnx (float, any size) or webcam_480p[_fp16].onnx (uint8 frames, fixed size)."""
    if resolution is None:
        return f"{student}{GRAPH_SUFFIX}"
    return f"{student}_{resolution}{'_fp16' if fp16 else ''}{GRAPH_SUFFIX}"


def plan_name(student: str, resolution: str) -> str:
    return f"{student}_{resolution}{PLAN_SUFFIX}"


def aot_name(student: str, resolution: str, batch: int | None = None) -> str:
    """webcam_720p.pt2, or webcam_720p_b64.pt2 for an engine taking up to 64 streams per call."""
    return f"{student}_{resolution}{f'_b{batch}' if batch else ''}{AOT_SUFFIX}"


def checkpoint_path(student: str, folder: Path = ENGINES) -> Path:
    return folder / f"{student}.pt"


def graph_path(student: str, resolution: str | None = None, fp16: bool = False, folder: Path = ENGINES) -> Path:
    """engines/fast.onnx (float, any size) or engines/fast_480p[_fp16].onnx (uint8 frames, fixed size);
    find_graph() also looks in the user cache and the installed package."""
    return folder / graph_name(student, resolution, fp16)


def plan_path(student: str, resolution: str, folder: Path = ENGINES) -> Path:
    return folder / plan_name(student, resolution)


def aot_path(student: str, resolution: str, folder: Path = ENGINES, batch: int | None = None) -> Path:
    """An ahead-of-time compiled PyTorch engine (export/aot_build.py), sidecar NAME_<res>.pt2.json beside it;
    `batch`: the engine for up to that many streams per call (benchmarks/gpu/streams.py)."""
    return folder / aot_name(student, resolution, batch)


def sidecar_path(engine: Path) -> Path:
    """What a compiled engine was built for: NAME_<res>.json beside a TensorRT plan (TensorRT version, GPU,
    sha256), NAME_<res>.pt2.json beside a PyTorch package (runtime/backends/aot_meta.py)."""
    return engine.with_suffix(".json") if engine.suffix == PLAN_SUFFIX else engine.with_name(engine.name + ".json")


def onnx_report_path(student: str, folder: Path = ENGINES) -> Path:
    return folder / f"{student}_onnx_report.json"


def is_packaged(file_name: str) -> bool:
    """Whether setup.py copies this engines/ file into the wheel: the default student's ONNX graphs, and the
    other packaged students' any-size and PACKAGED_RESOLUTIONS_OTHERS graphs."""
    if not file_name.endswith(GRAPH_SUFFIX):
        return False
    if file_name == graph_name(DEFAULT_STUDENT) or file_name.startswith(f"{DEFAULT_STUDENT}_"):
        return True
    return any(file_name in {graph_name(s)} | {graph_name(s, r) for r in PACKAGED_RESOLUTIONS_OTHERS}
               for s in PACKAGED_STUDENTS)


def user_folder(kind: str) -> Path:
    """This platform's per-user folder for `kind` "cache" or "config" (the caller adds sharpcam's part)."""
    cache = kind == "cache"
    if sys.platform == "win32":
        env, under = ("LOCALAPPDATA", "Local") if cache else ("APPDATA", "Roaming")
        return Path(os.environ.get(env) or Path.home() / "AppData" / under)
    if sys.platform == "darwin":
        return Path.home() / "Library" / ("Caches" if cache else "Application Support")
    env, under = ("XDG_CACHE_HOME", ".cache") if cache else ("XDG_CONFIG_HOME", ".config")
    return Path(os.environ.get(env) or Path.home() / under)


def user_cache() -> Path:
    """The per-user folder for engines built after installation (created by whoever writes there)."""
    return user_folder("cache") / "sharpcam" / "engines"


def in_checkout() -> bool:
    """Running from a source checkout (editable install or the repository root), not an installed wheel."""
    return CHECKOUT_ENGINES.is_dir() and (CHECKOUT_ENGINES.parent / "pyproject.toml").is_file()


def search_folders() -> list[Path]:
    """Where names are looked up, first match wins (module docstring)."""
    folders = [Path(os.environ[ENV_FOLDER]).expanduser()] if os.environ.get(ENV_FOLDER) else []
    if in_checkout():
        folders.append(CHECKOUT_ENGINES)
    return folders + [user_cache(), PACKAGED]


def output_folder() -> Path:
    """Where newly built graphs and engines go by default: the named folder, the checkout's engines/ or the
    user cache. Always one of search_folders(), so what is built is found."""
    if os.environ.get(ENV_FOLDER):
        return Path(os.environ[ENV_FOLDER]).expanduser()
    return CHECKOUT_ENGINES if in_checkout() else user_cache()


def find(file_name: str) -> Path | None:
    for folder in search_folders():
        if (folder / file_name).is_file():
            return folder / file_name
    return None


def find_graph(student: str, resolution: str | None = None, fp16: bool = False) -> Path | None:
    return find(graph_name(student, resolution, fp16))


def find_plan(student: str, resolution: str) -> Path | None:
    return find(plan_name(student, resolution))


def folders_text() -> str:
    return ", ".join(str(f) for f in search_folders())


def resolve_model(spec: str | Path) -> Path:
    """A path that exists, else a name looked up in search_folders(): 'webcam' (its any-size graph),
    'webcam_480p' or 'webcam_480p.onnx' / '.plan'."""
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    text = str(spec)
    if os.sep in text or "/" in text:
        raise SharpcamError(f"model file {text} not found; give an existing .onnx/.plan path or a name such as "
                            f"'webcam' or 'webcam_480p' (looked up in {folders_text()})")
    suffixes = (GRAPH_SUFFIX, *ENGINE_SUFFIXES)
    names = [text] if path.suffix in suffixes else [text + suffix for suffix in suffixes]
    for name in names:
        found = find(name)
        if found is not None:
            return found
    raise SharpcamError(f"no model named {text!r} in {folders_text()}; build it with 'sharpcam export' "
                        f"(or 'make engines' in a checkout), or give a file path")


def model_arg(text: str) -> Path:
    """argparse type for --model/--engine: a path or a name, resolved when the command line is parsed."""
    try:
        return resolve_model(text)
    except SharpcamError as err:
        raise argparse.ArgumentTypeError(str(err)) from err
    except OSError as err:  # a name too long for the file system, say: argparse would show a traceback
        raise argparse.ArgumentTypeError(f"{text[:80]}...: {err.strerror or err}" if len(text) > 80
                                         else f"{text}: {err.strerror or err}") from err
