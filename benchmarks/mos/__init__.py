"""The report's subjective study as a tool: blind A/B rating in the browser, MOS with confidence intervals.

    python -m benchmarks.mos prepare data/corpus --out runs/mos --unsharp   # + the shipped student
    python -m benchmarks.mos serve runs/mos            # http://127.0.0.1:8765/, one rater at a time
    python -m benchmarks.mos report runs/mos           # runs/mos/report.{md,json,png}

Modules: study (the study file, pairs, per-rater order, safe paths), answers (validation and the
append-only answer log), server and static/ (the rating page), stats and report (MOS tables and chart),
prepare (builds a study from sharp pictures). serve and report never import torch.
"""
