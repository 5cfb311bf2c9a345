"""Metric `recall`: how many true positives are found."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components.metrics._labels import AveragedParams, averaged_score
from factory.registry import CLASSIFICATION, register

if TYPE_CHECKING:
    import numpy as np


@register("metric", "recall", AveragedParams, tasks=CLASSIFICATION)
def recall(
    params: AveragedParams,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    labels: Sequence[Any] | None,
) -> float:
    """Recall: of the rows truly of a class, the share predicted as that class.

    Binary for two classes (positive = the last label), macro-averaged otherwise, unless
    `average` says; 0 when a class never occurs.
    """
    from sklearn.metrics import recall_score

    return averaged_score(recall_score, params, y_true, y_pred, labels)
