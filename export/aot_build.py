"""Ahead-of-time compiled PyTorch engines: student -> frame graph -> torch.export -> AOTInductor package (.pt2).

The second GPU engine kind, for machines with PyTorch and CUDA but no TensorRT (the lent GPU machines here):
the same contract as the frame graphs (uint8 H x W x 3 BGR frame, state, strength -> frame, state), compiled
once per resolution into machine code for this PyTorch and this GPU, loaded without Python tracing or
compiling at run time (`torch._inductor.aoti_load_package`).

- CUDA: FP16, the generic NCHW frame graph (cuDNN/Triton like NCHW; the lean graph's H x W x 3 layout is
  tuned for CPU plugins). CPU: FP32 and the lean layout, for tests and CPU-only machines with a compiler.
- The package is written to a temporary name and renamed into place; its sidecar (`NAME_<res>.pt2.json`,
  runtime/backends/aot_meta.py) records what it was built for and its parity with the eager graph on real frames.
Compiling costs time (~25 s for a small frame on this 2-core CPU; Inductor's C++/Triton codegen), not the
network's size.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from export.graphs import frame_graph, graph_inputs
from runtime.artifacts import sidecar_path
from runtime.backends.aot_meta import AotMeta
from runtime.backends.engine_meta import sha256_file
from runtime.errors import SharpcamError
from runtime.backends.torch_aot import torch_here

# allowed difference to the eager FP32 graph on real frames, in 8-bit levels (99.9% of values)
LEVELS = {"fp32": 1, "fp16": 2}


def aot_available() -> str | None:
    """None when this PyTorch can compile AOT packages for CUDA; otherwise why not, in words."""
    if not hasattr(torch, "_inductor") or not hasattr(torch._inductor, "aoti_compile_and_package"):
        return f"PyTorch {torch.__version__} has no AOTInductor packaging (needs 2.6 or newer)"
    if not torch.cuda.is_available():
        return "PyTorch has no usable CUDA GPU here"
    return None


def build_aot_engine(student: nn.Module, checkpoint_sha256: str, engine: Path, size: tuple[int, int],
                     frames_bgr: list[np.ndarray], device: str = "cuda", precision: str | None = None,
                     batch: int | None = None) -> AotMeta:
    """Compile `student`'s frame graph for (width, height) frames into `engine`; check it against the eager
    graph over `frames_bgr` (a sequence, state carried) and write the sidecar. Returns the sidecar.

    `batch`: an engine for up to that many independent streams per call (N x H x W x 3 frames, N states, N
    strengths; any N from 1 to `batch`), in the generic layout (the lean graph takes one frame)."""
    precision = precision or ("fp16" if device == "cuda" else "fp32")
    dtype = torch.float16 if precision == "fp16" else torch.float32
    lean = device == "cpu" and batch is None
    graph = frame_graph(_copy(student), dtype, lean=lean).to(device).eval()
    width, height = size
    example = tuple(t.to(device) for t in graph_inputs(torch.zeros(height, width, 3, dtype=torch.uint8), dtype))
    dynamic = None
    if batch is not None:  # traced with two streams, so the batch size is not specialised to 1
        example = (example[0].expand(2, -1, -1, -1).contiguous(), example[1].expand(2, -1, -1, -1).contiguous(),
                   example[2].expand(2).contiguous())
        streams = torch.export.Dim("streams", min=1, max=max(batch, 2))
        dynamic = ({0: streams}, {0: streams}, {0: streams})
    with torch.no_grad():
        program = torch.export.export(graph, example, dynamic_shapes=dynamic)
        partial = engine.with_name(f".{engine.stem}.{os.getpid()}.partial.pt2")  # AOTInductor wants .pt2
        try:
            torch._inductor.aoti_compile_and_package(program, package_path=str(partial))
            os.replace(partial, engine)
        finally:
            partial.unlink(missing_ok=True)
    worst, within = parity_levels(engine, graph, example, frames_bgr, device)
    here = torch_here()
    meta = AotMeta(torch_version=here.torch_version, cuda_version=here.cuda_version if device == "cuda" else None,
                   device=device, gpu_name=here.gpu_name if device == "cuda" else None,
                   compute_capability=here.compute_capability if device == "cuda" else None,
                   precision=precision, width=width, height=height, batch=batch,
                   layout="lean" if lean and type(graph).__name__ == "LeanFrameGraph" else "generic",
                   state_dtype=str(example[1].dtype).removeprefix("torch."), checkpoint_sha256=checkpoint_sha256,
                   engine_sha256=sha256_file(engine), parity_max_levels=worst, parity_within=within)
    if within < 0.999:
        raise SharpcamError(f"{engine}: only {within:.2%} of values within {LEVELS[precision]} levels of the eager "
                            f"graph (worst {worst}); not writing its sidecar, so the runtime will not load it")
    meta.save(sidecar_path(engine))
    return meta


def parity_levels(engine: Path, graph: nn.Module, example: tuple, frames_bgr: list[np.ndarray],
                  device: str) -> tuple[int, float]:
    """(largest 8-bit difference, share of values within LEVELS) between the package and the eager graph over
    a frame sequence, each carrying its own state from frame to frame."""
    runner = torch._inductor.aoti_load_package(str(engine))
    _, state, strength = example
    state_a, state_b, diffs = state.clone(), state.clone(), []
    allowed = LEVELS["fp16" if state.dtype == torch.float16 else "fp32"]
    with torch.no_grad():
        for frame in frames_bgr:
            x = torch.from_numpy(np.ascontiguousarray(frame)).to(device)
            if x.dim() < example[0].dim():  # a batched engine: the frame as each of the example's streams
                x = x.expand(*example[0].shape).contiguous()
            got, state_a = runner(x, state_a, strength)
            # the package takes inputs with the strides it was traced with, and may return its state in another
            # layout (channels-last from a convolution): fed back as it comes, it would be read wrongly
            state_a = state_a.contiguous()
            want, state_b = graph(x, state_b, strength)
            diffs.append((got.int() - want.int()).abs().flatten().cpu())
    d = torch.cat(diffs)
    return int(d.max()), float((d <= allowed).double().mean())


def _copy(student: nn.Module) -> nn.Module:
    import copy
    return copy.deepcopy(student).eval()
