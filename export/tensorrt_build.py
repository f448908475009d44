"""Build FP16 TensorRT engines from the FP16 frame graphs, with one shared timing cache and a sidecar each.

TensorRT 11 has no FP16 builder flag: precision comes from the graph itself, built as a strongly typed
network (`NetworkDefinitionCreationFlag.STRONGLY_TYPED`, TensorRT >= 10). A TensorRT without that flag
is refused rather than silently building an FP32 engine. Kept thin on purpose: everything here is the
documented Builder / OnnxParser / BuilderConfig API, with every return value checked.
"""
from __future__ import annotations

from pathlib import Path

from runtime.backends.cuda_device import gpu_identity, gpu_stack_problem
from runtime.backends.engine_meta import EngineMeta, TensorInfo, sha256_file
from runtime.artifacts import sidecar_path
from runtime.errors import SharpcamError
from runtime.optional import extra_install

INSTALL_HELP = (
    "TensorRT engines need an NVIDIA GPU with its driver, TensorRT and cuda-python: "
    f"{extra_install('gpu')} on a machine with an NVIDIA GPU (TensorRT's libraries come from NVIDIA's "
    "own package index). The ONNX graphs in engines/ are written already and run on any "
    "machine through ONNX Runtime."
)


def missing_gpu_stack() -> str | None:
    """None when TensorRT and a CUDA GPU are usable; otherwise what is missing, in words."""
    return gpu_stack_problem()


def build_engine(onnx_path: Path, engine_path: Path, timing_cache: Path, workspace_mb: int = 2048) -> EngineMeta:
    """Parse the strongly typed ONNX graph, build, write engine + sidecar, and update the timing cache."""
    import tensorrt as trt

    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    if not hasattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED"):
        raise SharpcamError(f"TensorRT {trt.__version__} cannot build strongly typed (FP16-from-graph) "
                            "networks; install TensorRT 10 or newer")
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise SharpcamError(f"TensorRT could not parse {onnx_path}: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, workspace_mb << 20)
    cache = config.create_timing_cache(timing_cache.read_bytes() if timing_cache.exists() else b"")
    if cache is None or not config.set_timing_cache(cache, ignore_mismatch=False):
        raise SharpcamError(f"timing cache {timing_cache} does not fit this GPU/TensorRT; delete it and rebuild")
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise SharpcamError(f"TensorRT failed to build an engine from {onnx_path} (see the log above)")
    engine_path.write_bytes(bytes(serialized))
    timing_cache.write_bytes(bytes(config.get_timing_cache().serialize()))
    meta = describe_engine(trt, logger, engine_path, onnx_path)
    meta.save(sidecar_path(engine_path))
    return meta


def describe_engine(trt, logger, engine_path: Path, onnx_path: Path) -> EngineMeta:
    runtime = trt.Runtime(logger)
    engine = runtime.deserialize_cuda_engine(engine_path.read_bytes())
    if engine is None:
        raise SharpcamError(f"TensorRT could not load the engine it just built: {engine_path}")
    tensors = []
    for i in range(engine.num_io_tensors):
        name = engine.get_tensor_name(i)
        mode = "input" if engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT else "output"
        tensors.append(TensorInfo(name, list(engine.get_tensor_shape(name)),
                                  str(engine.get_tensor_dtype(name)).split(".")[-1].lower(), mode))
    gpu, capability = gpu_identity()
    return EngineMeta(trt.__version__, gpu, capability, "fp16", sha256_file(onnx_path),
                      sha256_file(engine_path), tensors)


def compare_with_onnxruntime(engine_path: Path, fp32_onnx: Path, frames_bgr: list) -> float:
    """Largest 8-bit level difference between the engine and ONNX Runtime (FP32 graph) on real frames.

    Uses Polygraphy's runners, NVIDIA's own tool for exactly this comparison.
    """
    import numpy as np
    from polygraphy.backend.onnxrt import OnnxrtRunner, SessionFromOnnx
    from polygraphy.backend.trt import EngineFromBytes, TrtRunner

    from runtime.contract import FRAME_INPUT, FRAME_OUTPUT, first_frame_feeds
    worst = 0.0
    with TrtRunner(EngineFromBytes(engine_path.read_bytes())) as trt_runner, \
            OnnxrtRunner(SessionFromOnnx(str(fp32_onnx), providers=["CPUExecutionProvider"])) as ort_runner:
        for frame in frames_bgr:
            # the engine is built from the FP16 graph (float16 state); ONNX Runtime runs the FP32 one
            a = trt_runner.infer(first_frame_feeds(FRAME_INPUT, frame, np.float16))[FRAME_OUTPUT]
            b = ort_runner.infer(first_frame_feeds(FRAME_INPUT, frame, np.float32))[FRAME_OUTPUT]
            worst = max(worst, float(np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).max()))
    return worst
