"""Training curves as PNG, like the report's figures 1-2: loss terms and validation SSIM per epoch."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_curves(history: list[dict], out: Path, title: str) -> None:
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_ssim) = plt.subplots(1, 2, figsize=(11, 4))
    ax_loss.plot(epochs, [h["loss"] for h in history], "o-", label="total loss")
    ax_loss.plot(epochs, [h["l1"] for h in history], "s--", label="L1 to sharp")
    if any(h["teacher_mse"] is not None for h in history):
        ax_loss.plot(epochs, [h["teacher_mse"] for h in history], "^--", label="MSE to teacher")
    ax_loss.set_yscale("log")
    ax_loss.set(xlabel="epoch", ylabel="training loss (log)", title="Loss")
    ax_loss.legend()
    ax_ssim.plot(epochs, [h["val_ssim"] for h in history], "o-", color="C2", label="student")
    ax_ssim.axhline(history[0]["val_ssim_blurred"], color="gray", ls=":", label="blurred input")
    ax_ssim.axhline(history[0]["val_ssim_unsharp"], color="C3", ls=":", label="unsharp mask")
    ax_ssim.set(xlabel="epoch", ylabel="SSIM (RGB, [0,1])", title="Validation SSIM")
    ax_ssim.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
