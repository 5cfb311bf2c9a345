"""Model `hist_gradient_boosting_regressor`: gradient-boosted regression trees on binned features."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.models._params import HistGradientBoostingParams
from factory.registry import REGRESSION, register

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingRegressor


class HistGradientBoostingRegressorParams(HistGradientBoostingParams):
    """Parameters of `hist_gradient_boosting_regressor`."""


@register("model", "hist_gradient_boosting_regressor", HistGradientBoostingRegressorParams, tasks=REGRESSION)
def hist_gradient_boosting_regressor(
    params: HistGradientBoostingRegressorParams,
) -> HistGradientBoostingRegressor:
    """Histogram-based gradient boosting regressor (squared error), fast on large tables.

    Handles missing values natively; early stopping, when on, holds out 10% of the
    training rows.
    """
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(**params.model_dump())
