"""Metric `log_loss`: the cross-entropy of predicted probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components._params import NoParams
from components.metrics._labels import checked_proba
from factory.registry import CLASSIFICATION, register

if TYPE_CHECKING:
    import numpy as np


@register("metric", "log_loss", NoParams, tasks=CLASSIFICATION, greater_is_better=False, needs_proba=True)
def log_loss(
    params: NoParams,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    labels: Sequence[Any] | None,
) -> float:
    """Log loss: the mean negative log-probability given to the true class (lower is better).

    Punishes confident mistakes hard; a good check of calibrated probabilities.
    """
    from sklearn.metrics import log_loss as sklearn_log_loss

    proba, classes = checked_proba(y_proba, labels)
    return float(sklearn_log_loss(y_true, proba, labels=classes))
