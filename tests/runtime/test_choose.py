"""The automatic backend choice: candidates in order, each passed over with its reason.

TensorRT is simulated (tests/trt_stub.py) so the choice between a current engine, a stale one and the ONNX
graphs is exercised on a CPU; the ONNX graphs are the shipped ones, linked into a temporary engines folder.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import runtime.backends.cuda_device as cuda_device
from runtime.backends.onnxruntime import OnnxBackend
from runtime.backends.factory import (CANDIDATES, ENGINE_KINDS, Candidate, EngineKind, Request, Unavailable,
                                      choose, cpu_graph_name, open_backend)
from runtime.artifacts import graph_path, plan_path, sidecar_path
from runtime.backends.engine_meta import EngineMeta, sha256_file
from runtime.errors import SharpcamError
from trt_stub import GPU, VERSION, install


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for res in (None, "480p"):
        graph_path("webcam", res, folder=tmp_path).symlink_to(graph_path("webcam", res))
    return tmp_path


@pytest.fixture
def tensorrt_here(monkeypatch):
    """TensorRT, cuda-python and a GPU 'present': the stub, with the real sidecar check."""
    install(monkeypatch, check_engine=True)
    monkeypatch.setattr(cuda_device, "gpu_stack_problem", lambda: None)


def _plan(folder: Path, gpu: tuple[str, str] | None = GPU, version: str = VERSION) -> Path:
    plan = plan_path("webcam", "480p", folder)
    plan.write_bytes(b"an engine")
    if gpu is not None:
        EngineMeta(version, gpu[0], gpu[1], "fp16", "", sha256_file(plan)).save(sidecar_path(plan))
    return plan


def _choose(folder: Path, size=(640, 480), family="auto"):
    """The choice without OpenVINO's candidate, so the same test holds where OpenVINO is installed or not."""
    without_openvino = [c for c in CANDIDATES if c.family != "openvino"]
    backend, why = choose(Request(size, folder=folder, backend=family), without_openvino)
    backend.close()
    return backend, why


def test_a_current_engine_is_chosen_first(folder, tensorrt_here):
    _plan(folder)
    backend, why = _choose(folder)
    assert backend.name.startswith("tensorrt") and "webcam_480p.plan" in backend.name, why


@pytest.mark.parametrize("stale, reason", [
    ({"gpu": None}, "sidecar .* is missing"),
    ({"gpu": ("Other GPU", "8.6")}, "built for Other GPU"),
    ({"version": "8.6.1"}, "built with TensorRT 8.6.1"),
])
def test_a_stale_engine_falls_back_to_the_onnx_graph_with_a_note(folder, tensorrt_here, stale, reason):
    _plan(folder, **stale)
    backend, why = _choose(folder)
    assert isinstance(backend, OnnxBackend) and "webcam_480p.onnx" in backend.name
    assert "webcam_480p.plan" in why
    assert re.search(reason, why), why


def test_a_size_without_its_own_engine_uses_the_any_size_graph_not_the_480p_engine(folder, tensorrt_here):
    _plan(folder)
    backend, why = _choose(folder, size=(800, 600))
    assert backend.name.endswith("(webcam.onnx)") and backend.size is None
    assert "none is built for 800x600" in why


def test_without_tensorrt_the_frame_graph_is_chosen_and_the_reason_given(folder, monkeypatch):
    monkeypatch.setattr(cuda_device, "gpu_stack_problem", lambda: "TensorRT is not importable (stub)")
    _plan(folder)
    backend, why = _choose(folder, family="onnxruntime")
    assert "webcam_480p.onnx" in backend.name and backend.name.startswith("onnxruntime")
    assert "TensorRT" not in why  # --backend onnxruntime: the other families are not tried
    backend, why = _choose(folder)
    assert "TensorRT is not importable (stub)" in why  # auto: the reason TensorRT was passed over


def test_a_new_candidate_is_one_entry_and_reasons_are_collected(folder):
    def refuses(req):
        raise Unavailable("openvino (not installed)")

    def accepts(req):
        return OnnxBackend(graph_path("webcam", folder=req.folder)), "stand-in for a new backend"

    backend, why = choose(Request((640, 480), folder=folder),
                          [Candidate("openvino", refuses), Candidate("onnxruntime", accepts)])
    backend.close()
    assert why.endswith("stand-in for a new backend; tried first: openvino (not installed)")


def test_nothing_found_lists_every_try(tmp_path):
    with pytest.raises(SharpcamError, match="no model found; tried .*webcam_480p.onnx \\(missing\\).*make engines"):
        choose(Request((640, 480), folder=tmp_path))


def test_an_explicit_family_that_cannot_run_says_why(folder, monkeypatch):
    monkeypatch.setattr(cuda_device, "gpu_stack_problem", lambda: "no GPU (stub)")
    _plan(folder)
    with pytest.raises(SharpcamError, match="--backend tensorrt: .*no GPU \\(stub\\)"):
        choose(Request((640, 480), folder=folder, backend="tensorrt"))


@pytest.mark.parametrize("student", ["webcam", "fast", "seed"])
def test_backend_choice_follows_the_student_and_frame_size(student):
    """On a CPU the webcam student is the default; each shipped student has a graph per resolution."""
    for size, graph in (((640, 480), f"{student}_480p.onnx"), ((800, 600), f"{student}.onnx")):
        backend, why = open_backend(Request(size, student=student, backend="onnxruntime"))
        assert graph in backend.name and ("matches the frame size" in why) == (size == (640, 480))
        backend.close()
    default, _ = open_backend(Request((1280, 720), backend="onnxruntime"))
    assert "webcam_720p.onnx" in default.name


def test_unknown_student_is_refused():
    with pytest.raises(SharpcamError, match="unknown student 'tiny'"):
        open_backend(Request((640, 480), student="tiny"))


def test_an_engine_is_opened_by_its_suffix(tmp_path, monkeypatch):
    """--engine dispatches on the file suffix: .plan is TensorRT; a new kind is one more ENGINE_KINDS entry."""
    opened = []
    monkeypatch.setitem(ENGINE_KINDS, ".plan", EngineKind("TensorRT engine", lambda p, s: opened.append((p, s))))
    monkeypatch.setitem(ENGINE_KINDS, ".pt2", EngineKind("AOT PyTorch engine", lambda p, s: opened.append((p, s))))
    for name in ("a.plan", "a.pt2"):
        _, why = open_backend(Request(engine=tmp_path / name, strength=0.5))
        assert why.endswith(f"{tmp_path / name}, as asked")
    assert opened == [(tmp_path / "a.plan", 0.5), (tmp_path / "a.pt2", 0.5)]
    with pytest.raises(SharpcamError, match="not a compiled engine \\(.plan, .pt2\\); give an ONNX graph"):
        open_backend(Request(engine=tmp_path / "a.onnx"))


@pytest.mark.parametrize("family", ["openvino", "onnxruntime"])
def test_each_cpu_family_opens_the_graph_its_rule_names(tmp_path, family):
    """At 720p the two differ (OpenVINO reshapes the 480p graph): with only the named graph there, it opens."""
    if family == "openvino":
        pytest.importorskip("openvino")
    name = cpu_graph_name("webcam", family, "720p")
    (tmp_path / name).symlink_to(graph_path("webcam").parent / name)
    backend, why = choose(Request((1280, 720), folder=tmp_path, backend=family))
    backend.close()
    assert backend.name.endswith(f"({name})"), why
