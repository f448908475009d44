"""The study file: which images, which versions, which comparisons, how many raters, the seed.

A study is a directory holding `study.json` (this format), the images it names, and the answers
(`answers.jsonl`, see answers.py). Example:

    {"version": 1, "name": "student vs blurred", "seed": 7, "raters": 25,
     "criteria": ["sharpness", "edges", "text", "natural"],
     "versions": ["blurred", "student"], "comparisons": [["blurred", "student"]],
     "layout": "images/{version}/{id}.png",
     "images": [{"id": "astronaut", "category": "people"}, ...]}

`raters` is a count (ids r01, r02, ...) or a list of ids; `criteria`, `comparisons` (default: every
pair of versions) and `layout` are optional. One screen ("pair") shows one image in the two versions
of one comparison. Every path is checked to stay inside the study directory, symlinks resolved.
"""
from __future__ import annotations

import itertools
import json
import random
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from runtime.errors import SharpcamError
from train.seeds import seed_for

STUDY_FILE = "study.json"
ANSWERS_FILE = "answers.jsonl"
CRITERIA = {  # the report's four criteria, in its order
    "sharpness": "Overall sharpness", "edges": "Edge clarity",
    "text": "Text readability", "natural": "Natural appearance",
}
# Criteria a rater may answer "not applicable" (stored as null, left out of every mean): a picture may hold
# no text to read.
NOT_APPLICABLE = {"text"}
SCALE = {1: "Poor", 2: "Fair", 3: "Good", 4: "Very good", 5: "Excellent"}  # the report's 1=Poor, 5=Excellent
RATER_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
VERSION_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
IMAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
IMAGE_SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}
DEFAULT_LAYOUT = "images/{version}/{id}.png"


@dataclass(frozen=True)
class Pair:
    id: str          # "<image id>~<comparison index>": stable, and names no version (the page stays blind)
    image: str
    category: str
    versions: tuple[str, str]


@dataclass
class Study:
    root: Path
    name: str
    seed: int
    raters: list[str]
    versions: list[str]
    comparisons: list[tuple[str, str]]
    images: dict[str, str]  # id -> category, in file order
    criteria: list[str] = field(default_factory=lambda: list(CRITERIA))
    layout: str = DEFAULT_LAYOUT

    @cached_property
    def pairs(self) -> dict[str, Pair]:
        return {f"{img}~{k}": Pair(f"{img}~{k}", img, cat, comp)
                for img, cat in self.images.items() for k, comp in enumerate(self.comparisons)}

    @property
    def answers_path(self) -> Path:
        return self.root / ANSWERS_FILE

    def image_path(self, image: str, version: str) -> Path:
        """The file of one image in one version, refused if it leaves the study directory."""
        return inside(self.root, self.layout.format(id=image, version=version))

    def order(self, rater: str) -> list[tuple[str, bool]]:
        """The rater's screens: (pair id, swapped) in a random order fixed by the study seed and the rater
        id, so a resumed session continues where it stopped. swapped: the comparison's second version is
        on the left."""
        rng = random.Random(seed_for("mos", self.seed, rater))
        ids = list(self.pairs)
        rng.shuffle(ids)
        return [(pid, rng.random() < 0.5) for pid in ids]

    def sides(self, rater: str, pair: str) -> tuple[str, str]:
        """(left version, right version) that `rater` sees on `pair`."""
        swapped = dict(self.order(rater))[pair]
        a, b = self.pairs[pair].versions
        return (b, a) if swapped else (a, b)


def inside(root: Path, rel: str) -> Path:
    """root/rel as a real file inside root: no absolute paths, no '..', no symlink that points out."""
    if not rel or "\\" in rel or "\0" in rel or Path(rel).is_absolute() or ".." in Path(rel).parts:
        raise SharpcamError(f"path {rel!r} must be relative to the study directory, without '..'")
    base = root.resolve()
    path = (base / rel).resolve()
    if not path.is_relative_to(base):
        raise SharpcamError(f"{rel} points outside the study directory {base} (a symlink?); copy the file in")
    if not path.is_file():
        raise SharpcamError(f"{base / rel} is missing: run 'sharpcam mos prepare' or fix {STUDY_FILE}")
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise SharpcamError(f"{rel}: images must be {', '.join(IMAGE_SUFFIXES)}")
    return path


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise SharpcamError(f"{STUDY_FILE}: {message}")


def _raters(value: object) -> list[str]:
    if isinstance(value, int) and not isinstance(value, bool):
        _check(1 <= value <= 999, "raters must be 1..999 or a list of ids")
        return [f"r{i:02d}" for i in range(1, value + 1)]
    _check(isinstance(value, list) and bool(value), "raters must be a count or a non-empty list of ids")
    bad = [r for r in value if not isinstance(r, str) or not RATER_ID.fullmatch(r)]
    _check(not bad and len(set(value)) == len(value), f"rater ids must be unique, letters/digits/_/- only: {bad}")
    return list(value)


