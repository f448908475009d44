"""The low-light benchmark's measures: flicker is relative to the clip's level (a steady gain adds none, a
wavering one does), the classical brightenings never darken, and the report says which targets are met."""
from __future__ import annotations

import numpy as np

from benchmarks.quality.low_light import clip_flicker
from benchmarks.quality.low_light_classical import auto_gamma, mean_luma
from benchmarks.quality.low_light_report import targets


def noisy_clip(seed: int = 0, frames: int = 24) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.uniform(10, 30, (48, 64, 3))
    return [np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.uint8) for _ in range(frames)]


def test_a_steady_gain_adds_no_flicker_and_a_wavering_one_does():
    clip = noisy_clip()
    steady = [np.clip(f.astype(np.float32) * 4, 0, 255).astype(np.uint8) for f in clip]
    wavering = [np.clip(f.astype(np.float32) * (4 + 0.3 * (i % 2)), 0, 255).astype(np.uint8)
                for i, f in enumerate(clip)]
    base, lifted, bad = clip_flicker(clip), clip_flicker(steady), clip_flicker(wavering)
    assert abs(lifted["luma_std"] / base["luma_std"] - 1) < 0.15  # relative: the gain cancels
    assert abs(lifted["temporal_std"] / base["temporal_std"] - 1) < 0.05
    assert bad["luma_std"] > 5 * base["luma_std"]


def test_auto_gamma_brightens_a_dark_frame_and_leaves_a_bright_one():
    dark = noisy_clip()[0]
    assert mean_luma(auto_gamma(dark)) > 0.4 > mean_luma(dark) + 0.2
    bright = np.full((8, 8, 3), 200, np.uint8)
    assert np.array_equal(auto_gamma(bright), bright)


def test_targets_say_met_or_not_met():
    def rows(method, ssim, err):
        return [{"method": method, "ssim": ssim, "luma_error": err, "condition": "dim", "category": "people",
                 "image": "a"}]
    flick = [{"method": "input", "luma_std": 0.001}, {"method": "lift", "luma_std": 0.0012}]
    payload = {"stills": rows("ours", 0.8, 0.02) + rows("classical", 0.7, 0.1), "flicker": flick,
               "classical": "gamma+NLM h6",
               "office_auto": {"changed": 0, "frames": 8, "share_changed": 0.0, "clips_changed": []}}
    lines = targets(payload)
    assert "-> met" in lines[0] and "-> met" in lines[1] and "-> not met" in lines[2]
    payload["stills"] = rows("ours", 0.6, -0.08) + rows("classical", 0.7, 0.1)
    lines = targets(payload)
    assert "not met" in lines[0] and "not met" in lines[1]


def test_exposure_models_compare_ridge_and_knn_on_a_small_corpus(mini_corpus, tmp_path):
    from benchmarks.quality import exposure_models
    out = tmp_path / "models.md"
    exposure_models.main(["--corpus", str(mini_corpus), "--cache", str(tmp_path / "s.pkl"), "--out", str(out)])
    rows = [line for line in out.read_text().splitlines() if line.startswith("| ridge") or line.startswith("| kNN")]
    assert len(rows) == 9 and (tmp_path / "s.pkl").exists()
