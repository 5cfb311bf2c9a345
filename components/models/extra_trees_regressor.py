"""Model `extra_trees_regressor`: an ensemble of extremely randomised regression trees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.models._params import ForestParams
from factory.registry import REGRESSION, register

if TYPE_CHECKING:
    from sklearn.ensemble import ExtraTreesRegressor


class ExtraTreesRegressorParams(ForestParams):
    """Parameters of `extra_trees_regressor`."""


@register("model", "extra_trees_regressor", ExtraTreesRegressorParams, tasks=REGRESSION)
def extra_trees_regressor(params: ExtraTreesRegressorParams) -> ExtraTreesRegressor:
    """Extra trees regressor: like a random forest, with random split thresholds.

    Faster to train than a random forest and often as accurate; needs numeric features and
    tolerates missing values.
    """
    from sklearn.ensemble import ExtraTreesRegressor

    return ExtraTreesRegressor(**params.model_dump())
