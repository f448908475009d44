"""Reading images robustly: grayscale and RGBA are converted, unreadable or tiny ones are skipped,
and the caller gets one list of what happened so it can warn once."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from runtime.imaging import IMAGE_SUFFIXES  # the files the runtime reads are the files training reads

Image.MAX_IMAGE_PIXELS = 64_000_000  # big wallpapers are fine; decompression bombs are not


@dataclass
class LoadReport:
    converted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per kind of event for the whole batch, listing each file once."""
        return ([f"converted {len(self.converted)} image(s) to RGB: " + "; ".join(self.converted)] * bool(self.converted)
                + [f"skipped {len(self.skipped)} image(s): " + "; ".join(self.skipped)] * bool(self.skipped))

    def warn(self) -> None:
        """Tell the user on stderr, as a plain line per kind (the commands' own voice, not a Python warning
        with a file and line number: every caller is a command a user runs)."""
        for line in self.lines():
            print(f"note: {line}", file=sys.stderr)


def to_rgb(img: Image.Image) -> Image.Image:
    """RGB, compositing any transparency onto mid-gray (transparent wallpapers would otherwise be black)."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        return Image.alpha_composite(base, rgba).convert("RGB")
    return img.convert("RGB")


def read_rgb(path: Path, report: LoadReport, min_side: int = 64) -> np.ndarray | None:
    """HxWx3 uint8, or None (recorded in `report`) when the file cannot serve as an image."""
    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            rgb = to_rgb(img)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
        report.skipped.append(f"{path} (unreadable: {type(err).__name__})")
        return None
    if min(rgb.size) < min_side:
        report.skipped.append(f"{path} (too small: {rgb.size[0]}x{rgb.size[1]}, need {min_side} px)")
        return None
    if mode != "RGB":
        report.converted.append(f"{path} ({mode})")
    return np.asarray(rgb, dtype=np.uint8)


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
