"""The Makefile and README keep their promises: every target has a rule and a help line, measurements never
land in the committed results unless asked, and the README stands on its own."""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text()
README = (ROOT / "README.md").read_text()
RESULTS = ROOT / "benchmarks" / "results"


def phony_targets() -> list[str]:
    block = re.search(r"^\.PHONY:(.*?)(?<!\\)\n", MAKEFILE, re.S | re.M).group(1)
    return block.replace("\\\n", " ").split()


def rules() -> dict[str, str]:
    """target -> its recipe text (the lines after it that start with a tab)."""
    found = {}
    for match in re.finditer(r"^([a-z][a-z-]*):[^=\n]*\n((?:\t.*\n|[^\S\n]*#.*\n)*)", MAKEFILE, re.M):
        found[match.group(1)] = match.group(2)
    return found


def test_every_phony_target_has_a_rule_and_a_help_line():
    helped = set(re.findall(r"^([a-z][a-z-]*):.*## ", MAKEFILE, re.M))
    targets = phony_targets()
    assert "help" in targets and "results" in targets
    assert [t for t in targets if t not in rules()] == []
    assert [t for t in targets if t not in helped] == []


def test_only_make_results_writes_into_the_committed_results():
    # a recipe writes there when benchmarks/results is an output (--out, a redirection, cp's destination); reading a
    # committed result as an input (the family report's teacher column) is not writing
    writes = re.compile(r"(--out[ =]|>\s*|\bcp\b[^\n]*\s)benchmarks/results")
    writers = [t for t, recipe in rules().items() if writes.search(recipe)]
    assert writers == ["results"]
    defaults = dict(re.findall(r"^(OUT_[A-Z]+|RESULTS) \?= (\S+)", MAKEFILE, re.M))
    assert defaults and all(v.startswith(("runs/", "$(RESULTS)")) for v in defaults.values()), defaults


def test_readme_stands_on_its_own():
    text = README
    assert "../" not in text and "/work/" not in text
    assert "## The reference report" in text
    first_commands = re.search(r"```bash\n(.*?)```", text, re.S).group(1).split("\n")[:2]
    assert [c.split()[:2] for c in first_commands] == [["make", "demo"], ["make", "test"]]


def test_readme_test_command_records_durations():
    assert "--durations=" in rules()["test"]
    assert "`make test` runs `python -m pytest -q --durations=25`" in README


def quoted(pattern: str, section: str = "") -> re.Match:
    """The one place README (or its `## section`) says this; a space in the pattern matches a line break too."""
    text = README.split(f"\n## {section}", 1)[1].split("\n## ", 1)[0] if section else README
    found = list(re.finditer(pattern.replace(" ", r"\s+"), text))
    assert len(found) == 1, (pattern, len(found))
    return found[0]


# README's numbers equal their sources: the code, or the committed result file the sentence cites.

def test_readme_parameter_count_of_the_report_student_is_the_seed_students():
    from train.student import SeedStudent, count_parameters
    cited = quoted(r"conv 32->3, ReLU, output clamped to \[0,1\]: ([\d,]+) parameters").group(1)
    assert cited == f"{count_parameters(SeedStudent()):,}"


def test_readme_report_fps_are_the_ones_the_speed_report_quotes():
    from benchmarks.speed.fps import QUOTED
    cited = quoted(r"([\d.]+) / ([\d.]+) / ([\d.]+) FPS at 480p / 720p / 1080p", "The reference report").groups()
    assert [float(v) for v in cited] == [QUOTED[r] for r in ("480p", "720p", "1080p")]
    committed = dict(re.findall(r"^\| seed \| report \(quoted[^|]*\| (\w+) \| ([\d.]+) \|",
                                (RESULTS / "fps.md").read_text(), re.M))
    assert {r: float(v) for r, v in committed.items()} == QUOTED


def test_readme_luma_oracle_ssim_is_the_committed_one():
    cited = quoted(r"perfect luma-only correction would score SSIM ([\d.]+) \(`[^`]*`, `benchmarks/results/"
                   r"luma_oracle.md`\)").group(1)
    row = re.search(r"^\| all \| \d+ \| ([\d.]+) \|", (RESULTS / "luma_oracle.md").read_text(), re.M)
    assert cited == row.group(1)


def test_readme_soak_figures_are_the_committed_runs():
    frames, fps, dropped, errors = quoted(r"\(`benchmarks/results/soak_30min/`, OpenVINO, 480p\): ([\d,]+) frames "
                                          r"at ([\d.]+) FPS, (\d+) dropped, (\d+) errors").groups()
    final = json.loads((RESULTS / "soak_30min" / "soak.json").read_text())["final"]
    assert (int(frames.replace(",", "")), float(fps), int(dropped), int(errors)) == (
        final["frames"], final["fps"], final["dropped"], final["errors"])
