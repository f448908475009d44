"""Shared by the app's browser tests: headless Debian Chromium under Selenium, and `sharpcam app` started as a
user starts it. Skips, saying what is missing, without chromium, chromedriver or selenium."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BROWSER = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
DRIVER = shutil.which("chromedriver")


def chromium(*extra_args: str):
    """Headless Chromium with the page's video allowed to autoplay; `extra_args`: more switches (a fake camera)."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: pip install -e '.[dev]'")
    if BROWSER is None or DRIVER is None:
        pytest.skip("no headless browser: apt-get install chromium chromium-driver (.ci/run does)")
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch browsers or drivers
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--disable-background-networking", "--autoplay-policy=no-user-gesture-required",
                "--window-size=1366,768", *extra_args):  # --no-sandbox because CI runs as root
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(DRIVER), options=options)


@contextmanager
def running_app(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`python -m runtime.app ARGS --no-browser`; yields the URL it prints, and checks it stops cleanly.
    `env`: variables to set for it (a home folder, a settings file)."""
    log = tempfile.TemporaryFile("w+")  # its stderr, shown when it fails
    proc = subprocess.Popen([sys.executable, "-m", "runtime.app", *args, "--no-browser"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=log, text=True, env={**os.environ, **(env or {})})
    line = proc.stdout.readline()
    url = next((w for w in line.split() if w.startswith("http://127.0.0.1:")), None)
    try:
        assert url, f"sharpcam app did not start: {line!r}"
        yield url
    finally:
        proc.terminate()  # SIGTERM: the server and the session close in order, and the process ends by itself
        code = proc.wait(timeout=20)
        log.seek(0)
        said = log.read()
        log.close()
        assert code == 0, f"sharpcam app exited with {code}:\n{said[-3000:]}"
