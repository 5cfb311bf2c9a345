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
