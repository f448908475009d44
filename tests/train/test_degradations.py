"""The degradation interface: two kinds named by a stored `kind`, old configs mapped, params applied by kind."""
from __future__ import annotations

import json

import numpy as np
import pytest
import skimage.data

from runtime.errors import SharpcamError
from train.blur import BENCHMARK, BlurConfig, apply_blur
from train.camera import CAMERA, CameraConfig
from train.checkpoint import load_checkpoint
from train.conditions import condition_params
from train.config import TrainConfig, preset
from train.degrade import KINDS, Degradation, apply, apply_clip, config_from_dict, for_params

PHOTO = np.ascontiguousarray(skimage.data.astronaut()[100:196, 150:278])


@pytest.mark.parametrize("cfg", [BlurConfig(), CameraConfig(benchmark_prob=0.5)], ids=["blur", "camera"])
def test_each_kind_round_trips_through_its_stored_dict_with_its_kind(cfg: Degradation):
    stored = json.loads(json.dumps(TrainConfig(degrade=cfg).to_dict()))["degrade"]
    assert stored["kind"] == cfg.kind and KINDS[cfg.kind] is type(cfg)
    assert config_from_dict(stored) == cfg


def test_a_config_stored_without_kind_maps_to_the_right_kind():
    camera = {k: v for k, v in TrainConfig(degrade=CameraConfig()).to_dict()["degrade"].items() if k != "kind"}
    blur = {k: v for k, v in TrainConfig(degrade=BlurConfig(jpeg_prob=0.3)).to_dict()["degrade"].items()
            if k != "kind"}
    assert config_from_dict(camera) == CameraConfig()
    assert config_from_dict(blur) == BlurConfig(jpeg_prob=0.3)
    with pytest.raises(SharpcamError, match="unknown degradation kind"):
        config_from_dict({"kind": "fog"})


@pytest.mark.parametrize("student, kind", [("webcam", "camera"), ("fast", "blur"), ("seed", "blur")])
def test_shipped_checkpoints_configs_still_load_as_their_kind(student, kind):
    stored = load_checkpoint(f"engines/{student}.pt")["config"]
    assert "kind" not in stored["degrade"], "the shipped checkpoints predate the kind field"
    assert TrainConfig.from_dict(stored).degrade.kind == kind


def test_presets_name_their_kind():
    assert preset("webcam").degrade.kind == "camera"
    assert {preset(p).degrade.kind for p in ("default", "fast", "smoke")} == {"blur"}


def test_parameters_are_applied_by_the_kind_that_drew_them():
    camera, blur = condition_params("office", "img"), BENCHMARK.sample(np.random.default_rng(0))
    assert "noise" in camera
    assert for_params(camera) is CAMERA and for_params(blur) is BENCHMARK
    assert np.array_equal(apply(PHOTO, blur), apply_blur(PHOTO, blur))
    assert np.array_equal(apply(PHOTO, camera), CAMERA.apply(PHOTO, camera))
    assert not np.array_equal(apply(PHOTO, camera), apply(PHOTO, camera, frame=1)), "fresh noise per frame"
    clip = apply_clip([PHOTO] * 2, blur)
    assert np.array_equal(clip[0], clip[1]), "the blur has no per-frame noise"


def test_the_camera_kind_mixes_in_the_benchmark_blur_at_its_share():
    mixed = CameraConfig(benchmark_prob=0.5)
    draws = [mixed.sample(np.random.default_rng(s)) for s in range(200)]
    share = np.mean([for_params(p) is BENCHMARK for p in draws])
    assert 0.4 < share < 0.6
    blur = next(p for p in draws if for_params(p) is BENCHMARK)
    assert np.array_equal(mixed.apply(PHOTO, blur), apply_blur(PHOTO, blur))


def test_context_says_how_a_crop_is_degraded():
    assert BlurConfig.context is None and CameraConfig.context > 0
    assert "context" not in TrainConfig(degrade=CameraConfig()).to_dict()["degrade"], "not a setting"
