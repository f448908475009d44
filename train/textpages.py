"""Render document and screen text from real text with real fonts: the 'text' category of the corpus.

Text comes from files every Debian/Python machine has or the corpus step fetches by package name:
Python's standard library (docstrings and source code), /usr/share/common-licenses, and the country
names translated into many languages in Debian's iso-codes (Latin, Cyrillic, Greek, Armenian, Georgian
scripts). Layouts: a printed page, a two-column article, a slide, a code editor and a UI panel, at
several font sizes. Every page is deterministic given its index.
"""
from __future__ import annotations

import gettext
import inspect
import json
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIZE = (640, 480)
LANGUAGES = ("de", "fr", "pl", "vi", "tr", "ru", "uk", "bg", "el", "hy", "ka", "cs", "is")
_STDLIB_MODULES = ("json", "argparse", "pathlib", "textwrap", "statistics", "fractions", "heapq", "shlex")


def load_prose() -> list[str]:
    """Paragraphs of real English prose."""
    paras: list[str] = []
    licenses = Path("/usr/share/common-licenses")
    for name in ("Apache-2.0", "GPL-3", "LGPL-2.1", "MPL-2.0", "Artistic"):
        f = licenses / name
        if f.exists():
            paras += [" ".join(p.split()) for p in f.read_text(errors="ignore").split("\n\n") if len(p) > 200]
    for mod in _STDLIB_MODULES:
        doc = inspect.getdoc(__import__(mod)) or ""
        paras += [" ".join(p.split()) for p in doc.split("\n\n") if len(p) > 80]
    return paras


def load_code() -> list[str]:
    """Source lines of stdlib modules: what a shared screen in a call often shows."""
    lines: list[str] = []
    for mod in _STDLIB_MODULES:
        lines += inspect.getsource(__import__(mod)).splitlines()[:400]
    return lines


def load_translations(locale_root: Path) -> dict[str, list[str]]:
    """Country names per language from iso-codes' .mo catalogues."""
    names: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        mo = locale_root / lang / "LC_MESSAGES" / "iso_3166-1.mo"
        if mo.exists():
            with open(mo, "rb") as f:
                catalog = gettext.GNUTranslations(f)._catalog  # noqa: SLF001 - the plain msgid->msgstr map
            names[lang] = sorted(v for k, v in catalog.items() if k and v and v != k)
    return names


