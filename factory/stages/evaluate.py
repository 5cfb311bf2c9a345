"""Evaluate a use case's model on its test table: metrics, per-slice metrics and plots."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.errors import ComponentError
from factory.io import load_model, write_json
from factory.paths import UseCasePaths
from factory.spec import UseCaseParams
from factory.stages import plots
from factory.stages.profile import build_profile

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


def run(params: UseCaseParams, paths: UseCasePaths) -> None:
    """Write metrics.json, slice_metrics.json, the reference profile and the plots folder."""
    import pandas as pd

    test = pd.read_parquet(paths.test_data)
    predictions = predict(load_model(paths.model), test, params)
    metrics = compute_metrics(predictions, params)
    write_json(paths.metrics, {**metrics, "n_test": len(test)})
    write_json(paths.slice_metrics, slice_metrics(test, predictions, params))
    profile = build_profile(
        test,
        params.features.numeric,
        params.features.categorical,
        predictions.y_pred,
        params.task,
        params.target,
        metrics,
        params.evaluation.primary_metric,
    )
    write_json(paths.reference_profile, profile)
    plots.write_plots(
        paths.plots, predictions.y_true, predictions.y_pred, predictions.y_proba, predictions.labels, params.task
    )


def predict(model: Any, table: pd.DataFrame, params: UseCaseParams) -> Predictions:
    """Run the model on `table`."""
    features = table[params.features.columns]
    y_true = table[params.target].to_numpy()
    y_pred = model.predict(features)
    if params.task == "regression":
        return Predictions(y_true, y_pred, None, None)
    return Predictions(y_true, y_pred, model.predict_proba(features), list(model.classes_))


def compute_metrics(predictions: Predictions, params: UseCaseParams) -> dict[str, float | None]:
    """Every metric the use case asks for; None where a metric is undefined on these rows."""
    results: dict[str, float | None] = {}
    for name in params.evaluation.all_metrics:
        metric = registry.get("metric", name)
        try:
            value = metric(
                metric.parse_params({}), predictions.y_true, predictions.y_pred, predictions.y_proba, predictions.labels
            )
        except ComponentError:
            if len(predictions.y_true) >= 2 and len(set(predictions.y_true.tolist())) > 1:
                raise
            value = None  # e.g. ROC AUC of a slice that holds one class
        results[name] = None if value is None or not math.isfinite(value) else round(float(value), DIGITS)
    return results


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
