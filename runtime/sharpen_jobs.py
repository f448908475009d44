"""Which files `sharpcam sharpen` reads and which it writes: every problem found before any work starts.

One input and an output with an image extension: that file. Otherwise the output is a folder: a file goes to
OUT/NAME, a folder's images to OUT/RELATIVE/PATH; `--suffix` and `--ext` change the names. Missing inputs,
symlink loops, an output equal to an input and two inputs that would write the same output are refused in one
line; files that are not images and subfolders left out (no --recursive) are counted in a note.
"""
from __future__ import annotations

import argparse
import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from runtime.errors import SharpcamError
from runtime.imaging import IMAGE_SUFFIXES


@dataclass
class Plan:
    jobs: list[tuple[Path, Path]]
    notes: list[str] = field(default_factory=list)  # what was left out, for the user to see once


def ext_arg(text: str) -> str:
    """--ext: 'jpg', '.png' ... (or 'auto': each input's own)."""
    suffix = text if text.startswith(".") or text == "auto" else f".{text}"
    if suffix != "auto" and suffix.lower() not in IMAGE_SUFFIXES:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of auto, {', '.join(sorted(IMAGE_SUFFIXES))}")
    return suffix.lower()


def _stat(path: Path, role: str) -> os.stat_result | None:
    """os.stat, following links; None when nothing is there; a loop or an unreadable path is refused."""
    try:
        return path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise SharpcamError(f"{path}: a symbolic link to nothing ({os.readlink(path)}); "
                                f"give the {role} itself") from None
        return None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise SharpcamError(f"{path}: a loop of symbolic links; give the {role} itself") from None
        raise SharpcamError(f"{path}: {err.strerror}") from None


def is_file_target(inputs: list[Path], out: Path) -> bool:
    """`-o name.jpg` with one input image: write that file (an existing folder stays a folder)."""
    if len(inputs) != 1 or (out.exists() and out.is_dir()) or not out.suffix:
        return False
    return inputs[0].is_file()


def output_name(src: Path, ext: str, suffix: str) -> str:
    return f"{src.stem}{suffix}{src.suffix if ext == 'auto' else ext}"


def _folder_images(folder: Path, recursive: bool, notes: list[str]) -> list[Path]:
    images, others, subfolders, seen = [], [], [], set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # a link back up the tree: walking it again would never end
            notes.append(f"{root}: a link to a folder already searched; not searched again")
            dirs.clear()
            continue
        seen.add(real)
        dirs.sort()
        if not recursive:
            subfolders += [d for d in dirs if not d.startswith(".")]
            dirs.clear()
        for name in sorted(files):
            path = Path(root) / name
            if name.startswith("."):
                continue  # hidden files (and our own temporary ones) are not the user's photos
            (images if path.suffix.lower() in IMAGE_SUFFIXES else others).append(path)
    if others:
        shown = ", ".join(p.name for p in others[:3]) + (", ..." if len(others) > 3 else "")
        notes.append(f"{folder}: skipped {len(others)} file{'s' * (len(others) > 1)} that are not images "
                     f"({shown}); images are {', '.join(sorted(IMAGE_SUFFIXES))}")
    if subfolders:
        notes.append(f"{folder}: {len(subfolders)} subfolder{'s' * (len(subfolders) > 1)} not searched "
                     f"({', '.join(subfolders[:3])}{', ...' if len(subfolders) > 3 else ''}); add --recursive")
    return images


def plan(inputs: list[Path], out: Path, recursive: bool = False, ext: str = "auto", suffix: str = "") -> Plan:
    """The (source, destination) pairs and the notes; SharpcamError for anything that must stop the run."""
    for src in inputs:
        if _stat(src, "image or folder") is None:
            raise SharpcamError(f"{src}: no such file or folder")
    _stat(out, "output")
    if is_file_target(inputs, out):
        if out.suffix.lower() not in IMAGE_SUFFIXES:
            raise SharpcamError(f"-o {out}: {out.suffix} is not an image extension; use one of "
                                f"{', '.join(sorted(IMAGE_SUFFIXES))}")
        if ext != "auto" and out.suffix.lower() != ext:
            raise SharpcamError(f"-o {out} and --ext {ext} disagree; give one of them")
        found = Plan([(inputs[0], out)])
    else:
        if out.exists() and not out.is_dir():
            if len(inputs) == 1:
                raise SharpcamError(f"-o {out} is a file without an image extension; give a folder, or a "
                                    "file name such as sharp.jpg")
            raise SharpcamError(f"-o {out} is a file; give a folder for {len(inputs)} inputs, or one input "
                                "to write that file")
        if out.suffix and not out.exists() and out.suffix.lower() in IMAGE_SUFFIXES and len(inputs) > 1:
            raise SharpcamError(f"-o {out} names one image but there are {len(inputs)} inputs; give a folder")
        found = Plan([])
        for src in inputs:
            if src.is_dir():
                for image in _folder_images(src, recursive, found.notes):
                    rel = image.relative_to(src)
                    found.jobs.append((image, out / rel.parent / output_name(rel, ext, suffix)))
            else:
                found.jobs.append((src, out / output_name(src, ext, suffix)))
    for src, dst in found.jobs:
        if dst.suffix.lower() not in IMAGE_SUFFIXES:
            raise SharpcamError(f"{src}: its output {dst.name} would have no image extension; give --ext png "
                                "(or jpg, webp, ...)")
    _refuse_clashes(found.jobs)
    return found


def _refuse_clashes(jobs: list[tuple[Path, Path]]) -> None:
    """An output that is an input, or two inputs that would write one output, is refused before any work."""
    inputs = {os.path.realpath(src) for src, _ in jobs}
    writers: dict[str, Path] = {}
    for src, dst in jobs:
        key = os.path.realpath(dst)
        if key in inputs:
            raise SharpcamError(f"{dst} would overwrite an input; choose another output")
        if key in writers:
            raise SharpcamError(f"{writers[key]} and {src} would both be written to {dst}; sharpen them into "
                                "separate folders or give a --suffix per run")
        writers[key] = src
