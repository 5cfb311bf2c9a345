"""Metrics of a model's predictions: the registered metrics a use case asks for, overall and per slice."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.artifacts.predictions import Predictions
from factory.errors import ComponentError
from factory.spec import UseCaseParams

if TYPE_CHECKING:
    import pandas as pd

DIGITS = 6  # metrics are rounded so reports and diffs are not noise in the 15th decimal
BASELINE_KEY = "baseline"  # in metrics.json: the same metrics of a trivial model on the same split


def metric_value(name: str, predictions: Predictions) -> float | None:
    """Registered metric `name` on `predictions`, rounded; None where it is undefined on these rows."""
    metric = registry.get("metric", name)
    try:
        value = metric(
            metric.parse_params({}), predictions.y_true, predictions.y_pred, predictions.y_proba, predictions.labels
        )
    except ComponentError:
        if len(predictions.y_true) >= 2 and len(set(predictions.y_true.tolist())) > 1:
            raise
        value = None  # e.g. ROC AUC of a slice that holds one class
    return None if value is None or not math.isfinite(value) else round(float(value), DIGITS)


def compute_metrics(predictions: Predictions, params: UseCaseParams) -> dict[str, float | None]:
    """Every metric the use case asks for; None where a metric is undefined on these rows."""
    return {name: metric_value(name, predictions) for name in params.evaluation.all_metrics}


def slice_metrics(
    test: pd.DataFrame, predictions: Predictions, params: UseCaseParams
) -> dict[str, dict[str, dict[str, Any]]]:
    """Metrics per value of each slice column (missing values form their own slice)."""
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for column in params.evaluation.slices:
        values = test[column].astype("string").fillna("(missing)").to_numpy()
        result[column] = {}
        for value in sorted(set(values.tolist())):
            mask = values == value
            result[column][str(value)] = {"n": int(mask.sum()), **compute_metrics(predictions.subset(mask), params)}
    return result


def baseline_predictions(train_target: Any, test_target: Any, task: str) -> Predictions:
    """What a trivial model says about the test rows, fitted on the training target only.

    scikit-learn's `DummyClassifier` (the class priors: it predicts the most frequent class)
    or `DummyRegressor` (the training mean): the "a simpler model is not better" test of the
    ML Test Score.
    """
    import numpy as np
    from sklearn.dummy import DummyClassifier, DummyRegressor

    no_features = np.zeros((len(train_target), 1))
    test_rows = np.zeros((len(test_target), 1))
    if task == "regression":
        regressor = DummyRegressor(strategy="mean").fit(no_features, train_target)
        return Predictions(np.asarray(test_target), regressor.predict(test_rows), None, None)
    classifier = DummyClassifier(strategy="prior").fit(no_features, train_target)
    proba = classifier.predict_proba(test_rows)
    labels = list(classifier.classes_)
    return Predictions(np.asarray(test_target), classifier.classes_[proba.argmax(axis=1)], proba, labels)
