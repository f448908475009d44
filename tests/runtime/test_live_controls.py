"""The controls the app's page (and a session's caller) changes while frames flow, applied by the pipeline
before the next frame: the temporal filter off (a reset state every frame, only the model's: the load
policy's shown-again frame is kept) and back on, and the low-light mode switched either way, also from
off, where the session opened no step."""
from __future__ import annotations

import numpy as np

from pass_through import PassThrough
from runtime.backends.adaptive import AdaptiveBackend
from runtime.controls import Controls
from runtime.pipeline import Pipeline, PipelineConfig
from runtime.sinks.base import Sink

DARK = 20  # grey level of a frame low light lifts (a gain well above auto's threshold)


def scripted(controls: Controls, script: dict[int, dict]) -> PassThrough:
    """A pass-through backend during whose run `script[i]` is what the user changes in the controls from frame
    i on (set while frame i - 1 runs, on the worker: no race with it)."""
    def change(frame: int) -> None:
        for name, value in script.get(frame, {}).items():
            setattr(controls, name, value)
    return PassThrough(before_frame=change)


class Frames:
    """A file-like source of `n` flat frames of one grey level."""
    size, fps, live, frame_count, last_name, last_time, generation = (64, 48), 30.0, False, None, None, None, 0
    decoder_warnings = 0

    def __init__(self, n: int, level: int = DARK) -> None:
        self.n, self.i, self.level = n, 0, level

    def read(self):
        if self.i >= self.n:
            return None
        self.i += 1
        return np.full((48, 64, 3), self.level, np.uint8)

    def close(self) -> None:
        pass


class Kept(Sink):
    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []

    def write(self, frame, original=None, status="", name=None) -> bool:
        self.frames.append(frame)
        return True


def run(source: Frames, backend, controls: Controls, low_light=None) -> Kept:
    sink = Kept()
    cfg = PipelineConfig(print_every=0, controls=controls, low_light=low_light)
    Pipeline(source, backend, sink, cfg).run()
    return sink


def test_temporal_off_resets_the_models_state_before_every_frame_until_it_is_on_again():
    controls = Controls()
    backend = scripted(controls, {2: {"temporal": False}, 7: {"temporal": True}})
    run(Frames(10), backend, controls)
    assert len(backend.resets) == 5  # frames 2..6, and none while on, and none while on


def test_temporal_off_under_the_skip_policy_resets_the_model_not_the_frame_it_shows_again():
    controls, inner = Controls(temporal=False), PassThrough()
    backend = AdaptiveBackend(inner, "skip", camera_fps=30.0, realtime=True)
    run(Frames(6), backend, controls)
    assert len(inner.resets) == 6
    assert inner.frames == 1 and backend.skipped == 5  # the same frame again: shown again, not run


def test_low_light_turns_on_and_off_while_frames_flow_even_when_the_session_opened_it_off():
    controls = Controls(low_light="off")
    backend = scripted(controls, {4: {"low_light": "on"}, 8: {"low_light": "off"}})
    sink = run(Frames(12), backend, controls)
    means = [float(f.mean()) for f in sink.frames]
    assert all(m == DARK for m in means[:4]), means  # off: untouched
    assert all(m > 2 * DARK for m in means[4:8]), means  # on: lifted from the first frame it was asked
    assert all(m == DARK for m in means[8:]), means  # off again: untouched at once


def test_low_light_mode_auto_after_on_decides_afresh_on_a_well_exposed_frame():
    from runtime.low_light import low_light_step

    controls = Controls(low_light="on")
    step = low_light_step("on", 30.0)
    sink = run(Frames(8, level=140), scripted(controls, {4: {"low_light": "auto"}}), controls, step)
    assert float(sink.frames[0].mean()) > 140  # on lifts toward the target even a fair frame
    assert all(float(f.mean()) == 140 for f in sink.frames[4:])  # auto: well exposed, passed as it came
    assert step.cfg.mode == "auto"
