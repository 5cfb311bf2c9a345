"""Metric `f1`: the balance of precision and recall."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components.metrics._labels import AveragedParams, averaged_score
from factory.registry import CLASSIFICATION, register

if TYPE_CHECKING:
    import numpy as np


@register("metric", "f1", AveragedParams, tasks=CLASSIFICATION)
def f1(
    params: AveragedParams,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    labels: Sequence[Any] | None,
) -> float:
    """F1: the harmonic mean of precision and recall.

    Binary for two classes (positive = the last label), macro-averaged otherwise, unless
    `average` says; 0 where undefined.
    """
    from sklearn.metrics import f1_score

    return averaged_score(f1_score, params, y_true, y_pred, labels)
