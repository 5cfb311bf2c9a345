"""Metric `r2`: the coefficient of determination."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components._params import NoParams
from factory.registry import REGRESSION, register

if TYPE_CHECKING:
    import numpy as np


@register("metric", "r2", NoParams, tasks=REGRESSION)
def r2(
    params: NoParams,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    labels: Sequence[Any] | None,
) -> float:
    """R²: the share of the target's variance the predictions explain (1 perfect, 0 = predicting the mean)."""
    from sklearn.metrics import r2_score

    return float(r2_score(y_true, y_pred))
