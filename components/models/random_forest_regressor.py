"""Model `random_forest_regressor`: an ensemble of randomised regression trees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.models._params import ForestParams
from factory.registry import REGRESSION, register

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestRegressor


class RandomForestRegressorParams(ForestParams):
    """Parameters of `random_forest_regressor`."""


@register("model", "random_forest_regressor", RandomForestRegressorParams, tasks=REGRESSION)
def random_forest_regressor(params: RandomForestRegressorParams) -> RandomForestRegressor:
    """Random forest regressor: the averaged prediction of bootstrapped regression trees.

    Robust default for tabular data; needs numeric features and tolerates missing values.
    """
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(**params.model_dump())
