"""Training curves as PNG, like the report's figures 1-2: loss terms and validation SSIM per epoch."""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from runtime.files import write_bytes_atomic  # noqa: E402


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
    save_png(fig, out)


def plot_comparison(runs: dict[str, list[dict]], out: Path, title: str) -> None:
    """Validation SSIM per epoch of several runs on one chart (the ablations)."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, history in runs.items():
        ax.plot([h["epoch"] for h in history], [h["val_ssim"] for h in history], "o-", ms=3, label=label)
    first = next(iter(runs.values()))[0]
    ax.axhline(first["val_ssim_blurred"], color="gray", ls=":", label="blurred input")
    ax.axhline(first["val_ssim_unsharp"], color="C3", ls=":", label="unsharp mask")
    ax.set(xlabel="epoch", ylabel="validation SSIM", title=title)
    ax.legend()
    fig.tight_layout()
    save_png(fig, out)


def save_png(fig: plt.Figure, out: Path) -> None:
    """The figure as PNG through runtime's atomic writer (a reader never sees half a picture); then closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    write_bytes_atomic(out, buffer.getvalue())


def main(argv: list[str] | None = None) -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Overlay validation-SSIM curves of several training runs.")
    parser.add_argument("runs", nargs="+", metavar="LABEL=RUN_DIR")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    parser.add_argument("--title", default="Validation SSIM per epoch")
    args = parser.parse_args(argv)
    runs = {}
    for spec in args.runs:
        label, _, run = spec.partition("=")
        runs[label] = json.loads((Path(run) / "metrics.json").read_text())
    plot_comparison(runs, args.out, args.title)


if __name__ == "__main__":
    main()