class PageRenderer:
    def __init__(self, fonts: dict[str, Path], locale_root: Path | None) -> None:
        self.fonts = fonts
        self.prose = load_prose()
        self.code = load_code()
        self.translations = load_translations(locale_root) if locale_root else {}

    def font(self, kind: str, size: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(str(self.fonts[kind]), size)

    def render(self, index: int) -> Image.Image:
        rng = np.random.default_rng(1000 + index)
        layouts = [self._document, self._columns, self._slide, self._code, self._ui]
        if self.translations:
            layouts.append(self._multilingual)
        return layouts[index % len(layouts)](rng)

    def _wrap_block(self, draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], font, text: str,
                    fill: tuple[int, int, int], spacing: float = 1.35) -> int:
        x0, y, x1, y1 = box
        line_h = int(font.size * spacing)
        avg = max(font.getlength("abcdefghij") / 10, 1)
        for line in textwrap.wrap(text, width=max(int((x1 - x0) / avg), 8)):
            if y + line_h > y1:
                break
            draw.text((x0, y), line, font=font, fill=fill)
            y += line_h
        return y

    def _paragraphs(self, rng: np.random.Generator, n: int) -> list[str]:
        return [self.prose[i] for i in rng.choice(len(self.prose), size=n, replace=False)]

    def _document(self, rng: np.random.Generator) -> Image.Image:
        paper = tuple(int(v) for v in rng.integers(235, 256, 3))
        img = Image.new("RGB", SIZE, paper)
        draw = ImageDraw.Draw(img)
        size = int(rng.integers(11, 19))
        kind = str(rng.choice(["serif", "sans"]))
        y = 30
        for para in self._paragraphs(rng, 6):
            y = self._wrap_block(draw, (40, y, SIZE[0] - 40, SIZE[1] - 20), self.font(kind, size), para, (20, 20, 25)) + size
        return img

    def _columns(self, rng: np.random.Generator) -> Image.Image:
        img = Image.new("RGB", SIZE, (250, 248, 240))
        draw = ImageDraw.Draw(img)
        draw.text((30, 18), self._paragraphs(rng, 1)[0][:40], font=self.font("serif-bold", 24), fill=(10, 10, 10))
        size = int(rng.integers(10, 14))
        paras = self._paragraphs(rng, 8)
        for col in range(2):
            y = 64
            for para in paras[col * 4:(col + 1) * 4]:
                y = self._wrap_block(draw, (30 + col * 300, y, 300 + col * 300, SIZE[1] - 16), self.font("serif", size), para, (30, 30, 30)) + 6
        return img

    def _slide(self, rng: np.random.Generator) -> Image.Image:
        bg = tuple(int(v) for v in rng.integers(0, 90, 3))
        img = Image.new("RGB", SIZE, bg)
        draw = ImageDraw.Draw(img)
        paras = self._paragraphs(rng, 5)
        draw.text((36, 30), paras[0][:32], font=self.font("sans-bold", int(rng.integers(28, 40))), fill=(255, 255, 255))
        y = 110
        for para in paras[1:]:
            draw.ellipse((40, y + 8, 50, y + 18), fill=(240, 200, 60))
            y = self._wrap_block(draw, (64, y, SIZE[0] - 36, SIZE[1] - 20), self.font("sans", int(rng.integers(18, 25))), para[:150], (235, 235, 235)) + 10
        return img

    def _code(self, rng: np.random.Generator) -> Image.Image:
        img = Image.new("RGB", SIZE, (30, 32, 38))
        draw = ImageDraw.Draw(img)
        size = int(rng.integers(11, 17))
        font = self.font("mono", size)
        start = int(rng.integers(0, max(len(self.code) - 60, 1)))
        y = 8
        for n, line in enumerate(self.code[start:start + 60]):
            if y + size > SIZE[1]:
                break
            stripped = line.lstrip()
            color = (120, 180, 110) if stripped.startswith("#") else (206, 145, 120) if '"' in line else (215, 220, 230)
            draw.text((8, y), f"{start + n + 1:4d}", font=font, fill=(110, 115, 125))
            draw.text((8 + 5 * size, y), line, font=font, fill=color)
            y += int(size * 1.4)
        return img

    def _ui(self, rng: np.random.Generator) -> Image.Image:
        img = Image.new("RGB", SIZE, (236, 236, 240))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, SIZE[0], 36), fill=(50, 90, 160))
        draw.text((12, 8), "Settings", font=self.font("sans-bold", 17), fill=(255, 255, 255))
        size = int(rng.integers(11, 15))
        y = 52
        for para in self._paragraphs(rng, 9):
            draw.rectangle((16, y, SIZE[0] - 16, y + 2 * size + 14), outline=(180, 180, 190), fill=(255, 255, 255))
            draw.text((26, y + 5), para[:60], font=self.font("sans", size), fill=(25, 25, 25))
            draw.text((26, y + size + 8), para[60:130], font=self.font("sans", size - 1), fill=(95, 95, 100))
            y += 2 * size + 24
            if y > SIZE[1] - 40:
                break
        return img

    def _multilingual(self, rng: np.random.Generator) -> Image.Image:
        img = Image.new("RGB", SIZE, (255, 255, 255))
        draw = ImageDraw.Draw(img)
        langs = list(self.translations)
        chosen = [langs[i] for i in rng.choice(len(langs), size=min(3, len(langs)), replace=False)]
        size = int(rng.integers(12, 18))
        for col, lang in enumerate(chosen):
            names = self.translations[lang]
            start = int(rng.integers(0, max(len(names) - 40, 1)))
            y = 12
            for name in names[start:start + 40]:
                if y + size > SIZE[1] - 8:
                    break
                draw.text((12 + col * 212, y), name[:26], font=self.font("serif", size), fill=(15, 15, 15))
                y += int(size * 1.35)
        return img


def font_table(font_root: Path) -> dict[str, Path]:
    """The fonts the corpus uses, from Debian's fonts-dejavu-core and fonts-freefont-ttf."""
    dejavu, free = font_root / "dejavu", font_root / "freefont"
    table = {
        "sans": dejavu / "DejaVuSans.ttf", "sans-bold": dejavu / "DejaVuSans-Bold.ttf",
        "mono": dejavu / "DejaVuSansMono.ttf", "serif": free / "FreeSerif.ttf",
        "serif-bold": free / "FreeSerifBold.ttf",
    }
    missing = [str(p) for p in table.values() if not p.exists()]
    if missing:
        raise FileNotFoundError(json.dumps(missing))
    return table
