"""Metric `accuracy`: the share of correct predictions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components._params import NoParams
from factory.registry import CLASSIFICATION, register

if TYPE_CHECKING:
    import numpy as np


@register("metric", "accuracy", NoParams, tasks=CLASSIFICATION)
def accuracy(
    params: NoParams,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    labels: Sequence[Any] | None,
) -> float:
    """Accuracy: the fraction of rows whose predicted class is the true class."""
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(y_true, y_pred))
