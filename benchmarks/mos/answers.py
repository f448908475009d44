"""Answers: validated on the server, appended to the study's answers.jsonl one line each, fsync'd.

The file is append-only: nothing is ever rewritten, so an interrupted session (closed tab, killed server,
power cut) loses at most the answer being written, and a torn last line is skipped when reading.
Submitting the same (rater, pair) again appends a new line; the report keeps the last one ("last wins").
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from runtime.errors import SharpcamError

from benchmarks.mos.study import NOT_APPLICABLE, RATER_ID, Study

FIELDS = {"rater", "pair", "left", "right", "preference", "elapsed_ms"}
PREFERENCES = ("left", "right", "none")
MAX_ELAPSED_MS = 24 * 3600 * 1000


def _int_in(value: object, lo: int, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def check_rater(study: Study, rater: object) -> str:
    if not isinstance(rater, str) or not RATER_ID.fullmatch(rater):
        raise SharpcamError("rater id must be 1-32 letters, digits, '_' or '-'")
    if rater not in study.raters:
        raise SharpcamError(f"unknown rater id {rater!r}: use one of the study's ids "
                            f"({study.raters[0]} ... {study.raters[-1]})")
    return rater


def _scores(study: Study, side: str, value: object) -> dict[str, int]:
    if not isinstance(value, dict) or set(value) != set(study.criteria):
        raise SharpcamError(f"'{side}' must rate exactly these criteria: {', '.join(study.criteria)}")
    for crit, score in value.items():
        if not _score_ok(crit, score):
            na = " or null (not applicable)" if crit in NOT_APPLICABLE else ""
            raise SharpcamError(f"'{side}' {crit}: the score must be an integer from 1 to 5{na}")
    return {c: value[c] for c in study.criteria}


def _score_ok(criterion: str, score: object) -> bool:
    return _int_in(score, 1, 5) or (score is None and criterion in NOT_APPLICABLE)


def validate(study: Study, body: object) -> dict:
    """The record to store for one submitted screen; SharpcamError says what is wrong with it."""
    if not isinstance(body, dict):
        raise SharpcamError("the answer must be a JSON object")
    if set(body) - FIELDS or not {"rater", "pair", "left", "right", "preference"} <= set(body):
        raise SharpcamError(f"the answer must have the fields {sorted(FIELDS)} (elapsed_ms optional), no others")
    rater = check_rater(study, body["rater"])
    pair = body["pair"]
    if not isinstance(pair, str) or pair not in study.pairs:
        raise SharpcamError("unknown pair id")
    if body["preference"] not in PREFERENCES:
        raise SharpcamError(f"preference must be one of {PREFERENCES}")
    elapsed = body.get("elapsed_ms", 0)
    if not _int_in(elapsed, 0, MAX_ELAPSED_MS):
        raise SharpcamError("elapsed_ms must be a whole number of milliseconds")
    # the sides come from the server's own assignment: the page never knows which version is where
    left, right = study.sides(rater, pair)
    p = study.pairs[pair]
    preferred = {"left": left, "right": right, "none": None}[body["preference"]]
    return {"rater": rater, "pair": pair, "image": p.image, "category": p.category, "left": left, "right": right,
            "scores": {left: _scores(study, "left", body["left"]), right: _scores(study, "right", body["right"])},
            "preference": body["preference"], "preferred": preferred, "elapsed_ms": elapsed,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def read_lines(path: Path) -> tuple[list[dict], int]:
    """Every JSON object in file order, and the number of lines that were not one (a torn last line, bytes
    that are not UTF-8, a line nested too deeply to parse)."""
    records, bad = [], 0
    if path.is_dir():
        raise SharpcamError(f"{path} is a folder, not the answers file; move it away (answers are appended to "
                            "a file of that name)")
    if not path.exists():
        return records, bad
    for raw in path.read_bytes().splitlines():
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            bad += 1
            continue
        if isinstance(rec, dict):
            records.append(rec)
        else:
            bad += 1
    return records, bad


def stored_problem(study: Study, rec: dict) -> str | None:
    """Why a stored line cannot count (None: it can): the same rules the server applies to a new answer,
    so a hand-edited or foreign line (a score of 99, a list where a name goes) cannot reach the tables."""
    missing = sorted({"rater", "pair", "left", "right", "scores", "preferred"} - set(rec))
    if missing:
        return f"missing {', '.join(missing)}"
    if not isinstance(rec["rater"], str) or not isinstance(rec["pair"], str):
        return "rater and pair must be text"
    pair = study.pairs.get(rec["pair"])
    if pair is None or rec["rater"] not in study.raters:
        return "unknown"
    versions = {rec["left"], rec["right"]} if all(isinstance(rec[k], str) for k in ("left", "right")) else None
    if versions != set(pair.versions):
        return f"left/right must be the pair's versions {list(pair.versions)}"
    scores = rec["scores"]
    if not isinstance(scores, dict) or set(scores) != versions:
        return "scores must hold both versions"
    for version, given in scores.items():
        if not isinstance(given, dict) or set(given) != set(study.criteria) or \
                not all(_score_ok(c, v) for c, v in given.items()):
            return f"scores of {version} must rate {', '.join(study.criteria)} from 1 to 5"
    if rec["preferred"] is not None and rec["preferred"] not in versions:
        return "preferred must be one of the two versions or null"
    return None


@dataclass
class Answers:
    """The answers that count: the last line per (rater, pair), plus how many lines were set aside."""
    latest: dict[tuple[str, str], dict] = field(default_factory=dict)
    replaced: int = 0
    unreadable: int = 0
    unknown: int = 0  # lines naming a pair or rater the study no longer has
    invalid: int = 0  # well-formed JSON that breaks the answer rules (a score outside 1-5, wrong types)


def load_answers(study: Study, warn: bool = True) -> Answers:
    """The answers that count; lines that cannot count are set aside (quarantined), counted, and warned
    about once with the first reason, never a reason to stop."""
    records, bad = read_lines(study.answers_path)
    out = Answers(unreadable=bad)
    first_reason = ""
    for rec in records:
        problem = stored_problem(study, rec)
        if problem == "unknown":
            out.unknown += 1
            continue
        if problem is not None:
            out.invalid += 1
            first_reason = first_reason or problem
            continue
        rec = {**rec, "category": study.pairs[rec["pair"]].category}  # the study's, not the line's
        key = (rec["rater"], rec["pair"])
        out.replaced += key in out.latest
        out.latest[key] = rec  # last wins
    if warn and (out.unreadable or out.invalid):
        reason = f" (the first: {first_reason})" if first_reason else ""
        print(f"warning: {study.answers_path}: {out.unreadable} unreadable and {out.invalid} invalid line(s) set "
              f"aside{reason}; the other answers count", file=sys.stderr, flush=True)
    return out


class AnswerLog:
    """Thread-safe appends to answers.jsonl, each flushed and fsync'd before the page moves on."""

    def __init__(self, study: Study) -> None:
        self.path = study.answers_path
        self._lock = threading.Lock()
        self._done: dict[str, set[str]] = {}
        for rater, pair in load_answers(study).latest:
            self._done.setdefault(rater, set()).add(pair)
        # a torn last line (killed mid-write) must not swallow the next answer
        if self.path.exists() and self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n"):
            with open(self.path, "a", encoding="utf-8") as f:
                f.write("\n")

    def answered(self, rater: str) -> set[str]:
        with self._lock:
            return set(self._done.get(rater, ()))

    def append(self, record: dict) -> None:
        line = json.dumps(record, sort_keys=True, ensure_ascii=True) + "\n"
        with self._lock:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
            self._done.setdefault(record["rater"], set()).add(record["pair"])
