# sharpcam: `make demo` sets up and runs the main job on a built-in clip; `make test` runs the tests.
PY      ?= .venv/bin/python
VENV     = .venv/.installed
TORCH    = torch==2.13.0
CORPUS   = data/corpus/manifest.json

.PHONY: setup demo demo-train test corpus train train-fast train-seed evaluate quality stability temporal-tune \
	engines bench bench-quick frontier mos-demo clean gpu-check

setup: $(VENV)

# torch first, pinned, so pip takes the CPU build from local disk instead of a multi-GB CUDA build.
$(VENV): pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e '.[cpu,openvino,dev]'
	touch $(VENV)

# Main job on a built-in default until the runtime lands: smoke-size distillation + evaluation.
# The main job on the built-in clip: sharpen it through the shipped ONNX graph into a video file.
demo: $(VENV)
	$(PY) -m runtime.cam --source builtin --sink runs/demo/sharpened.mp4 --stats runs/demo/stats.json
	@echo "wrote runs/demo/sharpened.mp4 and runs/demo/stats.json"

# Smoke-size distillation + evaluation on built-in images (scikit-image, matplotlib; no Debian packages).
demo-train: $(VENV)
	$(PY) -m train.corpus --out runs/demo/corpus --no-debian --text-pages 0
	$(PY) -m train.distill --preset smoke --corpus runs/demo/corpus --run-dir runs/demo --fresh
	$(PY) -m train.evaluate --corpus runs/demo/corpus --split test --no-teacher \
		--student demo=runs/demo/best.pt --student shipped-fast=engines/fast.pt --out runs/demo/quality

test: $(VENV)
	$(PY) -m pytest -q

corpus: $(CORPUS)
$(CORPUS): | $(VENV)
	$(PY) -m train.corpus --out data/corpus

# The default student (webcam conditions: noise, codecs, blur): see README for the wall time on a 2-core CPU.
train: $(VENV) $(CORPUS)
	$(PY) -m train.distill --preset webcam --run-dir runs/webcam --ship engines/webcam.pt
	$(PY) -m export --students webcam --onnx-only
	$(MAKE) evaluate quality QUALITY_ARGS=--no-teacher

# The clean-blur CPU student of the report's benchmark (engines/fast.pt).
train-fast: $(VENV) $(CORPUS)
	$(PY) -m train.distill --preset fast --run-dir runs/fast --ship engines/fast.pt
	$(MAKE) evaluate

# The report's architecture (engines/seed.pt): ~1 h on a 2-core CPU (teacher bank ~8 min, 4,000 steps).
train-seed: $(VENV) $(CORPUS)
	$(PY) -m train.distill --run-dir runs/default --ship engines/seed.pt
	$(MAKE) evaluate

evaluate: $(VENV) $(CORPUS)
	$(PY) -m train.evaluate --student webcam=engines/webcam.pt --student fast=engines/fast.pt \
		--student seed=engines/seed.pt --out benchmarks/results/quality

# Webcam conditions (benchmark blur, office light, low light, starved bitrate) x every method, test split.
# OUT=benchmarks/results/webcam_quality to update the committed table.
# The teacher column takes ~35 min the first time (cached after); QUALITY_ARGS=--no-teacher skips it.
OUT_QUALITY ?= runs/webcam_quality
quality: $(VENV) $(CORPUS)
	$(PY) -m benchmarks.webcam_quality --student webcam=engines/webcam.onnx --student fast=engines/fast.onnx \
		--student seed=engines/seed.onnx --out $(OUT_QUALITY) $(QUALITY_ARGS)

# Temporal stability through runtime.cam (still scenes with fresh noise, pans, zooms), test split.
OUT_STABILITY ?= runs/stability
stability: $(VENV) $(CORPUS)
	$(PY) -m benchmarks.stability --model webcam=engines/webcam.onnx --model fast=engines/fast.onnx \
		--out $(OUT_STABILITY)

# How the temporal filter's settings were chosen (validation split).
temporal-tune: $(VENV) $(CORPUS)
	$(PY) -m benchmarks.temporal_tune --checkpoint engines/webcam.pt --out runs/temporal_tune

# ONNX graphs always; FP16 TensorRT engines where TensorRT and an NVIDIA GPU exist (else exit 3, saying why).
engines: $(VENV)
	$(PY) -m export --students webcam,fast,seed --out engines

# Speed, latency and quality report -> benchmarks/results/fps.{md,json,png} (a few minutes on 2 cores).
bench: $(VENV)
	$(PY) benchmarks/fps.py

bench-quick: $(VENV)
	$(PY) benchmarks/fps.py --quick --out runs/bench-quick

# Speed/quality frontier of the shipped students (FPS at 480p/720p against test SSIM under the benchmark blur).
# OUT_FRONTIER=benchmarks/results --keep-style updates go through benchmarks/frontier.py directly.
OUT_FRONTIER ?= runs/frontier-report
frontier: $(VENV) $(CORPUS)
	$(PY) benchmarks/frontier.py --variant webcam=engines/webcam.pt --variant fast=engines/fast.pt \
		--variant seed=engines/seed.pt --out $(OUT_FRONTIER)

# A tiny subjective study from images scikit-image ships (blurred / shipped student / unsharp mask, 6 images),
# then the rating page on http://127.0.0.1:8765/ (Ctrl-C stops; python -m benchmarks.mos report runs/mos-demo/study).
mos-demo: $(VENV)
	test -f runs/mos-demo/study/study.json || { \
		$(PY) -m train.corpus --out runs/mos-demo/corpus --no-debian --text-pages 0 && \
		$(PY) -m benchmarks.mos prepare runs/mos-demo/corpus --out runs/mos-demo/study --unsharp --raters 3; }
	$(PY) -m benchmarks.mos serve runs/mos-demo/study

clean:
	rm -rf runs .pytest_cache

# The GPU path on a CUDA machine (PyTorch with CUDA, cuda-python; CuPy, TensorRT optional), a few minutes:
# CUDA tests, the double buffer on the device, students' FP16 timings, a torchrun smoke distillation.
# Writes benchmarks/results/gpu/<device>/; without a GPU it says why and exits 0. There: make gpu-check PY=python3
gpu-check:
	$(PY) -m benchmarks.gpu_check
