"""Conversions between HxWx3 uint8 images and NCHW float tensors in [0,1]."""
from __future__ import annotations

import numpy as np
import torch


def to_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float().div_(255.0)


def to_image(t: torch.Tensor) -> np.ndarray:
    return t[0].clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()


@torch.no_grad()
def run_model(model: torch.nn.Module, img: np.ndarray) -> np.ndarray:
    """uint8 image -> model -> uint8 image, on the model's device."""
    device = next(model.parameters()).device
    return to_image(model(to_tensor(img).to(device)))
