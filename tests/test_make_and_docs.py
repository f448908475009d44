"""The Makefile and README keep their promises: every target has a rule and a help line, measurements never
land in the committed results unless asked, and the README stands on its own."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text()


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
    writers = [t for t, recipe in rules().items() if "benchmarks/results" in recipe]
    assert writers == ["results"]
    defaults = dict(re.findall(r"^(OUT_[A-Z]+|RESULTS) \?= (\S+)", MAKEFILE, re.M))
    assert defaults and all(v.startswith(("runs/", "$(RESULTS)")) for v in defaults.values()), defaults


def test_readme_stands_on_its_own():
    text = (ROOT / "README.md").read_text()
    assert "../" not in text and "/work/" not in text
    assert "## The reference report" in text
    for number in ("334,147", "0.896", "31.4", "10.9", "4.7", "4.2"):
        assert number in text  # the report's system and numbers, summarised here
    first_commands = re.search(r"```bash\n(.*?)```", text, re.S).group(1).split("\n")[:2]
    assert [c.split()[:2] for c in first_commands] == [["make", "demo"], ["make", "test"]]
