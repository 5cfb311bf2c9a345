"""Efficacy on labelled production data: the use case's metrics, the primary one against its baseline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.artifacts.metrics import compute_metrics
from factory.artifacts.predictions import Predictions
from factory.errors import DataValidationError
from factory.monitor.log import Efficacy
from factory.spec import Monitoring, UseCaseParams

if TYPE_CHECKING:
    import pandas as pd


def check_efficacy(
    model: Any,
    labels: pd.Series,
    scored: pd.DataFrame,
    params: UseCaseParams,
    policy: Monitoring,
    profile: Mapping[str, Any],
) -> tuple[dict[str, float | None], Efficacy | None, int]:
    """Every metric on the labelled rows, the primary one against the evaluation baseline, the rows used.

    `scored` holds the model's `prediction` (and `proba_<class>` columns for classifiers). The
    efficacy is None when the primary metric is undefined on these rows (e.g. one class only).
    """
    known = labels.notna().to_numpy()
    if not known.any():
        raise DataValidationError(f"--labels {labels.name}: the column holds no labels")
    import numpy as np

    y_true, y_pred = labels.to_numpy()[known], scored["prediction"].to_numpy()[known]
    classes = list(getattr(model, "classes_", [])) or None
    proba = None
    if classes:
        # Compared as text, so "True" in a CSV matches the class True but "yes" does not.
        unknown = sorted({str(value) for value in y_true} - {str(label) for label in classes})
        if unknown:
            raise DataValidationError(
                f"--labels {labels.name}: expected values among the model's classes "
                f"({', '.join(map(str, classes))}); got {', '.join(map(repr, unknown[:5]))}"
            )
        # Labels and predictions in the dtype of the model's classes: scikit-learn's metrics
        # cannot read booleans held in object arrays (a CSV column with a gap, or predictions).
        dtype = np.asarray(model.classes_).dtype
        proba = scored[[f"proba_{label}" for label in classes]].to_numpy()[known]
        y_true, y_pred = y_true.astype(dtype), np.asarray(model.classes_)[proba.argmax(axis=1)]
    else:
        try:
            y_true = y_true.astype(float)
        except (TypeError, ValueError) as exc:
            raise DataValidationError(f"--labels {labels.name}: expected numbers for a regression; {exc}") from exc
    predictions = Predictions(y_true, y_pred, proba, classes)
    metrics = compute_metrics(predictions, params)
    primary = params.evaluation.primary_metric
    current, baseline = metrics.get(primary), profile["metrics"].get(primary)
    if current is None or baseline is None:
        return metrics, None, int(known.sum())
    tolerance = policy.efficacy_tolerance
    if registry.get("metric", primary).greater_is_better:
        degraded = current < baseline - tolerance
    else:
        degraded = current > baseline + tolerance
    efficacy = Efficacy(metric=primary, baseline=baseline, current=current, tolerance=tolerance, degraded=degraded)
    return metrics, efficacy, int(known.sum())
