"""Which files the page may name: only inside a folder the user chose on the command line (--out for what the
app writes, --media for the videos it may play). The page sends a name; it never reaches the filesystem
unless it stays inside that folder: no absolute path, no `..`, no symbolic link (or link in a parent) that
leads out, nothing hidden."""
from __future__ import annotations

from pathlib import Path, PurePosixPath

from runtime.errors import SharpcamError
from runtime.sinks.formats import VIDEO_SUFFIXES


def inside(folder: Path, name: object) -> Path:
    """`folder / name`, checked; SharpcamError saying why not. The file itself need not exist yet."""
    if not isinstance(name, str) or not name.strip() or "\\" in name or "\0" in name:
        raise SharpcamError("give a file name inside the folder, such as clip.mp4")
    relative = PurePosixPath(name)
    if relative.is_absolute() or any(part in ("..", "") or part.startswith(".") for part in relative.parts):
        raise SharpcamError(f"{name!r}: only names inside the folder (no absolute path, no '..', no hidden file)")
    root = folder.resolve()
    target = (root / relative).resolve()  # follows every symbolic link on the way
    if target != root / relative or not target.is_relative_to(root):
        raise SharpcamError(f"{name!r} goes through a symbolic link, which could lead outside {root}: refused")
    return target


def shown(folder: Path) -> str:
    """A folder as the page shows it: absolute, the home folder as ~ (what a user recognizes as theirs)."""
    folder, home = folder.resolve(), Path.home().resolve()
    return str(folder) if not folder.is_relative_to(home) else str(Path("~") / folder.relative_to(home))


def media_files(folder: Path) -> list[str]:
    """The videos directly in `folder` the page may pick (names, sorted); links and hidden files left out."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and not p.is_symlink()
                  and p.is_file() and not p.name.startswith("."))
