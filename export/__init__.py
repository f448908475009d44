"""sharpcam export: student checkpoint -> verified ONNX graphs -> FP16 TensorRT engines."""
