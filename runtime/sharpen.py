"""Sharpen image files and folders, keeping their names, and the report's Python API.

    sharpcam sharpen photo.jpg scans/ -o sharpened/       # files, and the images of a folder
    sharpcam sharpen photo.jpg -o photo_sharp.jpg          # one image: that file
    sharpcam sharpen photos/ -o out/ --recursive           # subfolders too, their layout kept
    sharpcam sharpen photos/ -o out/ --ext webp --quality 85 --suffix _sharp
    sharpcam sharpen photo.jpg -o out/ --model seed        # a name (or a path) of a graph
    sharpcam sharpen photo.jpg -o out/ --strength 0.5

    from runtime.sharpen import ImageSharpener      # RealTimeSharpener: its former name, kept for the API
    ImageSharpener().sharpen_image('in.jpg', 'out.jpg')                # the default student
    ImageSharpener('fast', strength=0.7).sharpen_image('in.jpg', 'out.jpg')

The backend is chosen as 'sharpcam cam' chooses it (runtime/backends/factory.py): a named --model runs on
ONNX Runtime (or OpenVINO with --backend openvino), --engine on its engine; otherwise OpenVINO where it
is installed (the student's frame graph, the lowest CPU cost), else ONNX Runtime's any-size float graph.
Any size: large images are processed in overlapping tiles so memory stays bounded; a fixed-size frame graph
or engine sets the tile size, and OpenVINO gets each tile padded up to a multiple of 16 pixels (it compiles
once per size: a few sizes per image size, not one per tile shape).
Files come out like they went in: a phone photo's EXIF orientation is applied to the pixels (the copied
EXIF then says 1, so nothing turns it twice), all EXIF, XMP and the ICC colour profile are kept (JPEG, PNG,
WebP), a JPEG keeps its quality (estimated from its tables) and chroma subsampling, a lossy WebP stays lossy,
a palette PNG keeps its palette and gray+alpha stays gray+alpha (runtime/image_files.py).
A picture without sensor noise or codec blocks (a soft scan, a render, a downscaled photo) is sharpened by the
clean-blur student, which does more for it (--clean-source auto, runtime/route.py; off: always --student).
Grayscale stays grayscale; an alpha channel is kept as it was. 16-bit images stay 16-bit: the model is
8-bit, so it runs on the image rounded to 8 bits and its correction (output - input, in 8-bit units, x257)
is added to the 16-bit data, which keeps the fine gradations the model leaves alone.
Each output is written under a temporary name in its folder, then renamed: a killed run never leaves a
truncated image under a final name. A file that cannot be read or written (or is damaged: a JPEG cut
short) is reported and skipped; the exit status is 1 when any was. Ctrl-C, SIGTERM and SIGHUP stop after
removing the temporary file, with status 130/143/129.
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

import numpy as np

from runtime.artifacts import (CLEAN_STUDENT, DEFAULT_STUDENT, ROUTED_STUDENTS, SHIPPED_STUDENTS, graph_name,
                                model_arg, resolve_model)
from runtime.backends.base import Backend, strength_arg
from runtime.backends.routed import CleanPictures
from runtime.backends.factory import BACKENDS, Request, open_backend
from runtime.contract import DEFAULT_STRENGTH
from runtime.entry import exit_on_user_error, int_between, name_part, path_arg, threads
from runtime.errors import SharpcamError
from runtime.files import write_bytes_atomic
from runtime.image_meta import apply_orientation, is_animated, orientation, read_info
from runtime.image_files import decode, encode, read_image_file
from runtime.imaging import IMAGE_SUFFIXES, opencv, pad_to_size
from runtime.route import MODES as CLEAN_SOURCE_MODES
from runtime.sharpen_jobs import ext_arg, plan

DEFAULT_TILE, DEFAULT_OVERLAP = 512, 16
# `sharpcam sharpen`'s automatic choice takes OpenVINO from this many images on: it spends ~0.66x ONNX Runtime's
# CPU time per 800x600 photo but ~0.5 s to import and compile first; measured with 3 photos 1.85 s vs 0.94 s
# wall, with 30 photos 4.5 s vs 4.6 s (2-core EPYC, loaded; the issue-18 closing note).
OPENVINO_FROM = 30
# A backend that compiles per size gets sides rounded up to this: a few % more pixels on edge tiles (the same
# CPU time per 800x600 photo as no rounding, measured), a bounded set of sizes, and a folder of same-size
# photos compiles at most nine (first, middle and last tiles across times down).
COMPILE_STEP = 16


class ImageSharpener:
    """Sharpen still images, tile by tile (an offline job; the camera's path is runtime.cam's).

    The backend comes from the factory: `model` (an ONNX graph) or `engine` (a compiled engine), each a path
    or a name ('fast', 'webcam_480p'), else the best candidate for `student` within the `backend` family. A
    fixed-size graph or engine sets the tile size (edge tiles are padded to it). `clean_source` "auto": a
    picture without noise or codec blocks runs the clean-blur student (runtime/route.py), opened when first
    needed, where the student is one it beats on clean blur and no model or engine file was named."""

    def __init__(self, model: str | Path | None = None, tile: int = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP,
                 threads: int = 0, engine: str | Path | None = None, strength: float = DEFAULT_STRENGTH,
                 student: str = DEFAULT_STUDENT, backend: str = "auto", clean_source: str = "auto") -> None:
        request = Request(None, student, threads, strength, backend=backend,
                          engine=resolve_model(engine) if engine is not None else None,
                          model=resolve_model(model) if model else None)
        self.backend, self.why = open_backend(request)
        routes = clean_source == "auto" and model is None and engine is None and student in ROUTED_STUDENTS
        clean = Request(None, CLEAN_STUDENT, threads, strength, backend=backend)
        self.pictures = CleanPictures(self.backend, lambda: open_backend(clean)[0], routes)
        if self.backend.size is None:
            check_tile(tile, overlap, self.backend.multiple)
        # (width, height) every model call gets, or None: each tile at its own size
        self.fixed = self.backend.size  # (width, height) every call must have, or None
        self.step = COMPILE_STEP if self.backend.compiles_per_size else 1  # sides rounded up to multiples of it
        if self.fixed is not None and min(self.fixed) <= 2 * overlap:
            raise SharpcamError(f"the model's {self.fixed} frame is too small to tile with overlap {overlap}")
        self.tile, self.overlap = tile, overlap

    def sharpen(self, image: np.ndarray) -> np.ndarray:
        """HxW (gray), HxWx3 (BGR) or HxWx4 (BGRA) uint8 in, same shape out."""
        if image.dtype != np.uint8:
            raise SharpcamError(f"expected an 8-bit image, got {image.dtype}")
        if image.ndim == 2:
            gray = self._run(np.repeat(image[..., None], 3, axis=2))
            return opencv().cvtColor(gray, opencv().COLOR_BGR2GRAY)
        if image.ndim == 3 and image.shape[2] == 4:
            return np.dstack([self._run(np.ascontiguousarray(image[..., :3])), image[..., 3]])
        if image.ndim == 3 and image.shape[2] == 3:
            return self._run(image)
        raise SharpcamError(f"unsupported image shape {image.shape}")

    def _infer(self, bgr: np.ndarray, backend: Backend) -> np.ndarray:
        """One call of the model; the tile padded (reflected) to a fixed-size model's size, or up to
        multiples of `step`. Every tile is a still picture of its own: the temporal filter is reset so nothing
        blends across tiles."""
        backend.reset()
        h, w = bgr.shape[:2]
        step = self.step
        size = self.fixed if self.fixed is not None else (-(-w // step) * step, -(-h // step) * step)
        picture = pad_to_size(bgr, size) if (w, h) != tuple(size) else np.ascontiguousarray(bgr)
        result = backend.collect(backend.submit(picture))[0]
        if result.shape != picture.shape:
            raise SharpcamError(f"the model gave a {result.shape[1]}x{result.shape[0]} picture for a "
                                f"{picture.shape[1]}x{picture.shape[0]} one; sharpen needs a graph that keeps "
                                "the size (a sharpcam student's)")
        return result[:h, :w]

    def _run(self, bgr: np.ndarray) -> np.ndarray:
        backend = self.pictures.backend_for(bgr)
        h, w = bgr.shape[:2]
        tile_w, tile_h = self.fixed if self.fixed is not None else (self.tile, self.tile)
        if h <= tile_h and w <= tile_w:
            return self._infer(bgr, backend)
        out = np.empty_like(bgr)
        ov = self.overlap
        step_y, step_x = tile_h - 2 * ov, tile_w - 2 * ov
        for y in range(0, h, step_y):
            for x in range(0, w, step_x):
                y0, x0 = max(y - ov, 0), max(x - ov, 0)
                y1, x1 = min(y + step_y + ov, h), min(x + step_x + ov, w)
                result = self._infer(bgr[y0:y1, x0:x1], backend)
                # keep only the tile's own area: its overlap with neighbours saw a cut-off context
                out[y:min(y + step_y, h), x:min(x + step_x, w)] = result[y - y0:y - y0 + min(step_y, h - y),
                                                                          x - x0:x - x0 + min(step_x, w - x)]
        return out

    def sharpen_any_depth(self, image: np.ndarray) -> np.ndarray:
        """sharpen(), and 16-bit images too: the 8-bit correction applied to the 16-bit data."""
        if image.dtype != np.uint16:
            return self.sharpen(image)
        low = ((image.astype(np.uint32) + 128) // 257).astype(np.uint8)
        correction = self.sharpen(low).astype(np.int32) - low
        if image.ndim == 3 and image.shape[2] == 4:
            correction[..., 3] = 0  # alpha is kept as it was
        return np.clip(image + correction * 257, 0, 65535).astype(np.uint16)

    def sharpen_image(self, src: str | Path, dst: str | Path, quality: int | None = None) -> None:
        """One file to another, written atomically (temporary file in dst's folder, then renamed), like the
        input: EXIF orientation applied, metadata and colour profile kept, its format's quality
        (runtime/image_write.py); `quality` (1-100) overrides for JPEG and WebP."""
        src, dst = Path(src), Path(dst)
        data = read_image_file(src)
        info = read_info(data)
        if info.truncated:
            raise SharpcamError(f"{src}: damaged (the {info.format.upper()} file ends early, cut off)")
        image, decoder_said = decode(data)
        if image is None:
            raise SharpcamError(f"{src}: not an image this build can decode (damaged, or not really "
                                f"{src.suffix or 'an image'}{'; ' + decoder_said if decoder_said else ''})")
        if decoder_said:
            print(f"warning: {src}: {decoder_said}", file=sys.stderr)
        if is_animated(data):
            print(f"warning: {src} is animated; only its first frame is sharpened (a still is written)",
                  file=sys.stderr)
        image = apply_orientation(image, orientation(info.exif))
        write_bytes_atomic(dst, encode(self.sharpen_any_depth(image), dst.suffix, info, quality))


RealTimeSharpener = ImageSharpener  # the name the report's Python API used; kept for existing scripts


def check_tile(tile: int, overlap: int = DEFAULT_OVERLAP, multiple: int = 1) -> int:
    """A tile keeps 2*overlap of context; the model needs sides in multiples of its pixel-unshuffle scale."""
    if tile <= 2 * overlap or tile % max(multiple, 1):
        raise SharpcamError(f"--tile must be larger than {2 * overlap} (twice the overlap) and a multiple of "
                            f"{multiple}; got {tile}")
    return tile


def tile_arg(text: str) -> int:
    """argparse type for --tile (the model's own multiple is checked again once it is loaded)."""
    try:
        return check_tile(int(text), DEFAULT_OVERLAP, multiple=8)
    except (ValueError, SharpcamError) as err:
        raise argparse.ArgumentTypeError(f"tile must be a whole number above {2 * DEFAULT_OVERLAP} and a "
                                         f"multiple of 8, not {text!r}") from err


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="sharpcam sharpen", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", type=path_arg("an input"), help="image files and folders of images")
    p.add_argument("-o", "--out", type=path_arg("-o/--out"), required=True,
                   help="output folder (file names are kept), or, for one input image, the file to write "
                        "(-o sharp.jpg)")
    p.add_argument("-r", "--recursive", action="store_true",
                   help="also take the images of a folder's subfolders, keeping their layout (default: only "
                        "the folder's own images)")
    p.add_argument("--ext", type=ext_arg, default="auto",
                   help="output format: auto (each input's own), jpg, png, webp, bmp or tif (default: %(default)s)")
    p.add_argument("--suffix", type=name_part("--suffix"), default="", help="added to each output's name: photo.jpg -> photo_SUFFIX.jpg "
                                                "with --suffix _SUFFIX (default: none, names kept)")
    p.add_argument("--quality", type=int_between(1, 100), default=None,
                   help="JPEG/WebP quality 1-100 (default: the input's own, estimated from a JPEG's tables; "
                        "80 for a lossy WebP; lossless inputs stay lossless)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress and no line per image; errors only")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--student", default=DEFAULT_STUDENT,
                       help="which student's any-size graph, as in 'sharpcam cam' (default: %(default)s)")
    group.add_argument("--model", type=model_arg,
                       help="ONNX graph: a path or a name such as 'fast' or 'webcam_480p' "
                            f"(default: the student's graphs, e.g. {graph_name(DEFAULT_STUDENT)})")
    group.add_argument("--engine", type=model_arg,
                       help="TensorRT engine (path or name); images are tiled to its frame size")
    p.add_argument("--tile", type=tile_arg, default=DEFAULT_TILE,
                   help="tile side for large images, above twice the 16-pixel overlap and a multiple of 8 "
                        "(default: %(default)s)")
    p.add_argument("--threads", type=threads, default=0, help="CPU inference threads (0: all cores) "
                                                          "(default: %(default)s)")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="inference engine: auto picks ONNX Runtime for fewer than %d images (OpenVINO's ~0.5 s "
                        "start-up costs more than it saves there) and OpenVINO where installed for more "
                        "(default: %%(default)s)" % OPENVINO_FROM)
    p.add_argument("--strength", type=strength_arg, default=DEFAULT_STRENGTH,
                   help="0 = the image as it is, 1 = the full correction (default: %(default)s)")
    p.add_argument("--clean-source", choices=CLEAN_SOURCE_MODES, default="auto",
                   help="auto: a picture without sensor noise or codec blocks (a soft scan, a render, a "
                        "downscaled photo) runs the clean-blur student (fast), which sharpens it more; off: "
                        "every picture runs --student (default: %(default)s)")
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    """Sharpen every job; returns how many failed (each reported on stderr as it happens)."""
    from tqdm import tqdm
    found = plan(args.inputs, args.out, args.recursive, args.ext, args.suffix)
    for note in found.notes:
        print(f"note: {note}", file=sys.stderr)
    if not found.jobs:
        raise SharpcamError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {', '.join(map(str, args.inputs))}")
    # a shipped student's files are the factory's to choose; any other name is a graph of the user's own
    own = args.model is None and args.engine is None and args.student not in SHIPPED_STUDENTS
    model = resolve_model(args.student) if own else args.model
    backend = args.backend
    if backend == "auto" and len(found.jobs) < OPENVINO_FROM:
        backend = "onnxruntime"  # the job is too short for OpenVINO's start-up to pay back (see OPENVINO_FROM)
    sharpener = ImageSharpener(model, tile=args.tile, threads=args.threads, engine=args.engine,
                               strength=args.strength, student=args.student, backend=backend,
                               clean_source=args.clean_source)
    failed = done = 0
    quiet_bar = args.quiet or len(found.jobs) < 2
    try:
        with tqdm(found.jobs, unit="image", disable=quiet_bar or None, file=sys.stderr) as bar:
            for src, dst in bar:
                try:
                    sharpener.sharpen_image(src, dst, args.quality)
                    done += 1
                    if not args.quiet:
                        bar.write(f"{src} -> {dst}", file=sys.stdout)
                except SharpcamError as err:
                    failed += 1
                    said = str(err) if str(src) in str(err) else f"{src}: {err}"  # every line names its file
                    bar.write(f"error: {said}; skipped", file=sys.stderr)
    except KeyboardInterrupt as stop:
        print(f"stopped ({stop or 'Ctrl-C'}): {done} of {len(found.jobs)} images written, each whole; "
              "no partial file left", file=sys.stderr)
        raise
    if failed:
        print(f"{failed} of {len(found.jobs)} images failed (listed above)", file=sys.stderr)
    return failed


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled like Ctrl-C: the image being written is abandoned (its temporary file
    removed by runtime/files.py) and the run ends with the shell's status for the signal."""


def stop_on_signal(signum: int, _frame) -> None:
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)  # the clean-up must not be cut short by a second signal
    raise Stopped(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    previous = {s: signal.signal(s, stop_on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        failed = exit_on_user_error(lambda: run(args))  # a user error: one line, exit 2
    except KeyboardInterrupt as stop:
        sys.exit(128 + (signal.Signals[str(stop)].value if isinstance(stop, Stopped) else signal.SIGINT))
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if failed:
        sys.exit(1)  # some images could not be done; the rest were written


if __name__ == "__main__":
    main()
