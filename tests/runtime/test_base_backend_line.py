"""The base install's backend (issue 22 item 14): every --load-policy works on ONNX Runtime (the any-size
graph when the policy changes the model's size), and one short line says which engine runs and how to get
the faster one."""
from __future__ import annotations

import pytest

from runtime.artifacts import FAMILY, graph_name
from runtime.backends import openvino
from runtime.cam import main as cam_main


def backend_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("source:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("policy", ["skip", "scale50"])
def test_size_changing_policies_run_on_onnx_runtime(capsys, policy):
    cam_main(["--source", "builtin", "--sink", "null", "--frames", "3", "--backend", "onnxruntime",
              "--load-policy", policy])  # no SystemExit: it ran
    # the any-size graph of the student auto runs here (the family's smallest), which the policy can resize
    assert graph_name(FAMILY[0]) in backend_line(capsys)


def test_the_base_install_says_its_engine_and_the_faster_one_in_one_short_line(capsys, monkeypatch):
    monkeypatch.setattr(openvino, "openvino_available", lambda: False)  # the base install: no OpenVINO
    cam_main(["--source", "builtin", "--sink", "null", "--frames", "2", "--quiet"])
    line = backend_line(capsys)
    assert "onnxruntime-cpu" in line and "[openvino]" in line
    assert "tried first" not in line and len(line) <= 180  # one terminal line and a bit
