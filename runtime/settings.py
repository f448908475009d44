"""Settings remembered between runs: a small JSON file in the user's config folder, written by `sharpcam app`
(the strength slider, the low-light and temporal toggles, the source picked, the output folder) and read by
the app and, for the strength and the two toggles, by `sharpcam cam` (a flag on the command line always wins).

    Linux:   $XDG_CONFIG_HOME/sharpcam/settings.json (default ~/.config/sharpcam/settings.json)
    macOS:   ~/Library/Application Support/sharpcam/settings.json
    Windows: %APPDATA%\\sharpcam\\settings.json
    $SHARPCAM_CONFIG: this file instead (the tests use it)

`cam` reads only the picture's settings: its default source stays camera 0 (else the built-in clip), which scripts rely
on, and its outputs are named on its command line. A missing or unreadable file means the built-in defaults.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from runtime.artifacts import user_folder
from runtime.files import write_text_atomic
from runtime.low_light import MODES as LOW_LIGHT_MODES

CONFIG_ENV = "SHARPCAM_CONFIG"
ON_OFF = ("on", "off")  # a toggle's values on a command line (--temporal)


@dataclass(frozen=True)
class Settings:
    strength: float | None = None  # 0..1, the app's slider
    source: str | None = None  # a camera, a video file or 'builtin' (never this browser's camera: it needs the page)
    out: str | None = None  # the app's output folder (recordings, snapshots)
    low_light: str | None = None  # runtime/low_light.py's MODES
    temporal: bool | None = None  # the model's temporal filter on or off


def settings_path() -> Path:
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return user_folder("config") / "sharpcam" / "settings.json"


def valid(settings: Settings) -> Settings:
    """Values of the wrong type or range (a hand-edited file) are dropped, not trusted."""
    strength = settings.strength
    ok_strength = isinstance(strength, (int, float)) and not isinstance(strength, bool) and 0 <= strength <= 1
    return Settings(float(strength) if ok_strength else None,
                    settings.source if isinstance(settings.source, str) and settings.source else None,
                    settings.out if isinstance(settings.out, str) and settings.out else None,
                    settings.low_light if settings.low_light in LOW_LIGHT_MODES else None,
                    settings.temporal if isinstance(settings.temporal, bool) else None)


def on_off(given: str | None) -> bool | None:
    """--temporal on|off as a bool; None (not given) stays None."""
    return None if given is None else given == "on"


def given_or_remembered(given, name: str, default):
    """A flag's value: as given on the command line, else the remembered one, else `default`."""
    if given is not None:
        return given
    remembered = getattr(load_settings(), name)
    return default if remembered is None else remembered


def load_settings(path: Path | None = None) -> Settings:
    path = path or settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Settings()
    if not isinstance(data, dict):
        return Settings()
    known = {f.name for f in fields(Settings)}
    return valid(Settings(**{k: v for k, v in data.items() if k in known}))


def remember(path: Path | None = None, **changes) -> Settings:
    """Update some settings and write the file (whole or not at all); returns what is now remembered. A file
    that cannot be written is not worth failing for: the run goes on, the change is forgotten."""
    path = path or settings_path()
    settings = valid(replace(load_settings(path), **changes))
    try:
        write_text_atomic(path, json.dumps({k: v for k, v in asdict(settings).items() if v is not None}, indent=1))
    except Exception:  # noqa: BLE001 - SharpcamError (an OSError inside): a read-only home, a full disk
        pass
    return settings
