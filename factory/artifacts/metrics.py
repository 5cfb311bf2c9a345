"""Metrics of a model's predictions: the registered metrics a use case asks for, overall and per slice."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.artifacts.predictions import Predictions
from factory.errors import ComponentError
from factory.spec import UseCaseParams

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DIGITS = 6  # metrics are rounded so reports and diffs are not noise in the 15th decimal
BASELINE_KEY = "baseline"  # in metrics.json: the same metrics of a trivial model on the same split
SLICES_KEY = "slices"  # in metrics.json: per slice column, the worst slice and the gaps the slice gates judge


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
    """Metrics per slice of each slice column (missing values form their own slice).

    A numeric column with more than `NUMERIC_SLICE_VALUES` distinct values is cut at its test
    quartiles; for binary classification each slice also has its positive prediction rate and
    true positive rate (positive = the last label, as the metrics take it), which the fairness
    gates compare.
    """
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for column in params.evaluation.slices:
        values = slice_labels(test[column])
        result[column] = {}
        for value in sorted(set(values.tolist())):
            mask = values == value
            subset = predictions.subset(mask)
            result[column][str(value)] = {
                "n": int(mask.sum()),
                **compute_metrics(subset, params),
                **(_rates(subset) if params.task == "binary_classification" else {}),
            }
    return result


NUMERIC_SLICE_VALUES = 10


def slice_labels(values: pd.Series) -> np.ndarray:
    """The slice each value falls in: the value itself, or its quartile range for a many-valued number."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        present = values.dropna()
        if present.nunique() > NUMERIC_SLICE_VALUES:
            edges = np.unique(np.quantile(present.to_numpy(dtype="float64"), [0.0, 0.25, 0.5, 0.75, 1.0]))
            last = len(edges) - 2
            labels = [f"[{edges[i]:g}, {edges[i + 1]:g}{']' if i == last else ')'}" for i in range(last + 1)]
            # each value's bin: [low, high) for all but the last, which also holds the top value
            bins = np.searchsorted(edges[1:-1], values.to_numpy(dtype="float64", na_value=np.nan), side="right")
            return np.where(values.isna().to_numpy(), "(missing)", np.array(labels, dtype=object)[bins])
    return values.astype("string").fillna("(missing)").to_numpy()


def _rates(predictions: Predictions) -> dict[str, float | None]:
    """Positive prediction rate and true positive rate of a binary classifier's rows."""
    positive = predictions.labels[-1] if predictions.labels else None
    predicted = predictions.y_pred == positive
    actual = predictions.y_true == positive
    rate = round(float(predicted.mean()), DIGITS) if len(predicted) else None
    tpr = round(float(predicted[actual].mean()), DIGITS) if actual.any() else None
    return {"positive_rate": rate, "true_positive_rate": tpr}


def slice_summary(slices: dict[str, dict[str, dict[str, Any]]], params: UseCaseParams) -> dict[str, dict[str, Any]]:
    """Per slice column: its worst judged slice, the primary metric's gap and, when protected, the fairness gaps.

    Slices with fewer than `release.slices.min_rows` rows, or where a figure is undefined, are
    not judged. The release gates read this summary from metrics.json.
    """
    primary = params.evaluation.primary_metric
    higher = registry.get("metric", primary).greater_is_better
    min_rows = params.release.slices.min_rows
    summary: dict[str, dict[str, Any]] = {}
    for column, values in slices.items():
        judged = {name: figures for name, figures in values.items() if figures["n"] >= min_rows}
        scored = {name: figures[primary] for name, figures in judged.items() if figures.get(primary) is not None}
        entry: dict[str, Any] = {"judged": len(judged), "protected": column in params.protected_columns}
        if scored:
            worst = (min if higher else max)(sorted(scored), key=lambda name: scored[name])
            entry.update(worst_slice=worst, worst=scored[worst], gap=_spread(scored.values()))
        if params.task == "binary_classification":
            entry["parity_gap"] = _spread(
                f["positive_rate"] for f in judged.values() if f.get("positive_rate") is not None
            )
            entry["opportunity_gap"] = _spread(
                f["true_positive_rate"] for f in judged.values() if f.get("true_positive_rate") is not None
            )
        summary[column] = entry
    return summary


def _spread(values: Any) -> float | None:
    """Largest minus smallest, rounded; None for fewer than two values."""
    figures = list(values)
    return round(max(figures) - min(figures), DIGITS) if len(figures) >= 2 else None


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
