"""The learned exposure model (runtime/exposure.py): the runtime loads the shipped parameters without torch and
lifts with them, its level features move with the light alone, and parameters for other features are refused."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from runtime.errors import SharpcamError
from runtime.exposure import FEATURE_NAMES, NOISE_FEATURE, PARAMS_PATH, features, load_model

ROOT = Path(__file__).resolve().parents[2]


def test_runtime_loads_the_shipped_parameters_without_torch():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # importing torch now fails\n"
        "import cv2, numpy as np\n"
        "from runtime.low_light import LowLight, LowLightConfig\n"
        "step = LowLight(LowLightConfig(mode='on', gain_from='learned'))\n"
        "dark = (cv2.imread('runtime/assets/face.jpg') // 6).astype(np.uint8)\n"
        "step(dark)\n"
        "print('torch' in sys.modules and sys.modules['torch'] is not None, round(step.gain, 1))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    torch_loaded, gain = result.stdout.split()
    assert torch_loaded == "False" and 4.0 < float(gain) < 9.0  # a sixth of the light asks for about 6


def test_shipped_parameters_name_known_features_and_record_their_selection():
    raw = json.loads(PARAMS_PATH.read_text())
    model = load_model()
    assert set(model.names) <= set(FEATURE_NAMES) and len(model.weights) == len(model.names)
    assert raw["chosen"] in raw["selection_val"]  # chosen on val, the table kept with the numbers


def test_level_features_shift_by_the_log_of_the_light():
    frame = cv2.imread(str(ROOT / "runtime" / "assets" / "face.jpg"))
    names = tuple(n for n in FEATURE_NAMES if n != NOISE_FEATURE)
    bright, dim = features(frame, names), features((frame.astype(np.float32) / 4).round().astype(np.uint8), names)
    middle = [i for i, n in enumerate(names) if n in ("log_p25", "log_p50", "log_p75", "log_mean")]
    assert np.allclose(bright[middle] - dim[middle], math.log(4), atol=0.05)  # 8-bit rounding aside


def test_parameters_for_other_features_are_refused(tmp_path):
    path = tmp_path / "exposure.json"
    path.write_text(json.dumps({"names": ["log_p42"], "mean": [0], "scale": [1], "weights": [1], "bias": 0}))
    with pytest.raises(SharpcamError, match="make exposure-fit"):
        load_model(path)
