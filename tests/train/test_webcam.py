"""The camera degradation model, its real codecs, and the training bank built from it."""
from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
import skimage.data

from runtime.errors import SharpcamError
from train.bank import BankConfig, build_bank
from train.codecs import encode_decode_video
from train.config import TrainConfig, preset
from train.corpus import load_manifest
from train.blur import benchmark_degrade
from train.metrics import psnr
from train.camera import CAMERA, CameraConfig
from train.conditions import CONDITIONS, condition_params
from train.degrade import apply, apply_clip

PHOTO = np.ascontiguousarray(skimage.data.astronaut()[100:292, 150:406])  # 256x192, a face


def test_sampled_parameters_are_deterministic_json_and_in_range():
    a = [CAMERA.sample(np.random.default_rng(s)) for s in range(300)]
    b = [CAMERA.sample(np.random.default_rng(s)) for s in range(300)]
    assert a == b
    assert json.loads(json.dumps(a)) == a  # a cache key must survive JSON
    for p in a:
        if p.get("blur", [None])[0] == "gauss":
            assert CAMERA.sigma[0] <= min(p["blur"][1:3]) and max(p["blur"][1:3]) <= CAMERA.aniso_sigma[1]
        if "noise" in p:
            assert CAMERA.shot[0] <= p["noise"]["shot"] <= CAMERA.shot[1]
            assert CAMERA.read[0] <= p["noise"]["read"] <= CAMERA.read[1]
        assert CAMERA.exposure[0] <= p["exposure"] <= 1.0
        if "jpeg" in p:
            assert CAMERA.jpeg_quality[0] <= p["jpeg"] <= CAMERA.jpeg_quality[1]
        if "video" in p:
            assert p["video"][0] in ("h264", "vp8") and CAMERA.crf[0] <= p["video"][1] <= CAMERA.crf[1]
    kinds = {p["video"][0] for p in a if "video" in p}
    assert kinds == {"h264", "vp8"}, "both codecs are sampled"
    assert any(p["exposure"] < 1 for p in a) and any("isp_sharpen" in p for p in a)


def test_same_parameters_same_pixels_and_fresh_noise_per_frame():
    params = condition_params("office", "img-1")
    first = apply(PHOTO, params)
    assert np.array_equal(first, apply(PHOTO, params))
    assert first.shape == PHOTO.shape and first.dtype == np.uint8
    assert not np.array_equal(first, apply(PHOTO, params, frame=1)), "each frame is a new exposure"
    assert condition_params("office", "img-1") == params
    assert condition_params("office", "img-2") != params


@pytest.mark.parametrize("condition, low, high", [("office", 2.5, 5.0), ("lowlight", 7.0, 12.0)])
def test_sensor_noise_levels_at_mid_grey_match_the_documented_ranges(condition, low, high):
    params = condition_params(condition, "grey")
    params.pop("jpeg")
    params.pop("blur")
    grey = np.full((160, 160, 3), 128, np.uint8)
    out = apply(grey, params).astype(np.float64)
    assert low <= out.std() <= high
    assert abs(out.mean() - 128) < 1.5  # noise, not a brightness change


def test_benchmark_condition_is_the_reports_blur_exactly():
    params = condition_params("benchmark", "img-7")
    blurred, expected = benchmark_degrade(PHOTO, "img-7")
    assert params == expected
    assert np.array_equal(apply(PHOTO, params), blurred)


@pytest.mark.parametrize("codec", ["h264", "vp8"])
def test_video_codec_round_trip_is_real_lossy_and_deterministic(codec):
    frames = [np.ascontiguousarray(PHOTO[:191, :255]) for _ in range(3)]  # odd sizes: padded for 4:2:0
    good = encode_decode_video(frames, codec, 23)
    bad = encode_decode_video(frames, codec, 45)
    assert [f.shape for f in good] == [f.shape for f in frames]
    assert psnr(good[-1], frames[-1]) > psnr(bad[-1], frames[-1]) + 3, "the CRF controls the damage"
    assert 25 < psnr(good[-1], frames[-1]) < 60, "lossy but faithful at CRF 23"
    assert all(np.array_equal(x, y) for x, y in zip(good, encode_decode_video(frames, codec, 23)))


def test_starved_condition_goes_through_h264_and_clips_keep_their_length():
    params = condition_params("starved", "img-3")
    assert params["video"][0] == "h264"
    clip = apply_clip([PHOTO] * 5, params)
    assert len(clip) == 5 and all(f.shape == PHOTO.shape for f in clip)
    assert psnr(clip[-1], PHOTO) < 35


