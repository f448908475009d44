"""Settings remembered between runs (runtime/settings.py): `sharpcam app` remembers the strength, the source
and the output folder; `sharpcam cam` starts at the remembered strength unless --strength says otherwise; a
broken or hand-edited file falls back to the defaults, value by value."""
from __future__ import annotations

import json

from runtime.app.cli import parse_args as app_args
from runtime.cam import parse_args as cam_args
from runtime.cam import session_config
from runtime.contract import DEFAULT_STRENGTH
from runtime.settings import Settings, load_settings, remember, settings_path


def test_the_settings_file_is_the_one_the_environment_names(own_settings_file):
    assert settings_path() == own_settings_file
    assert load_settings() == Settings()  # none yet: the defaults


def test_what_the_app_remembers_is_what_the_next_run_starts_with(own_settings_file, tmp_path):
    remember(strength=0.4)
    remember(source="builtin")
    first = app_args(["--out", str(tmp_path)])  # an --out given is remembered
    assert first.out == tmp_path and first.strength == 0.4 and first.source == "builtin"
    assert first.remembered_source
    assert json.loads(own_settings_file.read_text()) == {"strength": 0.4, "source": "builtin", "out": str(tmp_path)}

    later = app_args([])
    assert later.out == tmp_path and later.strength == 0.4 and later.source == "builtin"
    given = app_args(["--strength", "0.9", "--source", "talk.mp4"])  # the command line wins
    assert given.strength == 0.9 and given.source == "talk.mp4" and not given.remembered_source


def test_cam_starts_at_the_remembered_strength_unless_told(own_settings_file):
    assert session_config(cam_args(["--source", "builtin"]), "builtin").backend.strength == DEFAULT_STRENGTH
    remember(strength=0.25)
    assert session_config(cam_args(["--source", "builtin"]), "builtin").backend.strength == 0.25
    assert session_config(cam_args(["--strength", "0.8"]), "builtin").backend.strength == 0.8
    remember(strength=0.0)  # off is a strength, not a missing one
    assert session_config(cam_args([]), "builtin").backend.strength == 0.0


def test_a_broken_or_hand_edited_file_means_the_defaults(own_settings_file):
    own_settings_file.write_text("{not json")
    assert load_settings() == Settings()
    own_settings_file.write_text(json.dumps({"strength": 7, "source": 3, "out": "/videos", "colour": "red"}))
    assert load_settings() == Settings(out="/videos")  # each bad value dropped, the good one kept
    assert remember(strength=0.5) == Settings(strength=0.5, out="/videos")


def test_the_toggles_the_app_remembered_are_where_the_app_and_cam_start_unless_told(own_settings_file):
    cam = lambda *argv: session_config(cam_args(["--source", "builtin", *argv]), "builtin")  # noqa: E731
    assert (cam().low_light, cam().temporal) == ("auto", True)  # nothing remembered: the defaults
    assert (app_args([]).low_light, app_args([]).temporal) == ("auto", True)
    remember(low_light="off", temporal=False)
    assert (cam().low_light, cam().temporal) == ("off", False)
    assert (app_args([]).low_light, app_args([]).temporal) == ("off", False)
    told = cam("--low-light", "on", "--temporal", "on")  # the command line wins
    assert (told.low_light, told.temporal) == ("on", True)
    told = app_args(["--low-light", "auto", "--temporal", "on"])
    assert (told.low_light, told.temporal) == ("auto", True)
    own_settings_file.write_text(json.dumps({"low_light": "dim", "temporal": "no"}))  # hand-edited: dropped
    assert (cam().low_light, cam().temporal) == ("auto", True)
