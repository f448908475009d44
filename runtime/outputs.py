"""Output files checked before any work, as ffmpeg checks them: never one of the inputs, never two outputs
on one file, and an existing file replaced only when the user said so.

- Same file: compared by what the path finally names (symlinks followed) and, where both exist, by device
  and inode, so a hard link to the source is refused too. Writing the source while it is read destroys it.
- Existing outputs: `-y/--overwrite` replaces them, `-n/--no-overwrite` refuses them; by default a terminal
  is asked (y/N) and anything else (a script, a pipe) gets one line naming -y.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from runtime.errors import SharpcamError

ASK, YES, NO = "ask", "yes", "no"  # what to do with an output that exists


def same_file(a: Path, b: Path) -> bool:
    """True when the two paths name one file: equal after following symlinks, or one inode (a hard link)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return Path(os.path.realpath(a)) == Path(os.path.realpath(b))


def check_distinct(inputs: Mapping[str, Path], outputs: Mapping[str, Path]) -> None:
    """Refuse an output that is an input, or two outputs on one file; keys name the options (--sink)."""
    outs = list(outputs.items())
    for i, (out_name, out) in enumerate(outs):
        for in_name, src in inputs.items():
            if same_file(out, src):
                raise SharpcamError(f"{out_name} {out} is the same file as {in_name} {src}: writing it would "
                                    f"destroy what is being read; choose another output name")
        for other_name, other in outs[i + 1:]:
            if same_file(out, other):
                raise SharpcamError(f"{out_name} and {other_name} are the same file ({out}); give each its own name")


def on_a_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def ask_user(question: str) -> bool:
    print(question, end="", file=sys.stderr, flush=True)
    try:
        return input().strip().lower() in ("y", "yes")
    except EOFError:
        return False


def check_overwrite(path: Path, policy: str = ASK, what: str = "output") -> None:
    """Return when `path` may be written; raise SharpcamError when it exists and may not be replaced. A folder
    of frames (DIR/) counts as existing when it holds PNGs already: a run would replace those it names alike."""
    exists = path.is_file() or (path.is_dir() and any(path.glob("*.png")))
    if not exists or policy == YES:
        return
    if policy == ASK and on_a_terminal():
        if ask_user(f"{what} {path} already exists. Overwrite? [y/N] "):
            return
        raise SharpcamError(f"not overwriting {path}; give another name, or -y to overwrite")
    raise SharpcamError(f"{what} {path} already exists; use -y (--overwrite) to replace it or give another name")
