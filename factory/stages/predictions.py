"""A model's predictions on a table, and registered metrics computed on them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.errors import ComponentError
from factory.spec import UseCaseParams

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DIGITS = 6  # metrics are rounded so reports and diffs are not noise in the 15th decimal


@dataclass(frozen=True)
class Predictions:
    """What the model said about a table, with the truth beside it."""

    y_true: np.ndarray
    y_pred: np.ndarray
    y_proba: np.ndarray | None
    labels: list[Any] | None

    def subset(self, mask: np.ndarray) -> Predictions:
        """The predictions for the rows where `mask` is true."""
        proba = None if self.y_proba is None else self.y_proba[mask]
        return Predictions(self.y_true[mask], self.y_pred[mask], proba, self.labels)


def predict(model: Any, table: pd.DataFrame, params: UseCaseParams) -> Predictions:
    """Run the model on `table`.

    A classifier's predicted class is its most probable one, as `factory score` reports it; the
    probabilities are computed once (a forest's `predict` would compute them again).
    """
    features = table[params.features.columns]
    y_true = table[params.target].to_numpy()
    if params.task == "regression":
        return Predictions(y_true, model.predict(features), None, None)
    proba = model.predict_proba(features)
    return Predictions(y_true, model.classes_[proba.argmax(axis=1)], proba, list(model.classes_))


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
