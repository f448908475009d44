"""INT8 graphs for ONNX Runtime on CPUs: static quantization of a student's convolutions.

Only the Conv nodes are quantized (QDQ format): weights int8 per output channel, activations uint8 per
tensor, ranges calibrated on real frames. The frame conversion, pixel (un)shuffle and the global skip stay in
float, so the input passes through exactly and only the predicted correction carries quantization error.
On CPUs with VNNI (AVX512-VNNI / AVX-VNNI) ONNX Runtime runs such convolutions with integer dot products.
The graph's quality must be measured on the quantized graph itself (benchmarks/quality/frontier.py does).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx

from export.samples import as_frame
from runtime.errors import SharpcamError
from runtime.contract import STATE_INPUT, first_frame_feeds


def _quantization():
    try:
        from onnxruntime import quantization
    except ImportError as err:
        raise SharpcamError("INT8 export needs ONNX Runtime: pip install onnxruntime (part of every sharpcam install)") from err
    return quantization


def _feeds(graph: onnx.ModelProto, frames_bgr: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    """Calibration inputs in the graph's own format: uint8 HxWx3 BGR frames or float NCHW RGB images, each
    the first frame of a stream (reset state, full strength)."""
    inp = graph.graph.input[0]
    if inp.type.tensor_type.elem_type == onnx.TensorProto.UINT8:
        height, width = (d.dim_value for d in inp.type.tensor_type.shape.dim[:2])
        wrong = [f.shape for f in frames_bgr if f.shape[:2] != (height, width)]
        if wrong:
            raise SharpcamError(f"calibration frames must be {width}x{height}; got shapes {wrong[:3]}")
        pictures = [np.ascontiguousarray(f) for f in frames_bgr]
    else:
        pictures = [np.ascontiguousarray(f[..., ::-1].transpose(2, 0, 1)[None], dtype=np.float32) / 255
                    for f in frames_bgr]
    if STATE_INPUT not in {i.name for i in graph.graph.input}:  # a graph from before the temporal filter
        return [{inp.name: p} for p in pictures]
    return [first_frame_feeds(inp.name, p) for p in pictures]


def quantize_int8(fp32_graph: Path, out: Path, frames_bgr: list[np.ndarray]) -> Path:
    """Write an INT8 (QDQ) copy of `fp32_graph`, calibrated on `frames_bgr` (uint8 BGR)."""
    if not frames_bgr:
        raise SharpcamError("INT8 calibration needs at least one frame")
    q = _quantization()
    source = onnx.load(str(fp32_graph))
    feeds = iter(_feeds(source, frames_bgr))

    class Reader(q.CalibrationDataReader):
        def get_next(self):
            return next(feeds, None)

    with tempfile.TemporaryDirectory() as tmp:
        # Shape inference and graph cleanup first, as ONNX Runtime's quantization guide recommends.
        prepared = Path(tmp) / "prepared.onnx"
        q.shape_inference.quant_pre_process(str(fp32_graph), str(prepared), skip_symbolic_shape=True)  # symbolic inference fails on dynamic pixel shuffles
        q.quantize_static(str(prepared), str(out), Reader(), quant_format=q.QuantFormat.QDQ,
                          op_types_to_quantize=["Conv"], per_channel=True,
                          activation_type=q.QuantType.QUInt8, weight_type=q.QuantType.QInt8,
                          calibrate_method=q.CalibrationMethod.MinMax)
    model = onnx.load(str(out))
    # The quantizer drops metadata; the runtime needs size_multiple to pad odd frame sizes.
    onnx.helper.set_model_props(model, {p.key: p.value for p in source.metadata_props})
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(out))
    if not any(n.op_type == "QuantizeLinear" for n in model.graph.node):
        raise SharpcamError(f"{out}: the quantizer found no convolution to quantize")
    return out


def int8_graph(fp32: Path, size: tuple[int, int], photos: list[np.ndarray]) -> Path:
    """STEM_int8.onnx beside `fp32`, calibrated on the photos framed at `size` (width, height)."""
    return quantize_int8(fp32, fp32.with_name(f"{fp32.stem}_int8.onnx"), [as_frame(p, size) for p in photos])
