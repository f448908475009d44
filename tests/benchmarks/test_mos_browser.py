"""End to end in a real headless Chromium: `mos serve` as a subprocess, a rater using the keyboard and the
mouse, an interrupted session that resumes, then the saved answers and `mos report`.

Needs Debian's chromium and chromium-driver (.ci/run installs them) and selenium (the [dev] extra);
skips, saying which is missing, without them. Selenium is pointed at /usr/bin/chromedriver so its
driver manager never tries to download anything.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_browser import chromium
from test_mos_study import fake_study

from benchmarks.mos.study import Study, load_study

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.browser


@pytest.fixture
def browser() -> Iterator[object]:
    driver = chromium()  # tests/app_browser.py: the same headless Chromium as the app's tests
    yield driver
    driver.quit()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Study, str]]:
    root = fake_study(tmp_path / "study", n_images=3, raters=2)
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.mos", "serve", str(root), "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = [proc.stdout.readline(), proc.stdout.readline()]
    url = next((w for line in lines for w in line.split() if w.startswith("http://127.0.0.1:")), None)
    assert url, f"serve did not start: {lines}"
    yield load_study(root), url
    proc.terminate()
    proc.wait(timeout=10)


def _wait(driver, condition, timeout: float = 10.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def _keys(driver, keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(keys).perform()


def _text(driver, element_id: str) -> str:
    return driver.find_element("id", element_id).text


def _screen_ok(driver) -> None:
    """Both images loaded and the whole screen fits the 1366x768 window without scrolling."""
    _wait(driver, lambda d: d.execute_script(
        "return [...document.querySelectorAll('.frame img')].every(i => i.complete && i.naturalWidth === 48)"))
    fits = driver.execute_script("const e = document.scrollingElement; return [e.scrollHeight, innerHeight, "
                                 "e.scrollWidth, innerWidth, document.getElementById('submit')"
                                 ".getBoundingClientRect().bottom]")
    assert fits[0] <= fits[1] and fits[2] <= fits[3] and fits[4] <= fits[1], fits


def test_a_rater_rates_resumes_and_the_report_follows(browser, served):
    study, url = served
    started = time.perf_counter()
    browser.get(url)
    _wait(browser, lambda d: d.find_element("id", "rater").is_displayed())
    browser.find_element("id", "rater").send_keys("nobody\n")  # not a rater of this study
    _wait(browser, lambda d: "unknown rater" in _text(d, "start-error"))
    field = browser.find_element("id", "rater")
    field.clear()
    field.send_keys("r01\n")
    for step in (1, 2):  # keyboard only: A gets 5 and B gets 2 on every criterion, A preferred
        _wait(browser, lambda d, s=step: _text(d, "progress") == f"pair {s} / 3")
        _screen_ok(browser)
        _keys(browser, "52" * 4 + "a\n")
    _wait(browser, lambda d: _text(d, "progress") == "pair 3 / 3")

    browser.get(url + "?rater=r01")  # the tab was closed and opened again: resumes at pair 3
    _wait(browser, lambda d: _text(d, "progress") == "pair 3 / 3")
    _screen_ok(browser)
    _keys(browser, "\n")  # nothing rated yet: refused with a message, nothing saved
    _wait(browser, lambda d: "Still to answer: 8 rating(s)" in _text(d, "message"))
    assert len(study.answers_path.read_text().splitlines()) == 2
    for side, score in (("left", "4"), ("right", "3")):  # the mouse: A 4, B 3 but text N/A, no preference
        for row in browser.find_elements("css selector", f"#grid-{side} .row"):
            na = side == "right" and row.get_attribute("data-row") == str(study.criteria.index("text"))
            row.find_element("css selector", "button[data-value='na']" if na else f"button[data-value='{score}']").click()
    _wait(browser, lambda d: _text(d, "message") == "Still to answer: which you prefer (A/B/N)")  # it follows
    browser.find_element("css selector", ".pref[data-pref='none']").click()
    _wait(browser, lambda d: _text(d, "message") == "")  # all answered: the reminder is gone before Next
    assert browser.execute_script("return document.getElementById('views').classList.contains('actual')")
    browser.find_element("id", "submit").click()
    _wait(browser, lambda d: d.find_element("id", "done").is_displayed())
    assert "All 3 pairs" in _text(browser, "done-text")
    seconds = time.perf_counter() - started

    order = [pid for pid, _ in study.order("r01")]
    records = [json.loads(line) for line in study.answers_path.read_text().splitlines()]
    assert [r["pair"] for r in records] == order and {r["rater"] for r in records} == {"r01"}
    expected = {v: [] for v in study.versions}  # every rating each version got (N/A left out, as the report does)
    for rec, (good, bad, prefer) in zip(records, [(5, 2, True), (5, 2, True), (4, 3, False)]):
        left, right = study.sides("r01", rec["pair"])  # the server's sides, worked out independently
        assert (rec["left"], rec["right"]) == (left, right)
        right_scores = dict.fromkeys(study.criteria, bad) | ({"text": None} if not prefer else {})
        assert rec["scores"] == {left: dict.fromkeys(study.criteria, good), right: right_scores}
        assert rec["preferred"] == (left if prefer else None) and rec["elapsed_ms"] >= 0
        expected[left] += [good] * len(study.criteria)
        expected[right] += [v for v in right_scores.values() if v is not None]

    subprocess.run([sys.executable, "-m", "benchmarks.mos", "report", str(study.root)], cwd=ROOT, check=True,
                   capture_output=True)
    text = (study.root / "report.md").read_text()
    average = "| **Average** | " + " | ".join(
        f"{sum(expected[v]) / len(expected[v]):.2f} (1 rater, no CI)" for v in study.versions) + " |"
    assert average in text and "1 rater(s) of 2 planned (1 rated all 3 pairs), 3 answer(s)." in text
    assert (study.root / "report.png").stat().st_size > 10_000
    print(f"browser session: {seconds:.1f} s")
