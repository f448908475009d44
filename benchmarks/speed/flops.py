"""Multiply-adds per frame, counted from the ONNX graph itself (Conv and ConvTranspose layers)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx


def conv_macs(graph_path: Path, width: int, height: int) -> int:
    """MACs for one (1, 3, height, width) input of the dynamic float graph, via ONNX shape inference."""
    model = onnx.load(str(graph_path))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for dim, size in zip(dims, (1, 3, height, width)):
        dim.Clear()
        dim.dim_value = size
    model = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in (*model.graph.value_info, *model.graph.output)}
    weights = {i.name: list(i.dims) for i in model.graph.initializer}
    total = 0
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        out = shapes.get(node.output[0])
        w = weights.get(node.input[1])
        if not out or not w or 0 in out:
            raise ValueError(f"cannot size Conv {node.name}: output {out}, weight {w}")
        # out: N, Cout, H, W; weight: Cout, Cin/groups, kh, kw -> each output value costs Cin/g*kh*kw MACs
        total += int(np.prod(out)) * int(np.prod(w[1:]))
    return total
