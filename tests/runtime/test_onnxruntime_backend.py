"""ONNX Runtime's backend: its thread-spinning switch, and the graphs and files it refuses."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.backends.onnxruntime import OnnxBackend
from runtime.errors import SharpcamError
from runtime.sinks.factory import open_sink
from runtime.sources import BuiltinClip, open_source
from tiny_graphs import export_tiny_graphs

SPINNING = "session.intra_op.allow_spinning"


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    return export_tiny_graphs(tmp_path_factory.mktemp("graphs"))


def test_thread_spinning_on_and_off_give_the_same_frames(graphs):
    """The switch reaches the session (on, and off by default) and changes only how idle threads wait."""
    frame = BuiltinClip().read()
    on = OnnxBackend(graphs["480p"], threads=2, device="cpu", spinning=True)
    off = OnnxBackend(graphs["480p"], threads=2, device="cpu")
    assert on._session.get_session_options().get_session_config_entry(SPINNING) == "1"
    assert off._session.get_session_options().get_session_config_entry(SPINNING) == "0"
    assert np.array_equal(on.submit(frame)[0], off.submit(frame)[0])


def test_bad_inputs_are_clear(tmp_path):
    with pytest.raises(SharpcamError, match="not found"):
        OnnxBackend(tmp_path / "missing.onnx")
    with pytest.raises(SharpcamError, match="no such video"):
        open_source(str(tmp_path / "missing.mp4"))
    with pytest.raises(SharpcamError, match="no images"):
        open_source(str(tmp_path))
    with pytest.raises(SharpcamError, match="unknown sink"):
        open_sink("speaker", (640, 480), 30)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a graph")
    with pytest.raises(SharpcamError, match="cannot load"):
        OnnxBackend(junk)