def test_every_condition_degrades():
    for condition in CONDITIONS:
        out = apply(PHOTO, condition_params(condition, "x"))
        assert 15 < psnr(out, PHOTO) < 40, condition


def test_webcam_bank_is_deterministic(mini_corpus, tmp_path):
    entries = [e for e in load_manifest(mini_corpus) if e.split == "train"]
    cfg = BankConfig(patch=64, margin=8, variants=3)
    a = build_bank(entries, mini_corpus, CameraConfig(), cfg, None, "", tmp_path)
    b = build_bank(entries, mini_corpus, CameraConfig(), cfg, None, "", tmp_path)
    assert a.lq.shape == (3 * len(entries), 3, 64, 64) and a.teacher is None
    assert np.array_equal(a.lq.numpy(), b.lq.numpy())
    assert not np.array_equal(a.lq.numpy(), a.hq.numpy())


def test_webcam_preset_round_trips_through_its_config_dict():
    cfg = preset("webcam")
    assert isinstance(cfg.degrade, CameraConfig) and cfg.val_conditions == tuple(CONDITIONS)
    again = TrainConfig.from_dict(cfg.to_dict())
    assert again.to_dict() == cfg.to_dict()
    assert {f.name for f in fields(CameraConfig)} <= set(cfg.to_dict()["degrade"])


# --- the benchmark suites, smoke-sized --------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_graph(tmp_path_factory):
    import torch
    from export.onnx_export import export_float
    from train.student import FastStudent
    torch.manual_seed(0)
    return export_float(FastStudent(channels=16, blocks=1, scale=2).eval(),
                        tmp_path_factory.mktemp("tiny") / "tiny.onnx")


def test_quality_suite_smoke(mini_corpus, tiny_graph, tmp_path):
    from benchmarks.quality.webcam_quality import main
    out = tmp_path / "quality"
    main(["--corpus", str(mini_corpus), "--no-teacher", "--model", f"tiny={tiny_graph}", "--out", str(out)])
    data = json.loads(out.with_suffix(".json").read_text())
    assert set(data["summary"]) == set(CONDITIONS)
    assert set(data["summary"]["office"]) == {"input", "unsharp", "cas", "nlm+unsharp", "tiny"}
    assert out.with_suffix(".png").stat().st_size > 0 and "| office |" in out.with_suffix(".md").read_text()


def test_stability_suite_smoke_runs_the_deployed_path(mini_corpus, tiny_graph, tmp_path):
    from benchmarks.stability.stability import main
    out = tmp_path / "stability"
    main(["--corpus", str(mini_corpus), "--split", "test", "--limit", "1", "--frames", "6",
          "--model", f"tiny={tiny_graph}", "--out", str(out)])
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["models"] == {"tiny": str(Path(tiny_graph).resolve())}  # which graph made the numbers
    assert "## Still scenes per photo" in out.with_suffix(".md").read_text()
    summary = data["summary"]
    assert set(summary) == {"still office", "still lowlight", "pan", "zoom", "still, then pan (office)",
                            "still, then pan (low light)", "local motion (office)", "local motion (low light)",
                            "scene cut"}
    assert summary["local motion (office)"]["input"]["moved_error"] > 0  # the noise alone, where the head moved
    assert summary["scene cut"]["input"]["recovery"] == 0.0
    assert summary["scene cut"]["tiny"]["recovery"] == 0.0  # the gate takes an unannounced cut at once
    assert summary["still office"]["input"]["std_ratio"] == 1.0
    assert summary["still office"]["tiny"]["std_ratio"] > 0
    assert abs(summary["pan"]["input"]["warp_error"]) < 20
    assert out.with_name("stability_frames.png").stat().st_size > 0


def test_still_tune_applies_each_setting_to_the_text_pages(tiny_graph, tmp_path):
    from benchmarks.stability.still_tune import main
    from train.corpus import write_sample_corpus
    corpus = write_sample_corpus(tmp_path / "corpus", [("text.png", "text", "val"), ("camera.png", "people", "val")])
    out = tmp_path / "tune"
    main(["--corpus", str(corpus), "--photos", "pages", "--frames", "6", "--model", f"tiny={tiny_graph}",
          "--grid", "0.75,1,3,8,0.03,0.08,4,0.3,0;0.75,1,3,8,0.03,0.08,4,0.3,0.4", "--out", str(out)])
    data = json.loads(out.with_suffix(".json").read_text())
    assert {r["image"] for r in data["rows"]} == {"text"}  # the text page only
    methods = set(data["summary"]["still lowlight"])
    assert methods == {"input", "tiny", "tiny+0.75/1/3/8/0.03/0.08/4/0.3/0", "tiny+0.75/1/3/8/0.03/0.08/4/0.3/0.4"}
    assert data["summary"]["still lowlight"]["tiny+0.75/1/3/8/0.03/0.08/4/0.3/0"]["std_ratio"] < \
        data["summary"]["still lowlight"]["tiny"]["std_ratio"]  # the average calms the page
    assert "## Still scenes per photo" in out.with_suffix(".md").read_text()


