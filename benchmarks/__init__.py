"""sharpcam benchmarks: speed, latency and quality reports."""
