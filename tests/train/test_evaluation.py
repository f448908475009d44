"""The evaluation core: methods x conditions on a tiny corpus -> rows -> nested tables."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from train.conditions import condition_params
from train.degrade import apply
from train.evaluation import evaluate, identity, nest, summarize
from train.images import LoadReport, read_rgb


@pytest.fixture(scope="module")
def clean_by_sha(mini_corpus):
    images = [read_rgb(f, LoadReport()) for f in sorted((mini_corpus / "images").iterdir())]
    return {hashlib.sha256(img.tobytes()).hexdigest(): img for img in images}


def test_every_image_condition_and_method_is_scored_on_the_same_degraded_pixels(mini_corpus, clean_by_sha):
    seen: list[tuple[str, str, bytes]] = []

    def recorder(degraded, sha, params):
        seen.append((sha, json.dumps(params, sort_keys=True), degraded.tobytes()))
        return degraded

    rows = evaluate(mini_corpus, "test", {"input": identity, "recorder": recorder}, ("benchmark", "office"))
    assert len(rows) == 2 * 2 * 2  # test images x conditions x methods
    assert {r["condition"] for r in rows} == {"benchmark", "office"}
    inputs = {(r["image"], r["condition"]): r["ssim"] for r in rows if r["method"] == "input"}
    assert all(r["ssim"] == inputs[r["image"], r["condition"]] for r in rows if r["method"] == "recorder")
    recorded = [r for r in rows if r["method"] == "recorder"]
    for row, (sha, params, pixels) in zip(recorded, seen, strict=True):  # the condition's seeded parameters
        assert json.loads(params) == condition_params(row["condition"], row["image"])
        assert apply(clean_by_sha[sha], json.loads(params)).tobytes() == pixels
    assert len({p for _, p, _ in seen}) == 4, "parameters differ per image and condition"


def test_summary_nests_condition_method_category_and_a_perfect_method_scores_one(mini_corpus, clean_by_sha):
    perfect = lambda _degraded, sha, _params: clean_by_sha[sha]  # noqa: E731
    rows = evaluate(mini_corpus, "test", {"input": identity, "perfect": perfect}, ("benchmark", "starved"))
    summary = summarize(rows)
    assert list(summary) == ["benchmark", "starved"] and list(summary["starved"]) == ["input", "perfect"]
    cell = summary["starved"]["perfect"]
    assert cell["all"] == {"n": 2, "ssim": pytest.approx(1.0), "psnr": cell["all"]["psnr"]}
    assert set(cell) == {"graphics", "nature", "all"}, "only the categories the split has, and all"
    assert summary["starved"]["input"]["all"]["ssim"] < 0.99
    counted = summarize(rows, count_above_0_9=True)["benchmark"]["perfect"]["all"]
    assert list(counted) == ["n", "ssim", "above_0_9", "psnr"] and counted["above_0_9"] == 2


def test_nest_groups_in_first_seen_order_and_applies_the_leaf():
    rows = [{"a": "y", "b": 1, "v": 1.0}, {"a": "x", "b": 2, "v": 3.0}, {"a": "y", "b": 1, "v": 5.0}]
    table = nest(rows, ("a", "b"), lambda sel: float(np.mean([r["v"] for r in sel])))
    assert table == {"y": {1: 3.0}, "x": {2: 3.0}} and list(table) == ["y", "x"]
    assert nest(rows, (), len) == 3


def test_an_empty_split_says_how_to_fix_it(mini_corpus):
    from runtime.errors import SharpcamError
    with pytest.raises(SharpcamError, match="make corpus"):
        evaluate(mini_corpus, "train", {"input": identity}, limit=0)
