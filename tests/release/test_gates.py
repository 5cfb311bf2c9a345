"""Release gates: absolute bounds, and direction-aware comparison with the production champion."""

from __future__ import annotations

from typing import Any

import pytest

from factory.release.gates import evaluate_gates
from factory.release.records import GateResult
from factory.spec import ChampionGate, Gate, Release

LOWER_IS_BETTER = {"rmse", "mae", "log_loss"}


def greater_is_better(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER


def evaluate(
    policy: Release, metrics: dict[str, Any], champion: dict[str, Any] | None = None, primary: str = "accuracy"
) -> list[GateResult]:
    """The gates of `policy` but the trivial-baseline gate, which its own tests below turn on."""
    return evaluate_gates(
        policy.model_copy(update={"beat_baseline": False}), primary, metrics, champion, greater_is_better
    )


def only(results: list[GateResult]) -> GateResult:
    assert len(results) == 1, results
    return results[0]


# ---------------------------------------------------------------- absolute gates


@pytest.mark.parametrize(("value", "passed"), [(0.875, True), (0.75, True), (0.7499, False), (0.0, False)])
def test_min_gate_passes_at_or_above_the_threshold(value: float, passed: bool) -> None:
    result = only(evaluate(Release(gates={"accuracy": Gate(min=0.75)}), {"accuracy": value}))
    assert (result.metric, result.kind, result.threshold, result.value) == ("accuracy", "min", 0.75, value)
    assert result.passed is passed
    assert result.detail == f"{value:.4f} >= 0.75"


@pytest.mark.parametrize(("value", "passed"), [(1.5, True), (2.5, True), (2.5001, False), (10.0, False)])
def test_max_gate_passes_at_or_below_the_threshold(value: float, passed: bool) -> None:
    result = only(evaluate(Release(gates={"rmse": Gate(max=2.5)}), {"rmse": value}))
    assert (result.metric, result.kind, result.threshold, result.value) == ("rmse", "max", 2.5, value)
    assert result.passed is passed
    assert result.detail == f"{value:.4f} <= 2.5"


def test_integer_threshold_and_value_on_the_boundary_pass() -> None:
    results = evaluate(Release(gates={"rows": Gate(min=100, max=100)}), {"rows": 100})
    assert [(r.kind, r.passed) for r in results] == [("min", True), ("max", True)]


@pytest.mark.parametrize("gate", [Gate(min=0.5), Gate(max=0.5)], ids=["min", "max"])
def test_absolute_gate_on_a_missing_metric_fails(gate: Gate) -> None:
    result = only(evaluate(Release(gates={"f1": gate}), {"accuracy": 0.9}))
    assert result.passed is False
    assert result.value is None
    assert result.detail == "metric missing from the build"


def test_gates_come_min_then_max_then_champion_each_in_metric_order() -> None:
    policy = Release(
        gates={"rmse": Gate(max=3.0), "f1": Gate(min=0.5, max=0.99), "accuracy": Gate(min=0.5)},
        champion={"rmse": ChampionGate(), "accuracy": ChampionGate()},
    )
    results = evaluate(policy, {"rmse": 1.0, "f1": 0.6, "accuracy": 0.7}, {"rmse": 1.0, "accuracy": 0.7})
    assert [(r.metric, r.kind) for r in results] == [
        ("accuracy", "min"),
        ("f1", "min"),
        ("f1", "max"),
        ("rmse", "max"),
        ("accuracy", "champion"),
        ("rmse", "champion"),
    ]
    assert all(r.passed for r in results)


def test_no_gates_at_all_gives_no_results() -> None:
    assert evaluate(Release(), {"accuracy": 0.1}, {"accuracy": 0.9}) == []


# ---------------------------------------------------------------- champion gates


@pytest.mark.parametrize(("value", "passed"), [(0.875, True), (0.5, True), (0.4999, False)])
def test_champion_higher_is_better_with_absolute_tolerance(value: float, passed: bool) -> None:
    policy = Release(champion={"accuracy": ChampionGate(tolerance=0.25)})
    result = only(evaluate(policy, {"accuracy": value}, {"accuracy": 0.75}))
    assert (result.kind, result.threshold, result.champion, result.value) == ("champion", 0.5, 0.75, value)
    assert result.passed is passed
    assert result.detail == f"{value:.4f} >= 0.5000 (production 0.7500)"


@pytest.mark.parametrize(("value", "passed"), [(0.75, True), (0.7499, False)])
def test_champion_with_zero_tolerance_requires_no_regression(value: float, passed: bool) -> None:
    result = only(evaluate(Release(champion={"accuracy": ChampionGate()}), {"accuracy": value}, {"accuracy": 0.75}))
    assert result.threshold == 0.75
    assert result.passed is passed


@pytest.mark.parametrize(("value", "passed"), [(0.25, True), (0.2499, False)])
def test_champion_higher_is_better_with_relative_tolerance(value: float, passed: bool) -> None:
    policy = Release(champion={"accuracy": ChampionGate(tolerance=0.5, relative=True)})
    result = only(evaluate(policy, {"accuracy": value}, {"accuracy": 0.5}))
    assert result.threshold == 0.25  # 0.5 - 50% of 0.5
    assert result.passed is passed


def test_relative_tolerance_is_a_share_of_the_champions_magnitude() -> None:
    """A negative champion (e.g. r2) still allows a regression, not an improvement requirement."""
    policy = Release(champion={"r2": ChampionGate(tolerance=0.5, relative=True)})
    passing = only(evaluate(policy, {"r2": -0.75}, {"r2": -0.5}))
    failing = only(evaluate(policy, {"r2": -0.7501}, {"r2": -0.5}))
    assert passing.threshold == -0.75
    assert (passing.passed, failing.passed) == (True, False)


@pytest.mark.parametrize(("value", "passed"), [(1.0, True), (2.0, True), (2.5, True), (2.5001, False), (4.0, False)])
def test_champion_lower_is_better_treats_a_higher_value_as_a_regression(value: float, passed: bool) -> None:
    policy = Release(champion={"rmse": ChampionGate(tolerance=0.5)})
    result = only(evaluate(policy, {"rmse": value}, {"rmse": 2.0}))
    assert result.threshold == 2.5  # 2.0 + 0.5
    assert result.passed is passed
    assert result.detail == f"{value:.4f} <= 2.5000 (production 2.0000)"


@pytest.mark.parametrize(("value", "passed"), [(0.25, True), (0.5, True), (0.5001, False), (0.75, False)])
def test_champion_log_loss_with_zero_tolerance(value: float, passed: bool) -> None:
    result = only(evaluate(Release(champion={"log_loss": ChampionGate()}), {"log_loss": value}, {"log_loss": 0.5}))
    assert result.passed is passed


@pytest.mark.parametrize(("value", "passed"), [(5.0, True), (5.0001, False)])
def test_champion_lower_is_better_with_relative_tolerance(value: float, passed: bool) -> None:
    policy = Release(champion={"mae": ChampionGate(tolerance=0.25, relative=True)})
    result = only(evaluate(policy, {"mae": value}, {"mae": 4.0}))
    assert result.threshold == 5.0  # 4.0 + 25% of 4.0
    assert result.passed is passed


@pytest.mark.parametrize(
    ("metric", "champion", "gate", "value"),
    [
        ("accuracy", 0.8, ChampionGate(tolerance=0.25, relative=True), 0.6),  # 0.8 - 0.2
        ("rmse", 0.7, ChampionGate(tolerance=0.1), 0.8),  # 0.7 + 0.1
    ],
    ids=["relative-higher-is-better", "absolute-lower-is-better"],
)
def test_champion_value_exactly_on_the_decimal_boundary_passes(
    metric: str, champion: float, gate: ChampionGate, value: float
) -> None:
    """A value equal to champion -/+ tolerance (as a person computes it) is within tolerance."""
    result = only(evaluate(Release(champion={metric: gate}), {metric: value}, {metric: champion}))
    assert result.passed is True, result.detail


def test_no_champion_passes_with_a_note() -> None:
    policy = Release(champion={"accuracy": ChampionGate(), "rmse": ChampionGate()})
    results = evaluate(policy, {"accuracy": 0.1, "rmse": 99.0}, None)
    assert [(r.metric, r.passed, r.detail, r.threshold, r.champion) for r in results] == [
        ("accuracy", True, "no production model yet", None, None),
        ("rmse", True, "no production model yet", None, None),
    ]


def test_champion_gate_on_a_metric_missing_from_the_build_fails() -> None:
    result = only(evaluate(Release(champion={"f1": ChampionGate()}), {"accuracy": 0.9}, {"f1": 0.7}))
    assert (result.passed, result.value, result.champion) == (False, None, 0.7)
    assert result.detail == "metric missing from the build"


# ---------------------------------------------------------------- primary_tolerance


def test_primary_tolerance_adds_a_champion_gate_on_the_primary_metric() -> None:
    policy = Release(primary_tolerance=0.25)
    passing = only(evaluate(policy, {"accuracy": 0.5}, {"accuracy": 0.75}))
    failing = only(evaluate(policy, {"accuracy": 0.4999}, {"accuracy": 0.75}))
    assert (passing.metric, passing.kind, passing.threshold) == ("accuracy", "champion", 0.5)
    assert (passing.passed, failing.passed) == (True, False)


def test_primary_tolerance_follows_the_primary_metrics_direction() -> None:
    result = only(evaluate(Release(primary_tolerance=0.5), {"rmse": 2.5}, {"rmse": 2.0}, primary="rmse"))
    assert (result.metric, result.threshold, result.passed) == ("rmse", 2.5, True)


def test_primary_tolerance_yields_to_an_explicit_champion_gate_on_the_primary_metric() -> None:
    policy = Release(champion={"accuracy": ChampionGate(tolerance=0.0)}, primary_tolerance=0.25)
    result = only(evaluate(policy, {"accuracy": 0.625}, {"accuracy": 0.75}))
    assert result.threshold == 0.75
    assert result.passed is False


def test_primary_tolerance_is_added_next_to_champion_gates_on_other_metrics() -> None:
    policy = Release(champion={"log_loss": ChampionGate()}, primary_tolerance=0.25)
    results = evaluate(policy, {"accuracy": 0.5, "log_loss": 0.5}, {"accuracy": 0.75, "log_loss": 0.5})
    assert [(r.metric, r.threshold, r.passed) for r in results] == [("accuracy", 0.5, True), ("log_loss", 0.5, True)]


def test_without_primary_tolerance_there_is_no_implicit_champion_gate() -> None:
    assert evaluate(Release(gates={"f1": Gate(min=0.5)}), {"accuracy": 0.1, "f1": 0.6}, {"accuracy": 0.9}) == [
        GateResult(metric="f1", kind="min", threshold=0.5, value=0.6, passed=True, detail="0.6000 >= 0.5")
    ]


# ---------------------------------------------------------------- the trivial baseline


@pytest.mark.parametrize(
    ("metric", "value", "baseline", "passed", "detail"),
    [
        ("accuracy", 0.91, 0.40, True, "0.9100 > 0.4000 (trivial baseline)"),
        ("accuracy", 0.40, 0.40, False, "0.4000 > 0.4000 (trivial baseline)"),  # no better is not better
        ("r2", -0.10, 0.0, False, "-0.1000 > 0.0000 (trivial baseline)"),
        ("rmse", 3.0, 5.0, True, "3.0000 < 5.0000 (trivial baseline)"),  # lower is better
        ("rmse", 6.0, 5.0, False, "6.0000 < 5.0000 (trivial baseline)"),
    ],
)
def test_the_default_policy_refuses_a_model_no_better_than_a_trivial_one(
    metric: str, value: float, baseline: float, passed: bool, detail: str
) -> None:
    metrics = {metric: value, "baseline": {metric: baseline}}
    result = only(evaluate_gates(Release(), metric, metrics, None, greater_is_better))
    assert (result.kind, result.threshold, result.passed, result.detail) == ("baseline", baseline, passed, detail)
    # switched off by the policy, the same model has no gate to fail
    assert evaluate_gates(Release(beat_baseline=False), metric, metrics, None, greater_is_better) == []


def test_a_build_without_a_baseline_is_refused_until_rebuilt() -> None:
    result = only(evaluate_gates(Release(), "accuracy", {"accuracy": 0.9}, None, greater_is_better))
    assert not result.passed and result.detail == "baseline missing from the build (rebuild it)"