def test_the_pages_set_says_what_to_do_when_a_split_has_no_text(mini_corpus):
    from benchmarks.stability.stability import choose_photos
    with pytest.raises(SharpcamError, match="no readable text pages in the test split"):
        choose_photos(mini_corpus, "test", "pages", 6)
    assert len(choose_photos(mini_corpus, "test", "spread", 6)) == 2


def test_warp_error_is_zero_for_an_exact_pan_and_sees_flicker():
    from benchmarks.stability.scenes import moving_clip, warp_error
    photo = np.ascontiguousarray(skimage.data.astronaut()[:480, :512])
    photo = np.pad(photo, ((0, 0), (0, 128), (0, 0)), mode="reflect")
    clean, mats = moving_clip(photo, "pan", 6)
    assert warp_error(clean, mats) < 0.01
    flicker = [np.clip(f.astype(int) + (8 if i % 2 else -8), 0, 255).astype(np.uint8) for i, f in enumerate(clean)]
    assert warp_error(flicker, mats) > 10
    held, held_mats = moving_clip(photo, "still-pan", 6)  # three frames still, then the pan's first three
    assert all(np.array_equal(f, held[0]) for f in held[:3]) and np.array_equal(held[3:], clean[:3])
    assert warp_error(held, held_mats) < 0.01


def test_the_local_clip_moves_a_head_over_a_still_room_and_a_trail_raises_the_moved_error():
    from benchmarks.stability.scenes import MOVING_SIZE, local_clip, moved_error
    clip = local_clip(skimage.data.astronaut(), 8)
    assert clip[0].shape == (MOVING_SIZE[1], MOVING_SIZE[0], 3)
    changed = [np.abs(b.astype(int) - a.astype(int)).max(axis=2) > 8 for a, b in zip(clip, clip[1:])]
    assert all(0.005 < c.mean() < 0.3 for c in changed)  # the head's edges and detail move, the room does not
    assert not changed[0][:, -40:].any()  # the right edge of the room stays put (the head starts left of centre)
    assert moved_error(clip, clip) == 0.0
    offset = [np.clip(f.astype(int) + 1, 0, 255).astype(np.uint8) for f in clip]  # one level everywhere
    trail = [clip[0]] + [(0.5 * a + 0.5 * b).astype(np.uint8) for a, b in zip(clip, clip[1:])]  # half the last frame
    assert moved_error(offset, clip) <= 1.0 and moved_error(trail, clip) > 5.0


def test_recovery_counts_the_frames_until_a_cut_is_as_good_as_a_fresh_start():
    from benchmarks.stability.scenes import recovery_frames
    clean = [np.ascontiguousarray(skimage.data.astronaut()[:64, :64])] * 4
    stale = np.ascontiguousarray(skimage.data.coffee()[:64, :64])  # the scene before the cut, held over
    assert recovery_frames(clean, clean, clean) == 0
    assert recovery_frames([stale, stale, clean[0], clean[0]], clean, clean) == 2
    assert recovery_frames([stale] * 4, clean, clean) == 4


def test_cli_sets_the_benchmark_share_and_the_initial_weights():
    from runtime.errors import SharpcamError
    from train.distill_cli import parse_args
    cfg, _ = parse_args(["--preset", "webcam", "--benchmark-share", "0.5", "--init", "engines/webcam.pt"])
    assert cfg.degrade.benchmark_prob == 0.5 and cfg.init == "engines/webcam.pt"
    assert preset("webcam").degrade.benchmark_prob == 0.25
    with pytest.raises(SharpcamError, match="benchmark-share"):
        parse_args(["--preset", "fast", "--benchmark-share", "0.5"])
    with pytest.raises(SystemExit):  # out of 0..1: refused by argparse
        parse_args(["--preset", "webcam", "--benchmark-share", "2"])


def test_cli_sets_the_low_light_share_of_the_camera_degradation_only():
    from runtime.errors import SharpcamError
    from train.distill_cli import parse_args
    cfg, _ = parse_args(["--preset", "medium", "--lowlight-share", "0.6"])
    assert cfg.degrade.lowlight_prob == 0.6 and preset("medium").degrade.lowlight_prob == 0.35
    with pytest.raises(SharpcamError, match="lowlight-share"):
        parse_args(["--preset", "fast", "--lowlight-share", "0.6"])
