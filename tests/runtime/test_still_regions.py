"""`--still-average` (runtime/still_regions.py): a still page calms, text included; what moved shows the new
output; strength 0 passes the input; it forgets at a reset, a cut and with the temporal filter off; cam reports it."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from runtime.pipeline import Pipeline, PipelineConfig
from runtime.scene_cut import SceneCuts
from runtime.sinks.base import NullSink
from runtime.still_regions import StillAverage, StillConfig
from tests.pass_through import PassThrough
from tests.runtime.test_scene_cut import Frames


def page(size: tuple[int, int] = (320, 240)) -> np.ndarray:
    """Black text on white: the content whose edges shimmer most."""
    img = np.full((size[1], size[0], 3), 235, np.uint8)
    for row in range(12, size[1] - 12, 18):
        cv2.putText(img, "sharpcam still text 0123", (6, row + 10), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (20, 20, 20), 1,
                    cv2.LINE_AA)
    return img


def noisy(img: np.ndarray, seed: int, sigma: float = 3.0) -> np.ndarray:
    return np.clip(img + np.random.default_rng(seed).normal(0, sigma, img.shape), 0, 255).round().astype(np.uint8)


def temporal_std(frames: list[np.ndarray]) -> float:
    return float(np.std(np.stack(frames).astype(np.float32), axis=0).mean())


def test_a_still_page_calms_as_a_recursive_average_does() -> None:
    clean = page()
    frames = [noisy(clean, i) for i in range(30)]
    still = StillAverage(StillConfig(hold=0.6))
    shown = [still(f) for f in frames]
    ratio = temporal_std(shown[10:]) / temporal_std(frames[10:])
    assert ratio == pytest.approx(np.sqrt(0.4 / 1.6), abs=0.08)  # sqrt((1 - hold) / (1 + hold)) = 0.5
    assert still.held > 0.9  # nearly every region of the page held (a few noisy flat ones did not)
    error = lambda f: np.abs(f.astype(np.float32) - clean).mean()  # noqa: E731
    assert np.mean([error(f) for f in shown[10:]]) < 0.7 * np.mean([error(f) for f in frames[10:]])


def texture(size: tuple[int, int] = (320, 240)) -> np.ndarray:
    """Detail everywhere (features ~4 px): any shift of it changes every region."""
    small = np.random.default_rng(5).integers(0, 256, (size[1] // 4, size[0] // 4, 3)).astype(np.uint8)
    return cv2.resize(small, size, interpolation=cv2.INTER_CUBIC)


def test_what_moved_shows_the_new_output_and_the_rest_keeps_calm() -> None:
    clean = texture()
    moved = clean.copy()
    moved[:, 160:] = np.roll(clean[:, 160:], 3, axis=1)  # the right half panned 3 px, the left stood still
    still = StillAverage()
    still(noisy(clean, 0))
    out = still(noisy(moved, 1))
    right = np.abs(out[:, 200:].astype(int) - noisy(moved, 1)[:, 200:].astype(int))
    left = np.abs(out[:, :120].astype(int) - noisy(moved, 1)[:, :120].astype(int))
    assert right.max() == 0  # the new output exactly where it moved (away from the boundary's blend)
    assert left.mean() > 1.0  # averaged with the last frame where it stood still


def test_the_neighbours_of_what_surely_moved_count_as_moved() -> None:
    """A bright spot appears in one 8x8 cell (one thumbnail pixel): the 3x3-averaged change marks its ring of
    neighbours as surely moved; with spread 3 the next ring shows the new output too, without it that ring holds."""
    flat = np.full((240, 320, 3), 128, np.uint8)
    spot = flat.copy()
    spot[120:128, 160:168] = 255  # thumbnail pixel (15, 20)
    kept = {}
    for spread in (1, 3):
        still = StillAverage(StillConfig(spread=spread))
        still(flat)
        still(spot)
        kept[spread] = still._keep_small
    assert kept[1][15, 21] == 0.0 and kept[3][15, 21] == 0.0  # the ring the change itself reaches
    assert kept[1][15, 22] == pytest.approx(StillConfig().hold) and kept[3][15, 22] == 0.0  # the next ring
    assert kept[3][15, 23] == pytest.approx(StillConfig().hold)  # and no further


def test_a_slow_pan_over_soft_low_contrast_detail_is_motion_not_a_still() -> None:
    soft = (128 + (texture().astype(np.float32) - 128) * 0.15).astype(np.uint8)  # +-20 levels, features ~4 px
    soft = cv2.GaussianBlur(soft, (0, 0), 2.0)
    frames = [np.ascontiguousarray(np.roll(soft, 3 * t, axis=1)) for t in range(3)]  # 3 px a frame
    for cfg, smears in ((StillConfig(), False), (StillConfig(shift_high=0.0), True)):
        still = StillAverage(cfg)
        shown = [still(f) for f in frames]
        inner = (slice(32, -32), slice(32, -32))
        ghost = np.abs(shown[2][inner].astype(int) - frames[2][inner].astype(int)).mean()
        assert (ghost > 0.5) == smears, (cfg, ghost)  # the level test alone blends it with the last frame


def test_camera_motion_measures_a_pan_and_a_zoom_and_not_sensor_noise() -> None:
    from runtime.still_regions import camera_motion
    rng = np.random.default_rng(7)
    base = cv2.GaussianBlur(rng.uniform(0, 255, (60, 80)).astype(np.float32), (0, 0), 1.5)  # a thumbnail's detail

    def measured(after: np.ndarray, before: np.ndarray) -> float:
        return camera_motion(after - before, cv2.Sobel(after, cv2.CV_32F, 1, 0, ksize=3) / 8.0,
                             cv2.Sobel(after, cv2.CV_32F, 0, 1, ksize=3) / 8.0)

    def moved(matrix: list[list[float]]) -> np.ndarray:
        return cv2.warpAffine(base, np.float32(matrix), (80, 60), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)

    # Sobel's slope is of a smoothed picture, so fine detail reads a little more displaced than it is
    pan = measured(moved([[1, 0, 0.3], [0, 1, 0]]), base)  # 2.4 px at full size
    assert 0.3 <= pan < 0.45 and measured(moved([[1, 0, 0.6], [0, 1, 0]]), base) > 1.5 * pan
    zoom = 1.01  # about the centre: each pixel moves 1% of its distance from it
    ys, xs = np.mgrid[1:59, 1:79]
    expected = 0.01 * np.sqrt(np.mean((xs - 39.5) ** 2 + (ys - 29.5) ** 2))  # 0.29 thumbnail px
    zoomed = moved([[zoom, 0, 39.5 * (1 - zoom)], [0, zoom, 29.5 * (1 - zoom)]])
    assert expected <= measured(zoomed, base) < 1.5 * expected
    first, second = (base + rng.normal(0, 0.7, base.shape).astype(np.float32) for _ in range(2))
    assert measured(second, first) < StillConfig().camera_still  # noise alone fits no motion field
    flat = np.full((60, 80), 128, np.float32)
    assert measured(flat + 1, flat) == 0.0  # nothing with slope: nothing to go on, and nothing could smear
    for tiny in ((1, 1), (2, 5), (3, 3)):  # the thumbnails of frames under 24 pixels a side
        assert measured(np.ones(tiny, np.float32), np.zeros(tiny, np.float32)) == 0.0
    still = StillAverage()
    for frame in (np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 3, np.uint8)):
        still(frame)  # a frame as small as the thumbnail's divisor runs, with no camera motion to measure
    assert still.state()["camera_motion"] == 0.0


def test_a_camera_seen_holding_still_calms_a_noisy_page_more_and_a_pan_relaxes_nothing() -> None:
    frames = [noisy(page(), i, 6.0) for i in range(30)]  # heavy noise: the displacement test fires on text
    ratios = {}
    for relax in (1.0, 2.0):
        still = StillAverage(StillConfig(camera_relax=relax))
        shown = [still(f) for f in frames]
        ratios[relax] = temporal_std(shown[10:]) / temporal_std(frames[10:])
    assert ratios[2.0] < 0.85 * ratios[1.0]
    assert still.state()["camera_motion"] < StillConfig().camera_still
    still.reset()
    assert still.state()["camera_motion"] is None  # measured between two frames: none since the reset
    panned = StillAverage()
    for t in range(3):
        panned(np.ascontiguousarray(np.roll(texture(), 3 * t, axis=1)))  # 3 px a frame: 0.375 thumbnail px
    assert panned.camera > StillConfig().camera_moving  # the displacement test as strict as without it
    assert StillAverage(StillConfig(camera_relax=1.0)).state()["camera_motion"] is None  # off: not measured


def test_the_input_noise_is_the_sensors_whatever_the_texture_and_scales_the_floor() -> None:
    from runtime.still_regions import flat_noise
    flat = np.full((240, 320, 3), 128, np.uint8)
    half_text = flat.copy()
    half_text[:, 160:] = page()[:, 160:]  # text on half the frame: its blocks measure high, the flat ones do not
    luma_share = float(np.sqrt(0.299**2 + 0.587**2 + 0.114**2))  # independent noise per channel, seen in luma
    for sigma in (2.0, 6.0):
        assert flat_noise(noisy(half_text, 0, sigma)) == pytest.approx(sigma * luma_share, rel=0.2)
    still = StillAverage(StillConfig(floor=4.0, noise_ref=0.5, noise_every=10))
    assert still._floor() == 4.0  # nothing measured yet
    for i in range(11):  # measured on the 1st and the 11th input only
        still.see_input(noisy(flat, i, 2.0 if i < 10 else 0.2))
    assert still.input_noise < 0.5 and still._floor() == 4.0  # a clean input: the floor as set
    still.see_input(noisy(flat, 99, 2.0))
    assert still.input_noise < 0.5  # not the 10th since: not measured
    fresh = StillAverage(StillConfig(floor=4.0, noise_ref=0.5))
    fresh.see_input(noisy(flat, 0, 2.0))
    assert fresh._floor() == pytest.approx(4.0 * fresh.input_noise / 0.5) and fresh._floor() > 8.0  # ~1.2 levels of luma noise


def test_the_flicker_scale_learns_from_a_flickering_still_and_not_from_a_pan() -> None:
    """A still page whose thumbnail flickers by whole levels (low-frequency noise, as the model leaves in low
    light) raises the scale; a pan from the first frame teaches nothing (too few regions stay)."""
    clean = page()
    rng = np.random.default_rng(3)
    def blotches() -> np.ndarray:  # noise on an 8-px scale: it survives the 1/8 thumbnail
        return cv2.resize(rng.normal(0, 1.2, (30, 40, 1)).astype(np.float32), (320, 240))[..., None]
    still = StillAverage(StillConfig(flicker_ref=0.4, flicker_max=1.5))
    assert still._flicker_scale() == 1.0  # nothing learned yet
    for _ in range(30):
        still(np.clip(clean + blotches(), 0, 255).astype(np.uint8))
    assert still.flicker > 0.5 and still._flicker_scale() > 1.2 and still.state()["scale"] > 1.2
    learned = still._flicker_scale()
    still.reset()
    assert still._flicker_scale() == learned  # the camera's and the model's: a cut keeps it
    panned = StillAverage()
    for t in range(12):
        panned(np.ascontiguousarray(np.roll(texture(), 6 * t, axis=1)))
    assert panned.flicker is None and panned._flicker_scale() == 1.0
    unscaled = StillAverage(StillConfig(flicker_ref=0.0))
    for _ in range(10):
        unscaled(np.clip(clean + blotches(), 0, 255).astype(np.uint8))
    assert unscaled.flicker is None and unscaled._flicker_scale() == 1.0


def test_strength_zero_passes_the_input_and_a_reset_forgets() -> None:
    frames = [noisy(page(), i) for i in range(4)]
    still = StillAverage()
    assert all(np.array_equal(still(f, strength=0.0), f) for f in frames)
    still(frames[0])
    assert not np.array_equal(still(frames[1]), frames[1])
    still.reset()
    assert np.array_equal(still(frames[2]), frames[2])  # the first frame after a reset passes as made


def run(frames: list[np.ndarray], **cfg) -> list[np.ndarray]:
    shown: list[np.ndarray] = []

    class Keep(NullSink):
        def write(self, out, frame, status="", name=None) -> bool:
            shown.append(out.copy())
            return True

    Pipeline(Frames(frames), PassThrough(), Keep(), PipelineConfig(print_every=0, **cfg)).run()
    return shown


def test_the_pipeline_forgets_at_a_cut_and_calms_otherwise() -> None:
    first, second = page(), 255 - page()  # another picture: the cut test sees it
    frames = [noisy(first, i) for i in range(4)] + [noisy(second, 10 + i) for i in range(4)]
    shown = run(frames, still_average=StillAverage(), scene_cuts=SceneCuts())
    assert np.array_equal(shown[0], frames[0]) and np.array_equal(shown[4], frames[4])  # a stream's start, a cut
    assert not np.array_equal(shown[1], frames[1]) and not np.array_equal(shown[5], frames[5])
    assert all(np.array_equal(s, f) for s, f in zip(run(frames), frames))  # off: untouched


def test_auto_is_on_except_behind_a_double_buffered_gpu_engine() -> None:
    from runtime.still_regions import still_average_step
    assert isinstance(still_average_step("auto", in_flight=1), StillAverage)
    assert still_average_step("auto", in_flight=2) is None
    assert isinstance(still_average_step("on", in_flight=2), StillAverage)
    assert still_average_step("off", in_flight=1) is None
    with pytest.raises(ValueError, match="auto, on, off"):
        still_average_step("always")


def test_cam_reports_the_still_average(tmp_path) -> None:
    from runtime.cam import cli, parse_args
    for flag, mode in (("auto", "on"), ("off", "off")):
        stats = tmp_path / f"stats_{flag}.json"
        cli(parse_args(["--source", "builtin", "--sink", "null", "--student", "webcam", "--frames", "6",
                        "--still-average", flag, "--stats", str(stats)]))
        summary = json.loads(stats.read_text())
        assert summary["still_average"]["mode"] == mode
        assert ("still_avg" in summary["stages"]) == (mode == "on")
        assert ("noise" in summary["stages"]) == (mode == "on")  # the input's noise, measured on the 1st frame
