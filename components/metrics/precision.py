"""Metric `precision`: how many predicted positives are right."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components.metrics._labels import AveragedParams, averaged_score
from factory.registry import CLASSIFICATION, register

if TYPE_CHECKING:
    import numpy as np


@register("metric", "precision", AveragedParams, tasks=CLASSIFICATION)
def precision(
    params: AveragedParams,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    labels: Sequence[Any] | None,
) -> float:
    """Precision: of the rows predicted as a class, the share that truly are that class.

    Binary for two classes (positive = the last label), macro-averaged otherwise, unless
    `average` says; 0 when nothing is predicted positive.
    """
    from sklearn.metrics import precision_score

    return averaged_score(precision_score, params, y_true, y_pred, labels)
