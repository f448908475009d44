"""Bit-exact outputs of the shipped graphs on the built-in clip: a refactor must not change a single bit.

The digests below were recorded from the code at commit 35df64d (before issue 18's runtime regrouping), on
this repository's engines/ graphs. Each one hashes every output pixel of a run, so a changed resize, blend,
state hand-over, tile seam or sink conversion fails here. If a graph in engines/ is re-exported on purpose,
record the digests again (run this file with RECORD=1 to print them) and say why in the commit.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ROOT / "engines"
ASSETS = ROOT / "runtime" / "assets"
FRAMES = 6

# recorded at commit 35df64d
EXPECTED = {
    "ort_480p_strength1": "84fabaed17b520376a9c845e99ce3080183930a08946a6ff6dcf274534d7c10d",
    "ort_480p_strength0.5": "f3ee44e810dfa8580a5e888ca0918341ebf5f0d2a20ddaf4c4fbb9008a82d245",
    "ort_any_size_320x240": "1d867e0032b9da5a4a6511b49fbb3eea6164e61a41cdda1b0dffd92e125662dd",
    "openvino_f32_480p": "e5257961c0a36fbdfef1b880ef2b76ad966a2fd5bb88560fca687f377aae68fc",
    "sharpen_face_tiled": "52864e08d8633f7b15b1ec7e731935e13f66a94cca893809f16d7bcc2f3a7da7",
    "cam_cli_folder_sink": "84fabaed17b520376a9c845e99ce3080183930a08946a6ff6dcf274534d7c10d",
    # recorded when --still-average (runtime/still_regions.py) became the default, at its val-chosen setting
    "cam_cli_folder_sink_still_average": "70806cf00c60304ec1bee3947ec5ef930a05df5016674f413effd799f14d4c9e",
}


def digest(images) -> str:
    h = hashlib.sha256()
    for image in images:
        h.update(str(image.shape).encode())
        h.update(np.ascontiguousarray(image).tobytes())
    return h.hexdigest()


def check(key: str, images) -> None:
    got = digest(images)
    if os.environ.get("RECORD"):
        print(f'    "{key}": "{got}",')
    assert got == EXPECTED[key], f"{key}: outputs changed (sha256 {got})"


def clip_frames(size=(640, 480)) -> list[np.ndarray]:
    from runtime.sources import BuiltinClip
    clip = BuiltinClip(size)
    return [clip.read() for _ in range(FRAMES)]


def through_pipeline(backend, size=(640, 480)) -> list[np.ndarray]:
    """The built-in clip's first frames through the real pipeline (lossless queues) into a collecting sink."""
    from runtime.pipeline import Pipeline, PipelineConfig
    from runtime.sinks.base import Sink
    from runtime.sources import BuiltinClip

    class Collect(Sink):
        name = "collect"

        def __init__(self):
            self.frames = []

        def write(self, frame, original=None, status="", name=None):
            self.frames.append(frame.copy())
            return True

        def close(self):
            pass

    sink = Collect()
    Pipeline(BuiltinClip(size), backend, sink, PipelineConfig(max_frames=FRAMES, print_every=0)).run()
    return sink.frames


def onnx(path: Path, strength: float = 1.0):
    from runtime.backends.onnxruntime import OnnxBackend
    return OnnxBackend(path, threads=1, device="cpu", strength=strength)


@pytest.mark.parametrize("strength", [1.0, 0.5])
def test_frame_graph_through_the_pipeline(strength):
    backend = onnx(ENGINES / "webcam_480p.onnx", strength)
    check(f"ort_480p_strength{strength:g}", through_pipeline(backend))


def test_any_size_graph_carries_its_state():
    backend = onnx(ENGINES / "webcam.onnx")
    check("ort_any_size_320x240", [backend.collect(backend.submit(f))[0] for f in clip_frames((320, 240))])


def test_openvino_f32_frame_graph():
    pytest.importorskip("openvino")
    from runtime.backends.openvino import OpenVinoBackend
    backend = OpenVinoBackend(ENGINES / "webcam_480p.onnx", threads=1, precision="f32")
    check("openvino_f32_480p", [backend.collect(backend.submit(f))[0] for f in clip_frames()])


def test_sharpen_tiles_an_asset_image():
    from runtime.sharpen import RealTimeSharpener
    image = cv2.imread(str(ASSETS / "face.jpg"))
    sharpener = RealTimeSharpener(ENGINES / "webcam.onnx", tile=256, threads=1)
    check("sharpen_face_tiled", [sharpener.sharpen(image)])


@pytest.mark.parametrize("still_average", ["off", "on"])
def test_cam_command_line_into_a_folder(tmp_path, still_average):
    """Off: exactly the model's frames through the pipeline; on (the default): the still-region average on them."""
    from runtime.cam import main
    main(["--source", "builtin", "--model", str(ENGINES / "webcam_480p.onnx"), "--threads", "1",
          "--sink", f"{tmp_path}/", "--frames", str(FRAMES), "--quiet", "--still-average", still_average])
    written = sorted(tmp_path.glob("*.png"))
    assert len(written) == FRAMES
    key = "cam_cli_folder_sink" + ("_still_average" if still_average == "on" else "")
    check(key, [cv2.imread(str(p)) for p in written])
