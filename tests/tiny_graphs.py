"""A tiny student exported as the runtime's two graph kinds, for tests that need real graphs in seconds."""
from __future__ import annotations

from pathlib import Path


def export_tiny_graphs(folder: Path) -> dict[str, Path]:
    """{"float": any-size float graph, "480p": 640x480 uint8 frame graph} of a one-block seed student."""
    import torch

    from export.onnx_export import export_float, export_frame
    from train.student import SeedStudent
    torch.manual_seed(0)
    student = SeedStudent(residual=True, blocks=1).eval()
    return {"float": export_float(student, folder / "student.onnx"),
            "480p": export_frame(student, folder / "student_480p.onnx", (640, 480), fp16=False)}
