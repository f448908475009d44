"""Runtime on the CPU: queues, scheduler, pipeline end to end, bad inputs, and no torch in the runtime."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from export.onnx_export import export_float, export_frame
from runtime.backends import OnnxBackend
from runtime.cam import main as cam_main
from runtime.double_buffer import DoubleBuffer, HostDevice, StaleHandle
from runtime.errors import SharpcamError
from runtime.pipeline import Pipeline, PipelineConfig
from runtime.queues import Closed, DropOldestQueue
from runtime.choose import open_backend
from runtime.sharpen import RealTimeSharpener, main as sharpen_main
from runtime.sinks import NullSink, open_sink
from runtime.sources import BuiltinClip, open_source
from train.student import SeedStudent

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    torch.manual_seed(0)
    student = SeedStudent(residual=True, blocks=1).eval()
    out = tmp_path_factory.mktemp("graphs")
    return {"float": export_float(student, out / "student.onnx"),
            "480p": export_frame(student, out / "student_480p.onnx", (640, 480), fp16=False)}


def sharpness(frame: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


# queues -------------------------------------------------------------------------------------------
def test_drop_oldest_queue_drops_and_counts():
    q = DropOldestQueue(2)
    for i in range(5):
        q.put(i)
    assert q.dropped == 3 and [q.get(), q.get()] == [3, 4]
    q.close()
    with pytest.raises(Closed):
        q.get()
    q.close()  # idempotent


def test_lossless_queue_waits_for_room():
    q = DropOldestQueue(1, lossless=True)
    q.put(1)
    threading.Timer(0.2, q.get).start()
    start = time.perf_counter()
    q.put(2)
    assert time.perf_counter() - start > 0.1 and q.dropped == 0 and q.get() == 2


# double buffering -----------------------------------------------------------------------------------
def test_double_buffer_overlaps_and_allocates_once():
    device = HostDevice()
    launches = []

    def invert(slot, stream):
        launches.append(slot.index)
        slot.dev_out.array[:] = 255 - slot.dev_in.array

    buffers = DoubleBuffer(device, invert, (4, 6, 3), (4, 6, 3))
    allocated = device.allocations
    frames = [np.full((4, 6, 3), i, np.uint8) for i in range(7)]
    pending, outputs = None, []
    for frame in frames:  # the pipeline's pattern: submit N+1, then collect N
        slot = buffers.submit(frame)
        if pending is not None:
            outputs.append(buffers.collect(pending)[0])
        pending = slot
    out, timings = buffers.collect(pending)
    outputs.append(out)
    assert [int(o[0, 0, 0]) for o in outputs] == [255 - i for i in range(7)]
    assert launches == [0, 1] * 3 + [0]  # two slots, alternating
    assert device.allocations == allocated == 8  # 2 slots x (2 pinned + 2 device), nothing per frame
    assert set(timings) == {"copy_in", "upload", "infer", "download", "copy_out"}


def test_double_buffer_refuses_a_stale_handle_instead_of_returning_another_frame():
    """Submit 3 frames into 2 slots: frame 1's handle is stale (its slot now holds frame 3), so it is refused;
    frames 2 and 3 come back with their own pixels, and no handle can be collected twice."""
    device = HostDevice()
    buffers = DoubleBuffer(device, lambda s, st: s.dev_out.array.__setitem__(slice(None), s.dev_in.array),
                           (2, 2, 3), (2, 2, 3))
    assert buffers.in_flight == len(buffers.slots) == 2
    handles = []
    for value in (1, 2, 3):
        syncs = device.log.count("sync")
        handles.append(buffers.submit(np.full((2, 2, 3), value, np.uint8)))
    assert device.log.count("sync") == syncs + 1  # slot 0's uncollected frame finished before its reuse
    with pytest.raises(StaleHandle, match="reused by a later submit"):
        buffers.collect(handles[0])
    assert [int(buffers.collect(h)[0][0, 0, 0]) for h in handles[1:]] == [2, 3]
    with pytest.raises(StaleHandle, match="already collected"):
        buffers.collect(handles[2])


# pipeline ---------------------------------------------------------------------------------------------
class SlowBackend:
    """Identity model that takes `delay` seconds per frame."""
    name, size = "slow", None

    def __init__(self, delay: float) -> None:
        self.delay, self.frames = delay, 0

    def submit(self, frame):
        time.sleep(self.delay)
        self.frames += 1
        return frame, {"infer": self.delay}

    def collect(self, handle):
        return handle

    def close(self):
        pass


class FastCamera:
    """A live source producing 200 frames as fast as it can (a camera faster than the model)."""
    live, fps, size = True, 30.0, (32, 24)

    def __init__(self) -> None:
        self.produced = 0

    def read(self):
        if self.produced >= 200:
            return None
        self.produced += 1
        time.sleep(0.002)
        return np.full((24, 32, 3), self.produced % 256, np.uint8)

    def close(self):
        pass


def test_slow_model_drops_oldest_frames_instead_of_adding_latency():
    source, backend = FastCamera(), SlowBackend(0.03)
    pipeline = Pipeline(source, backend, NullSink(), PipelineConfig(print_every=0))
    summary = pipeline.run()
    assert summary["dropped"] > 50
    assert summary["frames"] + summary["dropped"] == source.produced == 200
    # latency stays near one model step plus one queued frame, instead of growing with the backlog
    assert summary["stages"]["end_to_end"]["p95_ms"] < 10 * 30


def test_file_to_pipeline_to_file(graphs, tmp_path):
    """Blurred clip -> 480p frame graph -> .avi; every frame arrives and comes out sharper."""
    src = tmp_path / "blurred.avi"
    clip = BuiltinClip(seconds=0.2)
    writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    inputs = []
    while (frame := clip.read()) is not None:
        inputs.append(cv2.GaussianBlur(frame, (7, 7), 1.8))
        writer.write(inputs[-1])
    writer.release()
    model = ROOT / "engines" / "fast_480p.onnx"
    out, stats = tmp_path / "sharp.avi", tmp_path / "stats.json"
    cam_main(["--model", str(model), "--source", str(src), "--sink", str(out), "--stats", str(stats), "--quiet"])
    summary = json.loads(stats.read_text())
    cap, outputs = cv2.VideoCapture(str(out)), []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        outputs.append(frame)
    assert len(outputs) == len(inputs) - summary["dropped"] == summary["frames"] == 6
    assert np.mean([sharpness(o) for o in outputs]) > 1.2 * np.mean([sharpness(i) for i in inputs])
    for stage in ("capture", "infer", "output", "end_to_end"):
        assert summary["stages"][stage]["n"] == 6
    assert not {"resize_in", "resize_out"} & set(summary["stages"])  # a frame graph at its own size


@pytest.mark.parametrize("student", ["webcam", "fast", "seed"])
def test_backend_choice_follows_the_student_and_frame_size(student):
    """On a CPU the webcam student is the default; each shipped student has a graph per resolution."""
    for size, graph in (((640, 480), f"{student}_480p.onnx"), ((800, 600), f"{student}.onnx")):
        backend, why = open_backend(None, None, size, student=student, backend="onnxruntime")
        assert graph in backend.name and ("matches the frame size" in why) == (size == (640, 480))
        backend.close()
    default, _ = open_backend(None, None, (1280, 720), backend="onnxruntime")
    assert "webcam_720p.onnx" in default.name


def test_thread_spinning_off_gives_the_same_frames(graphs):
    frame = BuiltinClip().read()
    on, _ = OnnxBackend(graphs["480p"], threads=2, device="cpu").submit(frame)
    off, _ = OnnxBackend(graphs["480p"], threads=2, device="cpu", spinning=False).submit(frame)
    assert np.array_equal(on, off)


def test_unknown_student_is_refused():
    with pytest.raises(SharpcamError, match="unknown student 'tiny'"):
        open_backend(None, None, (640, 480), student="tiny")


def test_mismatched_size_is_resized_in_and_out(graphs, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), np.full((120, 160, 3), 60 * i, np.uint8))
    source = open_source(str(folder))
    got = []

    class Collect(NullSink):
        def write(self, frame, original=None, status="", name=None):
            got.append(frame.shape)
            return True

    summary = Pipeline(source, OnnxBackend(graphs["480p"]), Collect(), PipelineConfig(print_every=0)).run()
    assert got == [(120, 160, 3)] * 3
    assert summary["stages"]["resize_in"]["n"] == summary["stages"]["resize_out"]["n"] == 3


# bad inputs ----------------------------------------------------------------------------------------------
def test_bad_inputs_are_clear(tmp_path, graphs):
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


# sharpening files -----------------------------------------------------------------------------------------
def test_sharpen_files_keeps_names_modes_and_tiles_seamlessly(graphs, tmp_path):
    rng = np.random.default_rng(0)
    color = cv2.GaussianBlur(rng.integers(0, 256, (300, 420, 3), dtype=np.uint8), (5, 5), 1.5)
    cv2.imwrite(str(tmp_path / "color.png"), color)
    cv2.imwrite(str(tmp_path / "gray.png"), color[..., 0])
    cv2.imwrite(str(tmp_path / "alpha.png"), np.dstack([color, np.full(color.shape[:2], 77, np.uint8)]))
    sharpen_main([str(tmp_path / n) for n in ("color.png", "gray.png", "alpha.png")] +
                 ["-o", str(tmp_path / "out"), "--model", str(graphs["float"])])
    assert cv2.imread(str(tmp_path / "out" / "gray.png"), cv2.IMREAD_UNCHANGED).ndim == 2
    alpha = cv2.imread(str(tmp_path / "out" / "alpha.png"), cv2.IMREAD_UNCHANGED)
    assert alpha.shape == (300, 420, 4) and (alpha[..., 3] == 77).all()
    whole = RealTimeSharpener(graphs["float"], tile=1024).sharpen(color)
    tiled = RealTimeSharpener(graphs["float"], tile=128, overlap=16).sharpen(color)
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1
    big = np.vstack([np.hstack([color] * 2)] * 2)  # 600x840: larger than the 640x480 frame graph
    fixed = RealTimeSharpener(graphs["480p"]).sharpen(big)  # tiles of the graph's size, edges padded
    reference = RealTimeSharpener(graphs["float"], tile=2048).sharpen(big)
    assert fixed.shape == big.shape
    # identical away from the image's own border, where reflect padding (edge tiles) and zero padding
    # (whole image) legitimately differ within the model's receptive field
    assert np.abs(fixed.astype(int) - reference.astype(int))[16:-16, 16:-16].max() <= 2


# the runtime stays lean ---------------------------------------------------------------------------------------
def test_runtime_never_imports_torch(graphs):
    code = (
        "import sys, numpy as np\n"
        "import runtime.cam, runtime.sharpen, runtime.pipeline, runtime.trt_backend, runtime.choose\n"
        "from runtime.backends import OnnxBackend\n"
        f"b = OnnxBackend(r'{graphs['480p']}')\n"
        "out, t = b.collect(b.submit(np.zeros((480, 640, 3), np.uint8)))\n"
        "assert out.shape == (480, 640, 3)\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_missing_virtual_camera_says_how_to_install():
    if Path("/dev/video0").exists() or sys.platform != "linux":
        pytest.skip("a video device exists here; the missing-camera message cannot be provoked")
    with pytest.raises(SharpcamError) as err:
        open_sink("vcam", (640, 480), 30)
    assert "v4l2loopback" in str(err.value) and "exclusive_caps=1" in str(err.value)
    assert "--sink window" in str(err.value)


def _cuda_ready() -> str | None:
    try:
        from runtime.cuda_device import CudaDevice, gpu_identity
        gpu_identity()
    except (SharpcamError, ImportError) as err:
        return str(err)
    return None


@pytest.mark.gpu
@pytest.mark.skipif(_cuda_ready() is not None, reason=f"needs cuda-python and a CUDA GPU: {_cuda_ready()}")
def test_double_buffer_on_a_real_gpu():
    from cuda.bindings import runtime as cudart

    from runtime.cuda_device import CudaDevice, cuda_call
    device = CudaDevice()

    def copy(slot, stream):  # device-to-device copy stands in for the engine
        cuda_call(cudart.cudaMemcpyAsync(slot.dev_out.ptr, slot.dev_in.ptr, slot.dev_in.nbytes,
                                         cudart.cudaMemcpyKind.cudaMemcpyDeviceToDevice, stream))

    buffers = DoubleBuffer(device, copy, (480, 640, 3), (480, 640, 3))
    frames = [np.full((480, 640, 3), i, np.uint8) for i in range(5)]
    pending, outs = None, []
    for f in frames:
        slot = buffers.submit(f)
        if pending is not None:
            outs.append(buffers.collect(pending)[0])
        pending = slot
    outs.append(buffers.collect(pending)[0])
    assert [int(o[0, 0, 0]) for o in outs] == list(range(5))
    buffers.free()
    device.close()


def test_drops_show_in_the_status_line_while_the_run_goes_on():
    """The count is read live from the queues, not copied in after the run (the overlay said 0 before)."""
    from runtime.queues import DropOldestQueue
    from runtime.stats import LatencyStats
    stats, q = LatencyStats(), DropOldestQueue(1)
    stats.watch_drops(q)
    for i in range(4):
        q.put(i)
    assert stats.summary()["dropped"] == 3 and "3 dropped" in stats.line()
