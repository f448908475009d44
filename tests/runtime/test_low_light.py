"""The low-light step (runtime/low_light.py): auto leaves a well-exposed frame byte-identical, on and auto lift
an underexposed one to the clean frame's mean luma, the gain eases after a change of light without pumping and
re-estimates on reset, and `sharpcam cam --low-light` is accepted and reported."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from runtime.cam import main as cam_main
from runtime.errors import SharpcamError
from runtime.low_light import LowLight, LowLightConfig, lift, luma

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "runtime" / "assets"


def photo(name: str = "face.jpg") -> np.ndarray:
    """A well-exposed BGR photo the product ships (its built-in clip is made of these)."""
    return cv2.imread(str(ASSETS / name))


def underexposed(frame: np.ndarray, light: float, seed: int = 0) -> np.ndarray:
    """`light` of the exposure, not gained back, with shot noise and 8-bit quantization."""
    rng = np.random.default_rng(seed)
    dark = frame.astype(np.float32) * light
    noisy = dark + np.sqrt(0.02 * dark + 0.3) * rng.standard_normal(frame.shape).astype(np.float32)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", ["face.jpg", "detail.jpg", "text.jpg"])
def test_auto_leaves_a_well_exposed_frame_unchanged(name):
    step, frame = LowLight(LowLightConfig(mode="auto")), photo(name)
    before = frame.copy()
    for _ in range(40):
        out = step(frame)
        assert out.tobytes() == before.tobytes()
    assert frame.tobytes() == before.tobytes()  # not changed in place either
    assert step.state() == {"mode": "auto", "active": False, "gain": 1.0, "frames_lifted": 0}


@pytest.mark.parametrize("mode", ["on", "auto"])
@pytest.mark.parametrize("light", [0.25, 0.125])
def test_brightens_an_underexposed_frame_to_the_clean_mean_luma(mode, light):
    clean = photo()
    dark = underexposed(clean, light)
    step = LowLight(LowLightConfig(mode=mode))
    out = step(dark)
    assert luma(dark).mean() < luma(clean).mean() - 0.2  # the test's frame is far off to begin with
    assert abs(luma(out).mean() - luma(clean).mean()) < 0.05
    assert step.state()["active"] and step.state()["frames_lifted"] == 1


def test_off_does_nothing():
    dark = underexposed(photo(), 0.125)
    assert LowLight(LowLightConfig(mode="off"))(dark) is dark


def test_highlights_roll_off_instead_of_clipping():
    """At a gain of 8, levels 32-60 would all clip at 255 on a straight line; the shoulder keeps them apart."""
    levels = np.arange(61, dtype=np.uint8)
    out = lift(np.repeat(levels[None, :, None], 3, axis=2), 8.0, LowLightConfig().knee)[0, :, 1].astype(int)
    assert np.all(np.diff(out) >= 0) and out[-1] < 255  # monotone, the brightest not blown out
    assert len(np.unique(out[32:])) > 10  # gradations kept where a straight line would give one white
    assert abs(out[10] - 80) <= 1  # below the knee: the plain gain
    grey = np.full((4, 4, 3), (20, 40, 60), np.uint8)
    lifted = lift(grey, 3.0, 0.9)[0, 0].astype(int)
    assert np.all(np.abs(lifted - 3 * np.array([20, 40, 60])) <= 1)  # a colour scaled whole: hue kept


def gains_through(step: LowLight, frames: list[np.ndarray]) -> list[float]:
    gains = []
    for f in frames:
        step(f)
        gains.append(step.gain)
    return gains


def test_gain_eases_after_a_change_of_light_without_pumping_and_resets():
    clean, fps = photo(), 30.0
    cfg = LowLightConfig(mode="on", fps=fps, time_constant=0.7)
    dim = [underexposed(clean, 0.25, seed=i) for i in range(30)]
    dark = [underexposed(clean, 0.125, seed=100 + i) for i in range(90)]
    step = LowLight(cfg)
    gains = gains_through(step, dim + dark)
    before, after = np.median(gains[20:30]), np.median(gains[-10:])
    assert after > 1.6 * before  # the light halved: the gain roughly doubles in the end
    moving = np.array(gains[30:])
    assert moving[0] - before < 0.15 * (after - before)  # no jump on the first frame of the new light
    steps = np.diff(moving)
    assert np.all(steps > -0.02 * after)  # it rises and does not swing back (noise aside)
    assert moving.max() < after * 1.03  # no overshoot
    settled = int(np.argmax(moving > before + 0.9 * (after - before)))
    assert 0.5 * cfg.time_constant * fps < settled < 4 * cfg.time_constant * fps
    # a hand over the lens for a few frames: the gain barely moves
    step2 = LowLight(cfg)
    gains2 = gains_through(step2, dim[:20] + [np.zeros_like(clean)] * 4 + dim[20:])
    assert max(gains2[20:]) < 1.25 * np.median(gains2[10:20])
    # reset: the next frame's own estimate at once, no easing from the old light
    step.reset()
    fresh = LowLight(cfg)
    assert gains_through(step, dim[:1]) == gains_through(fresh, dim[:1])
    assert step.gain < 0.7 * after


def test_auto_switches_with_hysteresis_and_eases_back_to_untouched():
    clean = photo()
    step = LowLight(LowLightConfig(mode="auto"))
    dark = [underexposed(clean, 0.125, seed=i) for i in range(30)]
    gains_through(step, dark)
    assert step.active and step.gain > 4
    gains = gains_through(step, [clean] * 150)
    assert not step.active and step.gain == 1.0
    assert np.all(np.diff(gains) <= 1e-9)  # eased down, no jump back up
    assert gains[0] > 1.5  # and not dropped at once
    assert step(clean) is clean


def test_unknown_mode_is_refused():
    with pytest.raises(SharpcamError, match="auto, on, off"):
        LowLightConfig(mode="bright")


def dark_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dark"
    folder.mkdir()
    small = cv2.resize(photo(), (160, 120), interpolation=cv2.INTER_AREA)
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), underexposed(small, 0.125, seed=i))
    return folder


@pytest.mark.parametrize("mode", ["on", "auto", "off"])
def test_cli_flag_is_accepted_and_reported(tmp_path, mode):
    stats = tmp_path / "stats.json"
    cam_main(["--model", str(ROOT / "engines" / "fast.onnx"), "--source", str(dark_folder(tmp_path)), "--sink",
              "null", "--quiet", "--low-light", mode, "--stats", str(stats)])
    summary = json.loads(stats.read_text())
    if mode == "off":
        assert summary["low_light"] == {"mode": "off"} and "low_light" not in summary["stages"]
        return
    assert summary["low_light"]["mode"] == mode and summary["low_light"]["active"]
    assert summary["low_light"]["frames_lifted"] == 3 and summary["low_light"]["gain"] > 3
    assert summary["stages"]["low_light"]["n"] == 3


def test_cli_refuses_an_unknown_mode(capsys):
    with pytest.raises(SystemExit) as exit_:
        cam_main(["--low-light", "max"])
    assert exit_.value.code == 2 and "--low-light" in capsys.readouterr().err
