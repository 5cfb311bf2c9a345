"""Metric `rmse`: root mean squared error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components._params import NoParams
from factory.registry import REGRESSION, register

if TYPE_CHECKING:
    import numpy as np


@register("metric", "rmse", NoParams, tasks=REGRESSION, greater_is_better=False)
def rmse(
    params: NoParams,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    labels: Sequence[Any] | None,
) -> float:
    """Root mean squared error, in the target's units (lower is better); large errors weigh most."""
    from sklearn.metrics import root_mean_squared_error

    return float(root_mean_squared_error(y_true, y_pred))
