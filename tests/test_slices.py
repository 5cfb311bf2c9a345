"""Slices: quartile slices of numbers, per-slice rates, the slice summary and the slice and fairness gates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from factory.artifacts.metrics import SLICES_KEY, slice_labels, slice_metrics, slice_summary
from factory.artifacts.predictions import Predictions
from factory.release.gates import evaluate_gates, slice_gates
from factory.spec import Release, SliceGates, UseCaseParams


def params(slices: list[str], protected: list[str], gates: dict[str, Any] | None = None) -> UseCaseParams:
    return UseCaseParams(
        name="demo",
        description="d",
        owner="o@example.com",
        risk_tier="low",
        task="binary_classification",
        data=[{"product": "customers"}],
        target="y",
        features={"numeric": ["age"], "categorical": ["group"]},
        model={"component": "logistic_regression"},
        evaluation={"primary_metric": "accuracy", "slices": slices},
        release={"slices": gates or {}},
        products={"customers": "data/products/customers.parquet"},
        protected_columns=protected,
    )


def test_a_many_valued_number_is_sliced_at_its_quartiles() -> None:
    values = pd.Series([18.0, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, None, 100])
    labels = slice_labels(values).tolist()
    assert labels[:4] == ["[18, 30)", "[18, 30)", "[18, 30)", "[30, 45)"]
    assert labels[-2:] == ["(missing)", "[60, 100]"]  # the top value is in the last, closed, slice
    assert slice_labels(pd.Series([1, 2, 1])).tolist() == ["1", "2", "1"]  # few values: each its own slice


def table_and_predictions() -> tuple[pd.DataFrame, Predictions]:
    """Group a: every row predicted positive; group b: none. Age tells nothing apart."""
    group = np.array(["a"] * 40 + ["b"] * 40 + ["c"] * 5)
    truth = np.array([True, False] * 42 + [True])
    predicted = np.where(group == "a", True, np.where(group == "b", False, truth))
    proba = np.column_stack([1 - predicted, predicted]).astype(float)
    table = pd.DataFrame({"group": group, "age": np.arange(85) % 4 + 20.0, "y": truth})
    return table, Predictions(truth, predicted, proba, [False, True])


def test_slice_rates_and_the_summary_judge_only_large_enough_slices() -> None:
    table, predictions = table_and_predictions()
    p = params(["group"], ["group"])
    slices = slice_metrics(table, predictions, p)
    assert slices["group"]["a"]["positive_rate"] == 1.0 and slices["group"]["b"]["positive_rate"] == 0.0
    assert slices["group"]["a"]["true_positive_rate"] == 1.0 and slices["group"]["c"]["n"] == 5
    summary = slice_summary(slices, p)["group"]
    assert summary["judged"] == 2 and summary["protected"]  # c has 5 rows, fewer than min_rows 30
    assert (summary["parity_gap"], summary["opportunity_gap"], summary["gap"]) == (1.0, 1.0, 0.0)
    assert summary["worst"] == 0.5


def test_fairness_gates_judge_protected_columns_only() -> None:
    table, predictions = table_and_predictions()
    gates = {"max_parity_gap": 0.1, "max_opportunity_gap": 0.2, "max_gap": 0.25}
    protected = slice_summary(
        slice_metrics(table, predictions, params(["group"], ["group"], gates)), params([], ["group"], gates)
    )
    results = slice_gates(SliceGates(**gates), "accuracy", protected, higher=True)
    verdicts = {result.kind: result.passed for result in results}
    assert verdicts == {"slice gap": True, "parity": False, "opportunity": False}
    assert [r.metric for r in results if not r.passed] == [
        "positive rate by group (gap)",
        "true positive rate by group (gap)",
    ]
    plain = slice_summary(slice_metrics(table, predictions, params(["group"], [], gates)), params([], [], gates))
    assert [result.kind for result in slice_gates(SliceGates(**gates), "accuracy", plain, higher=True)] == ["slice gap"]


@pytest.mark.parametrize(("worst", "higher", "passed"), [(0.5, True, True), (0.6, True, False), (0.4, False, False)])
def test_the_worst_slice_gate_follows_the_metric_direction(worst: float, higher: bool, passed: bool) -> None:
    summary = {"group": {"worst": 0.5, "worst_slice": "a", "gap": 0.0, "judged": 2, "protected": False}}
    (result,) = slice_gates(SliceGates(worst=worst), "m", summary, higher=higher)
    assert result.passed is passed and "(slice a)" in result.detail


def test_slices_too_small_to_judge_pass_with_a_note_and_metrics_json_feeds_the_release() -> None:
    summary = {"group": {"judged": 0, "protected": True, "parity_gap": None, "opportunity_gap": None}}
    policy = Release(beat_baseline=False, slices=SliceGates(max_gap=0.1, max_parity_gap=0.1))
    results = evaluate_gates(policy, "accuracy", {"accuracy": 0.9, SLICES_KEY: summary}, None, lambda m: True)
    assert [(r.kind, r.passed, r.detail) for r in results] == [
        ("slice gap", True, "too few rows in its slices to judge"),
        ("parity", True, "too few rows in its slices to judge"),
    ]
