"""Inference backends, the middle stage: uint8 BGR frames in, uint8 BGR frames out.

base.py          the Backend protocol every engine implements, and the strength check
factory.py       open_backend(): the one way to open a backend (an engine or model named, else the first
                 candidate that works here: TensorRT, OpenVINO, ONNX Runtime)
onnxruntime.py   ONNX Runtime (CPU, or CUDA with onnxruntime-gpu): frame graphs and the any-size float graph
openvino.py      OpenVINO on the CPU: one frame graph reshaped to any size, bf16 where native
tensorrt.py      TensorRT engines (.plan), with cuda_device.py, double_buffer.py, resources.py and the
                 engine sidecar check of engine_meta.py
adaptive.py      the load policy wrapped around an any-size backend when the camera outruns the model
family.py        --student auto: the family's largest student whose measured time fits the frame budget
"""
