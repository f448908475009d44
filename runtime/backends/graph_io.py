"""A graph's inputs and outputs checked when it is loaded, against runtime/contract.py, so a graph that
cannot run is refused in one line instead of failing on the first frame with the engine's own exception
(an extra input nothing feeds, an int64 picture, a state that does not match the picture).

Backends describe each input and output as a Port (name, NumPy dtype name, shape with None for a free or
named dimension); ONNX Runtime and OpenVINO both go through check_graph().
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runtime.contract import STATE_INPUT, STATE_OUTPUT, STRENGTH_INPUT
from runtime.errors import SharpcamError

STATE_DTYPES = ("float32", "float16")  # the graph's compute type


@dataclass(frozen=True)
class Port:
    name: str
    dtype: str  # NumPy's name: uint8, float32, float16, int64...
    shape: tuple[int | None, ...]  # None: a free (symbolic) dimension


def free(dim) -> int | None:
    """A dimension as a Port holds it: an int, or None for a named or unknown one."""
    return dim if isinstance(dim, int) and dim >= 0 else None


def _refuse(path: Path, what: str) -> None:
    raise SharpcamError(f"{path}: {what}; this is not a sharpcam graph (export one with 'make engines')")


def _agree(a: int | None, b: int | None) -> bool:
    return a is None or b is None or a == b


def check_picture(path: Path, picture: Port, output: Port) -> bool:
    """The picture input and output: uint8 H x W x 3 (a frame graph; returns True) or float32 N x 3 x H x W."""
    frame_graph = picture.dtype == "uint8"
    if picture.dtype not in ("uint8", "float32"):
        _refuse(path, f"its picture input {picture.name!r} is {picture.dtype}, not uint8 (H x W x 3 BGR) or "
                      "float32 (N x 3 x H x W RGB)")
    want = "H x W x 3 (uint8 BGR)" if frame_graph else "N x 3 x H x W (float RGB)"
    channel = -1 if frame_graph else 1
    for role, port in (("input", picture), ("output", output)):
        shape = list(port.shape)
        if len(shape) != (3 if frame_graph else 4) or shape[channel] not in (3, None):
            _refuse(path, f"its {role} is {shape}, not {want}")
    if output.dtype != picture.dtype:
        _refuse(path, f"its output {output.name!r} is {output.dtype} but its input {picture.dtype}")
    return frame_graph


def check_graph(path: Path, inputs: list[Port], outputs: list[Port]) -> None:
    """Refuse a graph whose inputs or outputs the runtime could not feed or use (the first input and output
    are the picture's; a state and a strength input are optional, nothing else is)."""
    if not inputs or not outputs:
        _refuse(path, "it has no inputs or no outputs")
    picture, extra = inputs[0], [p for p in inputs[1:] if p.name not in (STATE_INPUT, STRENGTH_INPUT)]
    if extra:
        _refuse(path, f"it takes inputs the runtime does not feed ({', '.join(p.name for p in extra)})")
    frame_graph = check_picture(path, picture, outputs[0])
    by_name = {p.name: p for p in inputs}
    if STRENGTH_INPUT in by_name:
        knob = by_name[STRENGTH_INPUT]
        if knob.dtype != "float32" or len(knob.shape) != 1 or not _agree(knob.shape[0], 1):
            _refuse(path, f"its {STRENGTH_INPUT!r} input is {knob.dtype} {list(knob.shape)}, not float32 [1]")
    if STATE_INPUT in by_name:
        _check_state(path, by_name[STATE_INPUT], {p.name: p for p in outputs}, picture, frame_graph)


def _check_state(path: Path, state: Port, outputs: dict[str, Port], picture: Port, frame_graph: bool) -> None:
    """The temporal state: 1 x 3 x H x W (N for the float graph) of the picture's H and W, fed back from
    `state_out`, which must exist and match it."""
    height, width = (picture.shape[0], picture.shape[1]) if frame_graph else (picture.shape[2], picture.shape[3])
    batch = 1 if frame_graph else picture.shape[0]
    want = (batch, 3, height, width)
    shape = state.shape
    if state.dtype not in STATE_DTYPES or len(shape) != 4 or not all(_agree(a, b) for a, b in zip(shape, want)):
        shown = ["?" if d is None else d for d in want]
        _refuse(path, f"its {STATE_INPUT!r} input is {state.dtype} {list(shape)}, not float32/float16 {shown} "
                      "(the picture's height and width)")
    returned = outputs.get(STATE_OUTPUT)
    if returned is None:
        _refuse(path, f"it takes a {STATE_INPUT!r} but gives no {STATE_OUTPUT!r} to feed back")
    if returned.dtype != state.dtype or len(returned.shape) != 4 or \
            not all(_agree(a, b) for a, b in zip(returned.shape, shape)):
        _refuse(path, f"its {STATE_OUTPUT!r} is {returned.dtype} {list(returned.shape)} but its {STATE_INPUT!r} "
                      f"{state.dtype} {list(shape)}")
