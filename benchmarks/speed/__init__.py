"""Speed and CPU cost: frames per second, latency, CPU time per frame and per step, engine options, soak."""
