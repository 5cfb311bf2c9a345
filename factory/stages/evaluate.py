"""Evaluate a use case's model on its test table: metrics, per-slice metrics and plots.

The model's predictions for the test table come from the train stage, so the model is not
loaded again here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from factory.io import write_json
from factory.paths import UseCasePaths
from factory.spec import UseCaseParams
from factory.stages import plots
from factory.stages.predictions import Predictions, metric_value, read_predictions
from factory.stages.profile import build_profile

if TYPE_CHECKING:
    import pandas as pd


def run(params: UseCaseParams, paths: UseCasePaths) -> None:
    """Write metrics.json, slice_metrics.json, the reference profile and the plots folder."""
    import pandas as pd

    test = pd.read_parquet(paths.test_data)
    predictions = read_predictions(paths.predictions, test[params.target].to_numpy())
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
