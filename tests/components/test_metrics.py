"""Metrics agree with scikit-learn for binary, multiclass and regression targets."""

from __future__ import annotations

import numpy as np
import pydantic
import pytest
from sklearn import metrics

from factory import registry
from factory.errors import ComponentError

RNG = np.random.default_rng(3)
BINARY_LABELS = ["churn", "stay"]
MULTI_LABELS = ["a", "b", "c"]


def _classification(labels: list[str], n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    proba = RNG.dirichlet(np.ones(len(labels)), n)
    y_true = np.array([labels[RNG.choice(len(labels), p=p)] for p in proba])
    y_pred = np.array(labels)[proba.argmax(axis=1)]
    return y_true, y_pred, proba


BINARY = _classification(BINARY_LABELS)
MULTI = _classification(MULTI_LABELS)


def score(name: str, y_true, y_pred, y_proba, labels, **params) -> float:
    component = registry.get("metric", name)
    result = component(component.parse_params(params), y_true, y_pred, y_proba, labels)
    assert type(result) is float
    return result


@pytest.mark.parametrize(
    ("name", "reference"),
    [("precision", metrics.precision_score), ("recall", metrics.recall_score), ("f1", metrics.f1_score)],
)
def test_averaged_scores(name: str, reference) -> None:
    y_true, y_pred, proba = BINARY
    assert score(name, y_true, y_pred, proba, BINARY_LABELS) == pytest.approx(
        reference(y_true, y_pred, pos_label="stay", zero_division=0)
    )
    y_true, y_pred, proba = MULTI
    assert score(name, y_true, y_pred, proba, MULTI_LABELS) == pytest.approx(
        reference(y_true, y_pred, average="macro", zero_division=0)
    )
    for average in ("micro", "weighted", "macro"):
        assert score(name, y_true, y_pred, proba, MULTI_LABELS, average=average) == pytest.approx(
            reference(y_true, y_pred, average=average, zero_division=0)
        )


def test_zero_division_gives_zero() -> None:
    y_true = np.array(["stay", "stay"])
    y_pred = np.array(["churn", "churn"])
    assert score("precision", y_true, y_pred, None, BINARY_LABELS) == 0.0


def test_binary_average_needs_two_classes() -> None:
    y_true, y_pred, proba = MULTI
    with pytest.raises(ComponentError, match="needs exactly two classes"):
        score("f1", y_true, y_pred, proba, MULTI_LABELS, average="binary")


def test_accuracy() -> None:
    y_true, y_pred, proba = MULTI
    assert score("accuracy", y_true, y_pred, proba, MULTI_LABELS) == metrics.accuracy_score(y_true, y_pred)


def test_roc_auc() -> None:
    y_true, y_pred, proba = BINARY
    assert score("roc_auc", y_true, y_pred, proba, BINARY_LABELS) == pytest.approx(
        metrics.roc_auc_score(y_true == "stay", proba[:, 1])
    )
    y_true, y_pred, proba = MULTI
    for average in ("macro", "weighted"):
        assert score("roc_auc", y_true, y_pred, proba, MULTI_LABELS, average=average) == pytest.approx(
            metrics.roc_auc_score(y_true, proba, multi_class="ovr", average=average, labels=MULTI_LABELS)
        )


def test_log_loss_uses_all_labels_even_if_one_is_absent() -> None:
    y_true, y_pred, proba = MULTI
    assert score("log_loss", y_true, y_pred, proba, MULTI_LABELS) == pytest.approx(
        metrics.log_loss(y_true, proba, labels=MULTI_LABELS)
    )
    present = y_true != "c"
    assert score("log_loss", y_true[present], y_pred[present], proba[present], MULTI_LABELS) == pytest.approx(
        metrics.log_loss(y_true[present], proba[present], labels=MULTI_LABELS)
    )


def test_probability_metrics_check_the_proba_shape() -> None:
    y_true, y_pred, proba = MULTI
    with pytest.raises(ComponentError, match=r"expected \(n, 2\)"):
        score("roc_auc", y_true, y_pred, proba, BINARY_LABELS)
    with pytest.raises(ComponentError, match="needs predicted probabilities"):
        score("log_loss", y_true, y_pred, None, MULTI_LABELS)


def test_regression_metrics() -> None:
    y_true = RNG.normal(10, 3, 40)
    y_pred = y_true + RNG.normal(0, 1, 40)
    assert score("rmse", y_true, y_pred, None, None) == pytest.approx(metrics.root_mean_squared_error(y_true, y_pred))
    assert score("mae", y_true, y_pred, None, None) == pytest.approx(metrics.mean_absolute_error(y_true, y_pred))
    assert score("r2", y_true, y_pred, None, None) == pytest.approx(metrics.r2_score(y_true, y_pred))


def test_declared_direction_and_needs() -> None:
    lower_is_better = {c.name for c in registry.components("metric") if not c.greater_is_better}
    assert lower_is_better == {"log_loss", "rmse", "mae"}
    assert {c.name for c in registry.components("metric") if c.needs_proba} == {"roc_auc", "log_loss"}
    regression = {c.name for c in registry.components("metric") if c.tasks == ("regression",)}
    assert regression == {"rmse", "mae", "r2"}


def test_unknown_average_is_a_params_error() -> None:
    with pytest.raises(pydantic.ValidationError):
        registry.get("metric", "f1").parse_params({"average": "samples"})
