"""Training losses: the report's distillation loss and an SSIM term that matches the evaluation's SSIM."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def distill_loss(student_out: torch.Tensor, sharp: torch.Tensor, teacher_out: torch.Tensor | None,
                 alpha: float) -> tuple[torch.Tensor, float, float | None]:
    """The report's loss; without a teacher (alpha 1) it is plain L1."""
    l1 = F.l1_loss(student_out, sharp)
    if teacher_out is None or alpha >= 1.0:
        return l1, l1.item(), None
    mse = F.mse_loss(student_out, teacher_out)
    return alpha * l1 + (1 - alpha) * mse, l1.item(), mse.item()


def ssim_loss(out: torch.Tensor, sharp: torch.Tensor, window: int = 7) -> torch.Tensor:
    """1 - SSIM as scikit-image computes it (7x7 uniform window, sample covariances, data range 1), so the
    term optimizes the metric the evaluation reports."""
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    n = window * window
    pool = lambda t: F.avg_pool2d(t, window, stride=1)  # noqa: E731
    mu_x, mu_y = pool(out), pool(sharp)
    cov = n / (n - 1)  # skimage's unbiased (sample) covariance
    var_x = (pool(out * out) - mu_x * mu_x) * cov
    var_y = (pool(sharp * sharp) - mu_y * mu_y) * cov
    cov_xy = (pool(out * sharp) - mu_x * mu_y) * cov
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
    return 1 - ssim_map.mean()
