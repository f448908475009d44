"""sharpcam benchmarks, grouped by what they measure; each runs as a module (`python -m benchmarks.speed.fps`).

    speed/      frames per second, latency, CPU time per frame and per step, engine options, soak
    quality/    students against classical baselines under webcam conditions; the speed/quality frontier
    stability/  temporal stability of clips through runtime.cam; the temporal filter's tuning
    gpu/        the GPU path on a CUDA machine (`make gpu-check`)
    mos/        the subjective study (blind A/B rating in the browser)
    common.py   the checkout, the machine, the command line, and report writing that all of them share
    fps.py      `python benchmarks/fps.py` and `sharpcam bench`: the speed and latency report (speed/fps.py)

Measurements go under runs/; only `make results` copies them into the committed results/.
"""
