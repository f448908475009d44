"""Training configuration: one dataclass, two presets (the shipped run and a smoke run for tests)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from train.bank import BankConfig
from train.degrade import DegradeConfig


@dataclass
class TrainConfig:
    corpus: str = "data/corpus"
    run_dir: str = "runs/default"
    cache_dir: str = "data/cache/teacher"
    student: str = "seed"
    student_args: dict[str, Any] = field(default_factory=lambda: {"residual": True})
    teacher: str | None = None  # None: the offline ncnn Real-ESRGAN x4plus weights
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
    degrade: DegradeConfig = field(default_factory=DegradeConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        d = dict(d)
        bank, degrade = BankConfig(**d.pop("bank")), DegradeConfig(**_tuples(d.pop("degrade")))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known}, bank=bank, degrade=degrade)


def _tuples(d: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


# The CPU real-time student (issue 6): ~1/40 of the seed's compute per frame, so it affords a larger
# batch; Adam 5e-4 because 1e-3 stalled such students (facts.md).
FAST_ARGS: dict[str, Any] = {"channels": 32, "blocks": 3, "scale": 4, "luma": False, "rep": True}


def preset(name: str) -> TrainConfig:
    if name == "default":
        return TrainConfig()
    if name == "fast":
        return TrainConfig(run_dir="runs/fast", student="fast", student_args=dict(FAST_ARGS), lr=5e-4, batch=16)
    if name == "smoke":  # under a minute on a 2-core CPU, teacher included
        return TrainConfig(run_dir="runs/smoke", epochs=2, steps_per_epoch=6, batch=4, crop=48,
                           val_size=96, val_max=4, bank=BankConfig(patch=64, margin=8, variants=1))
    raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")


PRESETS = ("default", "fast", "smoke")
