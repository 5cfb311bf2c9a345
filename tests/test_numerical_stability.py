"""Numerical stability of predictions (ML Test Score Mo5): in the train stage, and on every monitored batch.

The unstable models are real scikit-learn pipelines fed values at the edge of float64: a
linear model's products overflow to infinity, and infinity minus infinity is NaN.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from factory.artifacts.predictions import Predictions, model_outputs, predict, predict_frame
from factory.artifacts.profile import build_profile
from factory.artifacts.stability import stability_problems
from factory.errors import BuildError
from factory.monitor.workflow import alert_reasons, check_batch, write_reports
from factory.spec import Monitoring, UseCaseParams
from factory.stages.train import build_pipeline, model_tests
from tests.conftest import REPO

QUALITY = yaml.safe_load((REPO / "conf/quality/default.yaml").read_text())
POLICY = Monitoring.model_validate(yaml.safe_load((REPO / "conf/monitoring/default.yaml").read_text()))
EDGE = 1e308  # finite, but three times it is not


def use_case(task: str, component: str, metric: str, **quality: Any) -> UseCaseParams:
    return UseCaseParams.model_validate(
        {
            "name": "edge",
            "description": "Two features, a linear model.",
            "owner": "edge@example.com",
            "risk_tier": "low",
            "task": task,
            "data": [{"product": "points"}],
            "products": {"points": "data/products/points.parquet"},
            "target": "y",
            "features": {"numeric": ["x1", "x2"]},
            "model": {"component": component, "params": {}},
            "evaluation": {"primary_metric": metric},
            "quality": {**QUALITY, **quality},
            "monitoring": POLICY.model_dump(),
        }
    )


def points(count: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=count), "x2": rng.normal(size=count)})
    frame["y"] = 3 * frame["x1"] - 3 * frame["x2"] + rng.normal(0, 0.1, count)
    return frame


def regression(**quality: Any) -> tuple[UseCaseParams, Any]:
    params = use_case("regression", "linear_regression", "rmse", **quality)
    train = points(500, 1)
    return params, build_pipeline(params).fit(train[["x1", "x2"]], train["y"])


def with_edge_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with a row whose predictions overflow to NaN (inf - inf) at position 3, and one to inf at 5."""
    frame = frame.copy()
    frame.loc[3, ["x1", "x2"]] = [EDGE, EDGE]
    frame.loc[5, ["x1", "x2"]] = [EDGE, 0.0]
    return frame


def test_sound_predictions_have_no_problems() -> None:
    assert stability_problems(np.array([1.5, -2.0, 0.0]), None) == []
    proba = np.array([[0.2, 0.8], [1.0, 0.0], [0.5, 0.5 + 1e-9]])  # within 1e-6 of 1
    assert stability_problems(np.array(["no", "yes", "no"], dtype=object), proba) == []


def test_nan_and_infinite_predictions_are_found() -> None:
    found = stability_problems(np.array([1.0, np.nan, np.inf, -np.inf, 2.0]), None)
    assert found == [
        "1 of 5 predictions are NaN (the first at row 1)",
        "2 of 5 predictions are infinite (the first at row 2)",
    ]


def test_bad_probabilities_are_found() -> None:
    proba = np.array(
        [
            [0.3, 0.7],  # fine
            [0.3, 0.6],  # sums to 0.9
            [-0.1, 1.1],  # sums to 1, but outside [0, 1]
            [np.nan, 0.5],  # not a number
            [0.5, 0.5 + 1e-5],  # off by more than 1e-6
        ]
    )
    assert stability_problems(np.array([1, 1, 1, 0, 1]), proba) == [
        "1 of 5 rows have a NaN or infinite class probability (the first at row 3)",
        "1 of 5 rows have a class probability outside [0, 1] (the first at row 2)",
        "2 of 5 rows have class probabilities not summing to 1 (±1e-06) (the first at row 1)",
    ]


