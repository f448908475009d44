"""The GPU path on a CUDA machine: `make gpu-check` and the device stand-in its double-buffer check runs."""
