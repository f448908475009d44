"""Scoring: MOS with 95% confidence intervals, and preference rates with sign tests.

The unit of the confidence interval is the rater. One rater's ratings are not independent (a strict rater
is strict on every pair), so a t-interval over all ratings would be far too narrow. Each rater's ratings
are averaged first; the MOS is the mean of those rater means (every rater weighs the same; with a complete
design it equals the plain mean of all ratings) and the 95% CI is a t-interval over them with R-1 degrees of
freedom. It describes raters drawn from the same population rating these images; it does not cover other
images (that needs a crossed random-effects model and more images than a study like this has).

Preference: ties ("no preference") are left out and the rate is wins / (wins + losses), with an exact
two-sided binomial (sign) test against 0.5 and a Wilson 95% CI. Because answers of one rater are not
independent either, the same test is also run on raters: each rater counts for the version they preferred
more often (raters with equal counts are left out).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from train.corpus import CATEGORIES

from benchmarks.mos.answers import Answers
from benchmarks.mos.study import Study


@dataclass
class Estimate:
    mean: float
    low: float   # 95% CI; nan with fewer than two raters
    high: float
    raters: int
    ratings: int


@dataclass
class Preference:
    a: str
    b: str
    category: str  # "all" or one category
    wins_a: int
    wins_b: int
    ties: int
    rate_a: float  # wins_a / (wins_a + wins_b); nan without decided answers
    low: float
    high: float
    p: float       # two-sided exact binomial test of rate_a = 0.5 over answers
    raters_a: int  # raters who preferred a more often than b
    raters_b: int
    p_raters: float


def t_interval(values: list[float]) -> tuple[float, float, float]:
    """Mean and 95% t-interval; the interval is nan for fewer than two values."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def mos(records: list[dict], version: str, criteria: list[str], category: str | None = None) -> Estimate:
    """MOS of one version over the given criteria (and one category, or all); "not applicable" answers
    (null) are left out."""
    per_rater: dict[str, list[int]] = {}
    for rec in records:
        if version in rec["scores"] and (category is None or rec["category"] == category):
            given = [rec["scores"][version][c] for c in criteria]
            per_rater.setdefault(rec["rater"], []).extend(v for v in given if v is not None)
    per_rater = {rater: values for rater, values in per_rater.items() if values}
    mean, low, high = t_interval([float(np.mean(v)) for v in per_rater.values()])
    return Estimate(mean, low, high, len(per_rater), sum(len(v) for v in per_rater.values()))


def _binom(k: int, n: int) -> tuple[float, float, float, float]:
    """(rate, CI low, CI high, two-sided p) for k successes in n; nan when n is 0."""
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan
    test = stats.binomtest(k, n, 0.5)
    ci = test.proportion_ci(0.95, method="wilson")
    return k / n, float(ci.low), float(ci.high), float(test.pvalue)


def preference(records: list[dict], a: str, b: str, category: str | None = None) -> Preference:
    wins = {a: 0, b: 0}
    ties = 0
    per_rater: dict[str, dict[str, int]] = {}
    for rec in records:
        if {rec["left"], rec["right"]} != {a, b} or (category is not None and rec["category"] != category):
            continue
        if rec["preferred"] is None:
            ties += 1
            continue
        wins[rec["preferred"]] += 1
        per_rater.setdefault(rec["rater"], {a: 0, b: 0})[rec["preferred"]] += 1
    rate, low, high, p = _binom(wins[a], wins[a] + wins[b])
    raters_a = sum(w[a] > w[b] for w in per_rater.values())
    raters_b = sum(w[b] > w[a] for w in per_rater.values())
    p_raters = _binom(raters_a, raters_a + raters_b)[3]
    return Preference(a, b, category or "all", wins[a], wins[b], ties, rate, low, high, p, raters_a, raters_b, p_raters)


def categories(study: Study) -> list[str]:
    """The study's categories: the corpus's five in the report's order, then any others by name."""
    present = set(study.images.values())
    return [c for c in CATEGORIES if c in present] + sorted(present - set(CATEGORIES))


def summarize(study: Study, answers: Answers) -> dict:
    """Everything the report shows, JSON-ready."""
    records = list(answers.latest.values())
    cats = categories(study)
    by_criterion = {v: {c: asdict(mos(records, v, [c])) for c in study.criteria} | {"average": asdict(mos(records, v, study.criteria))}
                    for v in study.versions}
    by_category = {v: {cat: asdict(mos(records, v, study.criteria, cat)) for cat in cats} for v in study.versions}
    prefs = [asdict(preference(records, a, b, cat)) for a, b in study.comparisons for cat in [None, *cats]]
    per_rater = Counter(r for r, _ in answers.latest)
    complete = sum(n == len(study.pairs) for n in per_rater.values())
    return {"study": study.name, "versions": study.versions, "criteria": study.criteria, "categories": cats,
            "images": {cat: sum(c == cat for c in study.images.values()) for cat in cats},
            "pairs_per_rater": len(study.pairs), "planned_raters": len(study.raters), "raters": len(per_rater),
            "complete_raters": complete, "answers": len(records), "replaced": answers.replaced,
            "unreadable_lines": answers.unreadable, "unknown_lines": answers.unknown, "invalid_lines": answers.invalid,
            "mos": by_criterion, "mos_by_category": by_category, "preference": prefs}
