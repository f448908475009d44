"""Scene cuts (runtime/scene_cut.py): stills and pans are one scene, another picture is a cut; the pipeline
resets the model's temporal state there (and not with --cut-reset off); the built-in clip's two cuts are found."""
from __future__ import annotations

import json

import cv2
import numpy as np

from runtime.pipeline import Pipeline, PipelineConfig
from runtime.scene_cut import SceneCuts
from runtime.sinks.base import NullSink
from tests.pass_through import PassThrough


def picture(seed: int, size: tuple[int, int] = (400, 300)) -> np.ndarray:
    """A photo-like picture: smooth blobs of random grey levels (each seed its own levels)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
    return cv2.resize(small, size, interpolation=cv2.INTER_CUBIC)


def noisy(img: np.ndarray, seed: int) -> np.ndarray:
    return np.clip(img + np.random.default_rng(seed).normal(0, 3, img.shape), 0, 255).astype(np.uint8)


def test_a_still_scene_with_fresh_noise_and_a_pan_are_one_scene() -> None:
    cuts = SceneCuts()
    big = picture(0, (480, 300))
    frames = [noisy(big[:, :400], i) for i in range(5)] + [big[:, 8 * t:8 * t + 400] for t in range(10)]
    assert [cuts(f) for f in frames] == [False] * 15 and cuts.cuts == 0


def test_another_picture_is_a_cut_and_a_reset_forgets_the_last_frame() -> None:
    cuts = SceneCuts()
    a = picture(1) // 2
    b = a + 128  # the same layout in other levels (another light, another picture)
    assert [cuts(a), cuts(a), cuts(b), cuts(b)] == [False, False, True, False] and cuts.cuts == 1
    cuts.reset()
    assert cuts(a) is False  # a new stream's first frame


class Frames:
    """A file-like source of given frames (one unbroken stream)."""
    live, fps, frame_count, generation, last_name, last_time, decoder_warnings = False, 30.0, None, 0, None, None, 0

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames, self.size = list(frames), (frames[0].shape[1], frames[0].shape[0])

    def read(self):
        return self.frames.pop(0) if self.frames else None

    def close(self):
        pass


def run(frames: list[np.ndarray], cuts: SceneCuts | None) -> PassThrough:
    backend = PassThrough()
    Pipeline(Frames(frames), backend, NullSink(), PipelineConfig(print_every=0, scene_cuts=cuts)).run()
    return backend


def test_the_pipeline_resets_the_temporal_state_at_a_cut_only_when_asked() -> None:
    frames = [picture(2) // 2] * 3 + [picture(2) // 2 + 128] * 3
    assert run(frames, SceneCuts()).resets == [3]  # before the cut frame ran (three frames had)
    assert run(frames, None).resets == []


def test_cam_finds_the_built_in_clips_two_cuts(tmp_path) -> None:
    from runtime.cam import cli, parse_args
    for flag, expected in (("on", 2), ("off", "off")):
        stats = tmp_path / f"stats_{flag}.json"
        cli(parse_args(["--source", "builtin", "--sink", "null", "--student", "webcam", "--cut-reset", flag,
                        "--stats", str(stats)]))
        assert json.loads(stats.read_text())["scene_cuts"] == expected
