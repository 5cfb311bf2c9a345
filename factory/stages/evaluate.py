"""Evaluate a use case's model on its test table: metrics, per-slice metrics and plots.

The model's predictions for the test table come from the train stage, so the model is not
loaded again here.
"""

from __future__ import annotations

from factory.artifacts.metrics import (
    BASELINE_KEY,
    SLICES_KEY,
    baseline_predictions,
    compute_metrics,
    slice_metrics,
    slice_summary,
)
from factory.artifacts.predictions import read_predictions
from factory.artifacts.profile import build_profile
from factory.io import write_json
from factory.paths import UseCasePaths
from factory.spec import UseCaseParams
from factory.stages import plots

# The params.yaml keys this stage reads: DVC reruns it when one changes (factory.compile reads
# this tuple; tests/test_stage_params.py holds the stage to it).
PARAMS = (
    "task",
    "target",
    "features.numeric",
    "features.categorical",
    "evaluation",
    "release.slices.min_rows",
    "protected_columns",
)
UNTRACKED = ("name",)  # read, yet no reason to rerun: the use case's name is its folder


def run(params: UseCaseParams, paths: UseCasePaths) -> None:
    """Write metrics.json, slice_metrics.json, the reference profile and the plots folder."""
    import pandas as pd

    test = pd.read_parquet(paths.test_data)
    predictions = read_predictions(paths.predictions, test[params.target].to_numpy())
    metrics = compute_metrics(predictions, params)
    train_target = pd.read_parquet(paths.train_data, columns=[params.target])[params.target].to_numpy()
    baseline = compute_metrics(baseline_predictions(train_target, predictions.y_true, params.task), params)
    slices = slice_metrics(test, predictions, params)
    summary = {SLICES_KEY: slice_summary(slices, params)} if slices else {}
    write_json(paths.metrics, {**metrics, "n_test": len(test), BASELINE_KEY: baseline, **summary})
    write_json(paths.slice_metrics, slices)
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