# The schema: each field's JSON type (a study.json with anything else is refused, so a typo such as "rater"
# cannot silently fall back to a default). Semantic checks follow in from_dict.
FIELDS = {"version": int, "name": str, "seed": int, "raters": (int, list), "criteria": list, "versions": list,
          "comparisons": list, "layout": str, "images": list, "prepared": dict}
IMAGE_FIELDS = {"id": str, "category": str, "source": str, "degradation": dict}
MAX_SEED = 2 ** 63  # seeds are hashed with the rater id (train.seeds); beyond this is not a seed but a typo


def _json_type(value: object) -> str:
    return {bool: "true/false", int: "an integer", float: "a number", str: "text", list: "a list",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)


def _check_schema(data: object) -> None:
    """Field names and JSON types of study.json, before any value is used."""
    _check(isinstance(data, dict), "must be a JSON object")
    unknown = sorted(set(data) - set(FIELDS))
    _check(not unknown, f"unknown field(s) {unknown}; the fields are {sorted(FIELDS)}")
    for name, kind in FIELDS.items():
        if name in data and (not isinstance(data[name], kind) or isinstance(data[name], bool)):
            _check(False, f"{name!r} is {_json_type(data[name])}, which it cannot be")
    _check(all(isinstance(v, str) for v in data.get("versions", [])), "versions must be text labels")
    _check(all(isinstance(c, str) for c in data.get("criteria", [])), "criteria must be text")
    _check(all(isinstance(c, list) and all(isinstance(v, str) for v in c) for c in data.get("comparisons", [])),
           "each comparison must be a list of two version labels")
    for item in data.get("images", []):
        _check(isinstance(item, dict), f"each image must be an object with an id, not {_json_type(item)}")
        unknown = sorted(set(item) - set(IMAGE_FIELDS))
        _check(not unknown, f"image {str(item.get('id'))[:40]!r}: unknown field(s) {unknown}")
        for name, kind in IMAGE_FIELDS.items():
            _check(name not in item or isinstance(item[name], kind),
                   f"image {str(item.get('id'))[:40]!r}: {name!r} is {_json_type(item.get(name))}")


def from_dict(root: Path, data: dict) -> Study:
    """Validate a parsed study file; every problem names the field to fix."""
    _check_schema(data)
    _check(data.get("version") == 1, "needs \"version\": 1")
    versions = data.get("versions")
    _check(isinstance(versions, list) and len(versions) >= 2, "versions must list at least two labels")
    _check(all(isinstance(v, str) and VERSION_ID.fullmatch(v) for v in versions) and len(set(versions)) == len(versions),
           "version labels must be unique, letters/digits/_/- only")
    comps = data.get("comparisons") or list(itertools.combinations(versions, 2))
    _check(all(isinstance(c, (list, tuple)) and len(c) == 2 and c[0] != c[1] and set(c) <= set(versions) for c in comps),
           "each comparison must be two different listed versions")
    criteria = data.get("criteria", list(CRITERIA))
    _check(isinstance(criteria, list) and bool(criteria) and set(criteria) <= set(CRITERIA)
           and len(set(criteria)) == len(criteria), f"criteria must be some of {list(CRITERIA)}")
    seed = data.get("seed", 0)
    _check(isinstance(seed, int) and not isinstance(seed, bool) and -MAX_SEED < seed < MAX_SEED,
           "seed must be an integer of at most 18 digits")
    images: dict[str, str] = {}
    for item in data.get("images") or []:
        _check(isinstance(item, dict) and isinstance(item.get("id"), str) and IMAGE_ID.fullmatch(item["id"]) is not None,
               f"bad image entry {item!r}: needs an id of letters/digits/._-")
        _check(item["id"] not in images, f"image id {item['id']} is listed twice")
        images[item["id"]] = str(item.get("category") or "uncategorized")
    _check(bool(images), "images must list at least one image")
    layout = data.get("layout", DEFAULT_LAYOUT)
    _check(isinstance(layout, str) and "{id}" in layout and "{version}" in layout,
           "layout must contain {id} and {version}")
    study = Study(root, str(data.get("name") or root.name), seed, _raters(data.get("raters", 1)), list(versions),
                  [tuple(c) for c in comps], images, list(criteria), layout)
    try:
        layout.format(id="x", version="y")
    except (KeyError, IndexError, ValueError, AttributeError) as err:
        _check(False, f"layout {layout!r} may name only {{id}} and {{version}} ({type(err).__name__}: {err})")
    for image, version in itertools.product(images, versions):
        study.image_path(image, version)  # fail now, not in front of a rater
    return study


def load_study(path: Path) -> Study:
    """A study directory (or its study.json)."""
    path = Path(path)
    file = path if path.is_file() else path / STUDY_FILE
    if not file.is_file():
        raise SharpcamError(f"no study at {path} (missing {STUDY_FILE}): build one with "
                            "'sharpcam mos prepare IMAGES --out DIR'")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as err:  # ValueError: bad JSON, bad UTF-8, an integer of 4300+ digits
        what = "nested too deeply" if isinstance(err, RecursionError) else str(err)[:200]
        raise SharpcamError(f"{file} is not valid JSON ({what}); fix or rebuild it") from err
    return from_dict(file.parent, data)
