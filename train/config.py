"""Training configuration: one dataclass, two presets (the shipped run and a smoke run for tests)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from train.bank import BankConfig
from train.blur import BlurConfig
from train.camera import CameraConfig
from train.clips import ClipConfig
from train.degrade import DegradeConfig, config_from_dict


@dataclass
class TrainConfig:
    corpus: str = "data/corpus"
    run_dir: str = "runs/default"
    cache_dir: str = "data/cache/teacher"
    student: str = "seed"
    student_args: dict[str, Any] = field(default_factory=lambda: {"residual": True})
    teacher: str | None = None  # None: the offline ncnn Real-ESRGAN x4plus weights
    init: str | None = None  # start from this checkpoint's weights (same architecture; fresh optimizer)
    alpha: float = 0.7  # alpha * L1(student, sharp) + (1 - alpha) * MSE(student, teacher)
    ssim_weight: float = 0.0  # plus ssim_weight * (1 - SSIM(student, sharp))
    lr: float = 1e-3
    batch: int = 8
    crop: int = 96
    epochs: int = 40
    steps_per_epoch: int = 100
    grad_clip: float = 0.5
    plateau_patience: int = 2
    plateau_factor: float = 0.5
    val_size: int = 256  # validation on centre crops of this side, to keep epochs short on a CPU
    val_max: int = 24
    seed: int = 0
    threads: int = 0  # 0: torch's default
    bank: BankConfig = field(default_factory=BankConfig)
    # the training degradation, of the kind its `kind` field names (train/degrade.py)
    degrade: DegradeConfig = field(default_factory=BlurConfig)
    # Evaluation conditions (train.conditions.CONDITIONS) the validation crops are degraded with; val SSIM is
    # their mean, so best.pt is chosen for what the student is trained for.
    val_conditions: tuple[str, ...] = ("benchmark",)
    # Clips instead of patches (a recurrent student, the `temporal` preset; train/clip_training.py): the clip bank,
    # and the weight of the temporal term. None: the single-frame training every other preset runs.
    clips: ClipConfig | None = None
    temporal_weight: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        d = dict(d)
        bank, degrade = BankConfig(**d.pop("bank")), config_from_dict(d.pop("degrade"))
        d["val_conditions"] = tuple(d.get("val_conditions", ("benchmark",)))
        clips = d.pop("clips", None)
        d["clips"] = None if clips is None else ClipConfig(**{k: tuple(v) if isinstance(v, list) else v
                                                              for k, v in clips.items()})
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known}, bank=bank, degrade=degrade)


# The CPU real-time student (issue 6): luma only, pixel-unshuffle by 2, 16 channels, 3 blocks (15,092
# parameters, ~1/90 of the seed's compute per pixel). Its recipe, chosen by measurement (README, frontier):
# no teacher term (it showed no gain for the seed, and each patch variant would cost a teacher run), so the
# bank affords 64 degraded variants per image instead of 4; an SSIM term; 128 px crops; patience 5.
FAST_ARGS: dict[str, Any] = {"channels": 16, "blocks": 3, "scale": 2, "luma": True, "rep": False}


# The webcam student (issue 11): the fast student's body with colour in and out (chroma noise is half of
# a webcam's noise and a luma-only correction cannot remove it) and one more block for the denoising.
WEBCAM_ARGS: dict[str, Any] = {"channels": 16, "blocks": 4, "scale": 2, "luma": False, "rep": False}
VAL_CONDITIONS = ("benchmark", "office", "lowlight", "starved")

# The recurrent S (issue 20, item 3): S reading its previous output, with the learned blend (`gate`): at equal
# training (9 epochs of 100 steps on this CPU) it beat the plain recurrent head on the validation clips (SSIM
# 0.8876 vs 0.8783) and on the stability suite's validation clips (2 photos, 12 frames: still temporal std
# 0.46 / 0.42 of the input's, office / low light, vs 0.64 / 0.62; pan warping error 1.35 vs 1.73 levels).
TEMPORAL_ARGS: dict[str, Any] = {**WEBCAM_ARGS, "gate": True}

# The family of students (issue 20): S is the webcam student above; M and L are the same recipe at larger
# budgets, on one mix with more of the report's clean blur (BENCHMARK_SHARE). Cost is multiply-adds per pixel
# (9 c^2 / scale^2 per body conv): S 5.5k MAC/px, M = 32 channels (20k, ~3.7x S), L = 64 channels and 6
# blocks (114k, ~21x S). A CPU cannot train M or L from scratch in an afternoon, so each starts from the tier
# below grown into its shape (train/grow.py: the same output at step 0) and trains from there: M from the
# shipped S, L from the shipped M (grown from S, one epoch of L was below S on val: 0.8606; grown from M it
# started at 0.8873), at a lower learning rate, since M's weights are already far along.
BENCHMARK_SHARE = 0.35
FAMILY_ARGS: dict[str, dict[str, Any]] = {
    "medium": {"channels": 32, "blocks": 4, "scale": 2, "luma": False, "rep": False},
    "large": {"channels": 64, "blocks": 6, "scale": 2, "luma": False, "rep": False},
}
GROWN_FROM = "engines/webcam.pt"
FAMILY_GROWTH: dict[str, tuple[str, float]] = {"medium": (GROWN_FROM, 5e-4), "large": ("engines/medium.pt", 3e-4)}


def preset(name: str) -> TrainConfig:
    if name == "default":
        return TrainConfig()
    if name == "fast":
        return TrainConfig(run_dir="runs/fast", student="fast", student_args=dict(FAST_ARGS), alpha=1.0,
                           ssim_weight=1.0, lr=1e-3, batch=16, crop=128, epochs=120, plateau_patience=5,
                           bank=BankConfig(variants=64))
    if name == "webcam":
        return TrainConfig(run_dir="runs/webcam", student="fast", student_args=dict(WEBCAM_ARGS), alpha=1.0,
                           ssim_weight=1.0, lr=1e-3, batch=16, crop=128, epochs=100, plateau_patience=5,
                           bank=BankConfig(variants=48), degrade=CameraConfig(benchmark_prob=0.25),
                           val_conditions=VAL_CONDITIONS)
    if name in FAMILY_ARGS:
        init, lr = FAMILY_GROWTH[name]
        return TrainConfig(run_dir=f"runs/{name}", student="fast", student_args=dict(FAMILY_ARGS[name]), alpha=1.0,
                           ssim_weight=1.0, lr=lr, batch=16, crop=128, epochs=60, plateau_patience=4,
                           bank=BankConfig(variants=48), degrade=CameraConfig(benchmark_prob=BENCHMARK_SHARE),
                           val_conditions=VAL_CONDITIONS, init=init)
    if name == "temporal":  # the recurrent S (issue 20, item 3): S's recipe on clips, starting as S exactly
        return TrainConfig(run_dir="runs/temporal", student="recurrent", student_args=dict(TEMPORAL_ARGS), alpha=1.0,
                           ssim_weight=1.0, lr=3e-4, batch=8, crop=96, epochs=40, plateau_patience=4, val_max=8,
                           val_size=192, degrade=CameraConfig(benchmark_prob=0.1), clips=ClipConfig(),
                           temporal_weight=1.0, val_conditions=("office", "lowlight"), init=GROWN_FROM)
    if name == "smoke":  # under a minute on a 2-core CPU, teacher included
        return TrainConfig(run_dir="runs/smoke", epochs=2, steps_per_epoch=6, batch=4, crop=48,
                           val_size=96, val_max=4, bank=BankConfig(patch=64, margin=8, variants=1))
    raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")


PRESETS = ("default", "fast", "webcam", "medium", "large", "temporal", "smoke")
