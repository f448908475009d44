"""`make corpus`: build the default training/evaluation corpus offline, from sources named by package.

Sources: the images bundled in scikit-image (and matplotlib's sample portrait), Debian's
mate-backgrounds and gnome-backgrounds, and text pages rendered from real text with the fonts in
fonts-dejavu-core and fonts-freefont-ttf (translations from iso-codes). Debian packages are fetched
with `apt-get download` and unpacked with `dpkg-deb -x`; nothing is installed system-wide.
Any folder of images can be added with --extra DIR[:CATEGORY].

Output: DIR/images/*.png (views of at most 640x480, sides a multiple of 8) and DIR/manifest.json with
category, source group and a deterministic train/val/test split (whole groups go to one split).

Reserved for independent evaluation and never used here: plasma-workspace-wallpapers,
lomiri-wallpapers*, ukui-wallpapers, debmake-doc, and the images in face_recognition and insightface.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from runtime.entry import check_writable_dir, exit_on_user_error, int_at_least, path_arg
from runtime.files import write_text_atomic
from runtime.errors import SharpcamError
from train.images import IMAGE_SUFFIXES, LoadReport, list_images, read_rgb
from train.textpages import PageRenderer, font_table

CATEGORIES = ("text", "nature", "people", "animals", "graphics")
DEBIAN_PACKAGES = ("mate-backgrounds", "gnome-backgrounds", "fonts-dejavu-core", "fonts-freefont-ttf", "iso-codes")
VIEW = (640, 480)
RESERVED = ("plasma-workspace-wallpapers", "lomiri-wallpapers", "ukui-wallpapers", "debmake-doc",
            "face_recognition", "insightface")

SKIMAGE = {
    "astronaut.png": "people", "camera.png": "people", "chelsea.png": "animals",
    "coffee.png": "nature", "rocket.jpg": "nature", "motorcycle_left.png": "nature",
    "hubble_deep_field.jpg": "nature", "moon.png": "nature", "grass.png": "nature",
    "gravel.png": "nature", "brick.png": "nature", "coins.png": "nature",
    "page.png": "text", "text.png": "text",
    "logo.png": "graphics", "color.png": "graphics", "chessboard_RGB.png": "graphics", "phantom.png": "graphics",
}
MATE_ANIMALS = {"LadyBird.jpg"}
SKIP_FILES = {"Elephants_3840x2160.jpg", "Elephants_5640x3172.jpg", "vnc-d.webp", "vnc-l.webp"}


@dataclass
class Entry:
    id: str
    file: str
    category: str
    group: str
    source: str
    split: str = ""


def fetch_debian(packages: tuple[str, ...], cache: Path) -> Path:
    """Download and unpack Debian packages into cache/root; return that root."""
    debs, root = cache / "debs", cache / "root"
    debs.mkdir(parents=True, exist_ok=True)
    for pkg in packages:
        if not list(debs.glob(f"{pkg}_*.deb")):
            _apt_download(pkg, debs)
        deb = sorted(debs.glob(f"{pkg}_*.deb"))[-1]
        if not (root / ".unpacked" / deb.name).exists():
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
            (root / ".unpacked").mkdir(parents=True, exist_ok=True)
            (root / ".unpacked" / deb.name).touch()
    return root


def _apt_download(pkg: str, dest: Path) -> None:
    def attempt() -> subprocess.CompletedProcess:
        return subprocess.run(["apt-get", "download", pkg], cwd=dest, capture_output=True, text=True)

    if shutil.which("apt-get") is None:
        raise SharpcamError(f"apt-get not found: the default corpus needs Debian package '{pkg}'; "
                            "use --no-debian and --extra DIR to build from your own images")
    result = attempt()
    if result.returncode != 0:  # a fresh machine has no package lists yet
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
        result = attempt()
    if result.returncode != 0:
        raise SharpcamError(f"apt-get download {pkg} failed: {result.stderr.strip()[-300:]}; "
                            "run 'apt-get update' as root, or build with --no-debian --extra DIR")


def views(img: np.ndarray, detail: bool) -> list[tuple[str, np.ndarray]]:
    """A downscaled whole view (never upscaled), plus native-resolution crops of big images."""
    h, w = img.shape[:2]
    out = [("full", _cover(img))]
    if detail and h >= 2 * VIEW[1] and w >= 2 * VIEW[0]:
        for name, fy, fx in (("detail1", 1 / 3, 1 / 3), ("detail2", 2 / 3, 2 / 3)):
            y, x = int((h - VIEW[1]) * fy), int((w - VIEW[0]) * fx)
            out.append((name, img[y:y + VIEW[1], x:x + VIEW[0]]))
    return [(n, _crop8(v)) for n, v in out if v.astype(np.float32).std() > 6.0]  # skip near-flat views


def _cover(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    scale = max(VIEW[0] / w, VIEW[1] / h)
    if scale < 1:
        size = (max(VIEW[0], round(w * scale)), max(VIEW[1], round(h * scale)))
        img = np.asarray(Image.fromarray(img).resize(size, Image.Resampling.LANCZOS))
        h, w = img.shape[:2]
    th, tw = min(h, VIEW[1]), min(w, VIEW[0])
    y, x = (h - th) // 2, (w - tw) // 2
    return img[y:y + th, x:x + tw]


def _crop8(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return np.ascontiguousarray(img[: h - h % 8, : w - w % 8])


def collect_sources(deb_root: Path | None, extras: list[tuple[Path, str]]) -> list[tuple[Path, str, str]]:
    """(path, category, source) for every photographic/graphic source image."""
    import matplotlib
    import skimage

    skdir = Path(skimage.__file__).parent / "data"
    found = [(skdir / n, c, "scikit-image") for n, c in SKIMAGE.items() if (skdir / n).exists()]
    hopper = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    if hopper.exists():
        found.append((hopper, "people", "matplotlib"))
    if deb_root is not None:
        mate = deb_root / "usr/share/backgrounds/mate"
        for p in list_images(mate):
            cat = "animals" if p.name in MATE_ANIMALS else "nature" if p.parent.name == "nature" else "graphics"
            found.append((p, cat, "mate-backgrounds"))
        found += [(p, "graphics", "gnome-backgrounds") for p in list_images(deb_root / "usr/share/backgrounds/gnome")]
    for folder, cat in extras:
        if any(r in str(folder) for r in RESERVED):
            raise SharpcamError(f"{folder} is reserved for independent evaluation; do not train on it")
        images = list_images(folder)
        if not images:
            raise SharpcamError(f"--extra {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}); "
                                "check the folder")
        found += [(p, cat, f"extra:{folder.name}") for p in images]
    return [f for f in found if f[0].name not in SKIP_FILES]


def group_of(path: Path) -> str:
    """Light/dark variants of one design share a group, so they land in the same split."""
    stem = path.stem
    for suffix in ("-d", "-l", "-Dark", "-Light"):
        stem = stem.removesuffix(suffix)
    return f"{path.parent.name}/{stem}"


def assign_splits(entries: list[Entry]) -> None:
    """Deterministic, per category, by whole group: 1 in 7 groups test, 1 in 7 val, the rest train."""
    for cat in CATEGORIES:
        groups = sorted({e.group for e in entries if e.category == cat},
                        key=lambda g: hashlib.sha1(g.encode()).hexdigest())
        split = {g: "test" if i % 7 == 0 else "val" if i % 7 == 4 else "train" for i, g in enumerate(groups)}
        for e in entries:
            if e.category == cat:
                e.split = split[e.group]


def build_corpus(out: Path, cache: Path, text_pages: int = 36, debian: bool = True,
                 extras: list[tuple[Path, str]] | None = None, detail: bool = True) -> list[Entry]:
    """Write out/images/*.png and out/manifest.json; return the entries."""
    deb_root = fetch_debian(DEBIAN_PACKAGES, cache) if debian else None
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    entries: list[Entry] = []
    report = LoadReport()
    for path, cat, source in tqdm(collect_sources(deb_root, extras or []), desc="images", unit="img"):
        img = read_rgb(path, report, min_side=160)
        if img is None:
            continue
        group = group_of(path)
        for view_name, view in views(img, detail):
            ident = f"{source.split(':')[0]}-{group.replace('/', '-')}-{path.stem}-{view_name}".lower()
            Image.fromarray(view).save(images / f"{ident}.png")
            entries.append(Entry(ident, f"images/{ident}.png", cat, f"{source}/{group}", source))
    report.warn()
    if text_pages:
        entries += _render_text(images, deb_root, text_pages)
    if not entries:
        raise SharpcamError("the corpus is empty: no readable image of at least 160 px was found")
    assign_splits(entries)
    manifest = {"version": 1, "categories": list(CATEGORIES), "entries": [asdict(e) for e in entries]}
    write_text_atomic(out / "manifest.json", json.dumps(manifest, indent=1))
    return entries


def _render_text(images: Path, deb_root: Path | None, count: int) -> list[Entry]:
    if deb_root is None:
        raise SharpcamError("text pages need the Debian font packages; drop --no-debian or use --text-pages 0")
    renderer = PageRenderer(font_table(deb_root / "usr/share/fonts/truetype"), deb_root / "usr/share/locale")
    entries = []
    for i in tqdm(range(count), desc="text pages", unit="page"):
        ident = f"text-page{i:03d}"
        renderer.render(i).save(images / f"{ident}.png")
        entries.append(Entry(ident, f"images/{ident}.png", "text", f"render/page{i:03d}", "rendered-text"))
    return entries


# A tiny corpus from photographs scikit-image ships, written in seconds: tests and `make gpu-check`.
SAMPLE_ITEMS = [  # (file, category, split)
    ("astronaut.png", "people", "train"), ("coffee.png", "nature", "train"),
    ("chelsea.png", "animals", "train"), ("rocket.jpg", "nature", "train"),
    ("camera.png", "people", "val"), ("logo.png", "graphics", "test"), ("motorcycle_left.png", "nature", "test"),
]


def write_sample_corpus(root: Path, items: list[tuple[str, str, str]] = SAMPLE_ITEMS, size: int = 160) -> Path:
    """Centre crops of `size` px (multiples of 8), RGB, plus a manifest in the corpus format."""
    import skimage
    folder = Path(skimage.__file__).parent / "data"
    (root / "images").mkdir(parents=True, exist_ok=True)
    entries = []
    for name, cat, split in items:
        img = np.asarray(Image.open(folder / name).convert("RGB"))
        h, w = img.shape[:2]
        y, x = (h - size) // 2, (w - size) // 2
        ident = Path(name).stem
        Image.fromarray(img[y:y + size, x:x + size]).save(root / "images" / f"{ident}.png")
        entries.append({"id": ident, "file": f"images/{ident}.png", "category": cat, "group": ident,
                        "source": "scikit-image", "split": split})
    write_text_atomic(root / "manifest.json", json.dumps({"version": 1, "entries": entries}))
    return root


def load_manifest(corpus: Path) -> list[Entry]:
    path = corpus / "manifest.json"
    if path.exists() and not path.is_file():  # a folder, or a FIFO that would block the read for ever
        raise SharpcamError(f"{path} is not a regular file; rebuild the corpus with 'make corpus' or "
                            f"'python -m train.corpus --out {corpus}'")
    if not path.exists():
        raise SharpcamError(f"no corpus at {corpus} (missing manifest.json): run 'make corpus' or "
                            f"'python -m train.corpus --out {corpus}'")
    try:
        entries = [Entry(**e) for e in json.loads(path.read_text())["entries"]]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as err:
        raise SharpcamError(f"{path} is malformed ({type(err).__name__}: {err}); rebuild it with 'make corpus' or "
                            f"'python -m train.corpus --out {corpus}'") from err
    if not entries:
        raise SharpcamError(f"{path} lists no images: rebuild the corpus")
    return entries


def summary(entries: list[Entry]) -> str:
    rows = ["category   train  val  test"]
    for cat in CATEGORIES:
        n = {s: sum(e.category == cat and e.split == s for e in entries) for s in ("train", "val", "test")}
        rows.append(f"{cat:<10} {n['train']:>5} {n['val']:>4} {n['test']:>5}")
    return "\n".join(rows)


def _parse_extra(spec: str) -> tuple[Path, str]:
    folder, _, cat = spec.partition(":")
    cat = cat or "nature"
    if cat not in CATEGORIES:
        raise argparse.ArgumentTypeError(f"category must be one of {CATEGORIES}")
    if not folder.strip():
        raise argparse.ArgumentTypeError(f"{spec!r} names no folder; give DIR or DIR:CATEGORY")
    if not Path(folder).is_dir():  # silently adding nothing would build a corpus without the user's images
        raise argparse.ArgumentTypeError(f"{folder} is not a folder (missing, or a file); give a folder of images")
    return Path(folder), cat


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=path_arg("--out"), default=Path("data/corpus"), help="corpus folder (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=Path("data/cache/debian"), help="where .deb files are kept")
    parser.add_argument("--text-pages", type=int_at_least(0), default=36, help="rendered text pages (default: %(default)s)")
    parser.add_argument("--no-debian", action="store_true", help="skip the Debian packages (no backgrounds, no text)")
    parser.add_argument("--no-detail", action="store_true", help="only whole views, no native-resolution crops")
    parser.add_argument("--extra", type=_parse_extra, action="append", default=[],
                        metavar="DIR[:CATEGORY]", help="add a folder of images (e.g. DIV2K), category default nature")
    args = parser.parse_args(argv)

    def run() -> None:
        check_writable_dir(args.out, "--out")
        entries = build_corpus(args.out, args.cache, args.text_pages, not args.no_debian, args.extra, not args.no_detail)
        print(f"wrote {len(entries)} images to {args.out}\n{summary(entries)}")
    exit_on_user_error(run)


if __name__ == "__main__":
    main()
