"""Metric `mae`: mean absolute error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components._params import NoParams
from factory.registry import REGRESSION, register

if TYPE_CHECKING:
    import numpy as np


@register("metric", "mae", NoParams, tasks=REGRESSION, greater_is_better=False)
def mae(
    params: NoParams,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    labels: Sequence[Any] | None,
) -> float:
    """Mean absolute error, in the target's units (lower is better); robust to a few large errors."""
    from sklearn.metrics import mean_absolute_error

    return float(mean_absolute_error(y_true, y_pred))
