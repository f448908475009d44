"""Training clips (train/clips.py) and the unrolled clip loss (train/clip_training.py): the motions move as
named, the noise is fresh per frame, scene cuts switch clips without a reset, the temporal term measures
change beyond the clean clip's."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from train.camera import CameraConfig
from train.clip_training import clip_loss, sample_clips, unroll
from train.clips import MOTIONS, ClipBank, ClipConfig, degraded_clip, motion_clip
from train.student import RecurrentStudent


def _photo(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)
    import cv2
    return cv2.resize(small, (300, 200), interpolation=cv2.INTER_CUBIC)


def _mean_step(frames: list[np.ndarray]) -> float:
    return float(np.mean([np.abs(a.astype(float) - b).mean() for a, b in zip(frames, frames[1:])]))


@pytest.mark.parametrize("motion", MOTIONS)
def test_each_motion_moves_the_clean_clip_and_still_does_not(motion):
    frames = motion_clip(_photo(), _photo(1), motion, np.random.default_rng(3), 64, 5)
    assert len(frames) == 5 and frames[0].shape == (64, 64, 3) and frames[0].dtype == np.uint8
    step = _mean_step(frames)
    assert (step == 0) if motion == "still" else (step > 1.0), (motion, step)


def test_a_degraded_still_clip_has_fresh_noise_per_frame_and_loses_its_margin():
    clean = motion_clip(_photo(), _photo(1), "still", np.random.default_rng(0), 64, 4)
    camera = CameraConfig(noise_prob=1.0, h264_prob=0.0, vp8_prob=0.0)
    params = camera.sample(np.random.default_rng(5))
    low, high = degraded_clip(clean, camera, params, margin=8)
    assert low[0].shape == high[0].shape == (48, 48, 3)
    assert _mean_step(high) == 0 and _mean_step(low) > 0.5


def test_a_scene_cut_switches_to_another_clip_mid_way_without_a_reset():
    n, frames, side = 3, 5, 16
    lq = torch.stack([torch.full((frames, 3, side, side), 10 * (i + 1), dtype=torch.uint8) for i in range(n)])
    bank = ClipBank(lq, lq.clone())
    clips = dataclasses.replace(ClipConfig(frames=frames, side=side), cut_prob=1.0)
    low, high = sample_clips(bank, clips, 8, side, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert low.shape == (8, frames, 3, side, side) and torch.equal(low, high)
    per_frame = low[:, :, 0, 0, 0]
    switched = (per_frame[:, 1:] != per_frame[:, :-1]).sum(1)
    assert (switched <= 1).all() and switched.sum() > 0  # one cut at most per clip (two alike clips: none)


def test_the_temporal_term_is_the_change_beyond_the_clean_clips():
    clean = torch.rand(2, 4, 3, 8, 8)
    _, _, exact = clip_loss(clean, clean, ssim_weight=0.0, temporal_weight=1.0)
    shifted = clean + 0.1  # a constant offset: wrong, but stable
    loss, l1, steady = clip_loss(shifted, clean, ssim_weight=0.0, temporal_weight=1.0)
    flicker = clean + 0.1 * torch.randn(2, 4, 1, 1, 1)  # the whole frame flickering
    _, _, flickering = clip_loss(flicker, clean, ssim_weight=0.0, temporal_weight=1.0)
    assert exact == 0 and steady < 1e-6 and flickering > 0.02
    assert loss.item() == pytest.approx(l1 + steady, abs=1e-6)


def test_unrolling_feeds_each_frame_the_previous_clamped_output():
    torch.manual_seed(0)
    student = RecurrentStudent(channels=8, blocks=1, scale=2).eval()
    clip = torch.rand(1, 3, 3, 16, 16)
    out = unroll(student, clip)
    with torch.no_grad():
        first = student(clip[:, 0])
        second = student(clip[:, 1], first)
    torch.testing.assert_close(out[:, 0], first)
    torch.testing.assert_close(out[:, 1], second)


def test_the_temporal_preset_round_trips_through_its_stored_config_and_refuses_what_cannot_train_on_clips():
    from runtime.errors import SharpcamError
    from train.config import TrainConfig, preset
    from train.distill_cli import parse_args
    cfg = preset("temporal")
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg  # what resume compares
    assert TrainConfig.from_dict(preset("webcam").to_dict()).clips is None
    for argv, why in ((["--arch", "fast"], "recurrent"), (["--alpha", "0.7"], "teacher"), (["--crop", "200"], "clips")):
        with pytest.raises(SharpcamError, match=why):
            parse_args(["--preset", "temporal", *argv])


def test_clip_length_and_temporal_weight_are_set_for_clip_training_only():
    from runtime.errors import SharpcamError
    from train.distill_cli import parse_args
    cfg, _ = parse_args(["--preset", "temporal", "--clip-frames", "8", "--temporal-weight", "3"])
    assert (cfg.clips.frames, cfg.temporal_weight) == (8, 3.0)
    with pytest.raises(SharpcamError, match="clip training"):
        parse_args(["--preset", "webcam", "--clip-frames", "8"])


def test_text_photos_get_their_own_number_of_clips(tmp_path):
    import cv2

    from train.clips import build_clip_bank
    from train.corpus import Entry
    from train.distill_cli import parse_args
    for name, seed in (("page.png", 1), ("tree.png", 2)):
        cv2.imwrite(str(tmp_path / name), _photo(seed))
    entries = [Entry("page", "page.png", "text", "g1", "test"), Entry("tree", "tree.png", "nature", "g2", "test")]
    cfg = ClipConfig(frames=2, side=32, per_image=1, margin=4, text_per_image=3)
    bank = build_clip_bank(entries, tmp_path, CameraConfig(), cfg)
    assert len(bank) == 4  # three clips of the page, one of the tree
    assert parse_args(["--preset", "temporal", "--text-clips", "24"])[0].clips.text_per_image == 24