def test_a_real_classifier_overflowing_to_nan_probabilities_is_found() -> None:
    params = use_case("multiclass_classification", "logistic_regression", "accuracy")
    train = points(500, 1)
    labels = np.where(train["x1"] > 0.5, "a", np.where(train["x2"] > 0, "b", "c"))
    model = build_pipeline(params).fit(train[["x1", "x2"]], labels)
    with np.errstate(all="ignore"):
        y_pred, proba = model_outputs(model, with_edge_rows(points(8, 2))[["x1", "x2"]], classifier=True)
    assert stability_problems(y_pred, proba) == [
        "2 of 8 rows have a NaN or infinite class probability (the first at row 3)"
    ]


def test_the_policy_error_fails_warn_records_and_off_skips() -> None:
    test = with_edge_rows(points(200, 2))
    params, model = regression()
    with np.errstate(all="ignore"):
        predictions = predict(model, test, params)
        with pytest.raises(BuildError) as caught:
            model_tests(model, test, predictions, params)  # numerical_stability: error by default
    assert str(caught.value) == (
        "use_cases/edge/config.yaml: model test(s) failed on the test rows (quality: sets them to error):\n"
        "  - error: numerical_stability: 1 of 200 predictions are NaN (the first at row 3)\n"
        "  - error: numerical_stability: 1 of 200 predictions are infinite (the first at row 5)"
    )

    warned, _ = regression(numerical_stability="warn")
    checks, importance = model_tests(model, test, predictions, warned)
    assert checks["numerical_stability"] == {
        "action": "warn",
        "rows": 200,
        "problems": [
            "1 of 200 predictions are NaN (the first at row 3)",
            "1 of 200 predictions are infinite (the first at row 5)",
        ],
    }
    assert [finding["action"] for finding in checks["findings"]] == ["warn", "warn"]
    assert importance["reason"] == "the predictions are not numerically stable" and not importance["computed"]

    quiet, _ = regression(numerical_stability="off")
    checks, _ = model_tests(model, test, predictions, quiet)
    assert checks == {"findings": [], "numerical_stability": {"action": "off", "problems": [], "rows": 0}}


def monitored(params: UseCaseParams, model: Any) -> dict[str, Any]:
    """The reference profile of the evaluation rows, as the evaluate stage builds it."""
    evaluation = points(400, 3)
    scored = predict_frame(model, evaluation[["x1", "x2"]], classifier=False)
    predictions = Predictions(evaluation["y"].to_numpy(), scored["prediction"].to_numpy(), None, None)
    metrics = {"rmse": float(np.sqrt(np.mean((predictions.y_true - predictions.y_pred) ** 2)))}
    return build_profile(evaluation, ["x1", "x2"], [], predictions.y_pred, "regression", "y", metrics, "rmse")


def test_monitoring_alerts_on_nan_predictions(tmp_path: Path) -> None:
    params, model = regression()
    profile = monitored(params, model)
    clean = check_batch(points(300, 4), params, POLICY, model, profile)
    assert clean.unstable == [] and not [r for r in alert_reasons(clean, POLICY) if "numerical" in r]

    with np.errstate(all="ignore"):
        check = check_batch(with_edge_rows(points(300, 4)), params, POLICY, model, profile)
    reasons = alert_reasons(check, POLICY)
    assert reasons[:2] == [
        "numerical stability: 1 of 300 predictions are NaN (the first at row 3)",
        "numerical stability: 1 of 300 predictions are infinite (the first at row 5)",
    ]
    record = check.record(
        checked_at="2026-11-29T12:00:00Z",
        use_case="edge",
        version="v1.0.0",
        input_shown="batch.csv",
        input_sha256="0" * 64,
        alert=bool(reasons),
    )
    assert record.verdict == "alert"
    write_reports(record, reasons, POLICY, profile, check, tmp_path / "r.json", tmp_path / "r.html")
    assert json.loads((tmp_path / "r.json").read_text())["numerical_stability"] == check.unstable

    # a version released with the check off is not alerted on it
    quiet, _ = regression(numerical_stability="off")
    with np.errstate(all="ignore"):
        assert check_batch(with_edge_rows(points(300, 4)), quiet, POLICY, model, profile).unstable == []
