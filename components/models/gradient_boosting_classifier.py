"""Model `gradient_boosting_classifier`: gradient-boosted decision trees, fitted one after another."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components.models._params import MAX_SEED, RANDOM_STATE_DESCRIPTION
from factory.registry import CLASSIFICATION, ComponentParams, register

if TYPE_CHECKING:
    from sklearn.ensemble import GradientBoostingClassifier


class GradientBoostingClassifierParams(ComponentParams):
    """Parameters of `gradient_boosting_classifier`."""

    n_estimators: int = Field(100, ge=1, le=5000, description="Number of boosting stages (trees per class).")
    learning_rate: float = Field(0.1, gt=0, le=10, description="Shrinkage applied to each tree's contribution.")
    max_depth: int = Field(3, ge=1, le=100, description="Maximum depth of each tree.")
    min_samples_leaf: int = Field(1, ge=1, le=1_000_000, description="Minimum number of training samples in a leaf.")
    subsample: float = Field(1.0, gt=0, le=1, description="Share of the training rows each tree sees.")
    random_state: int = Field(0, ge=0, le=MAX_SEED, description=RANDOM_STATE_DESCRIPTION)


@register("model", "gradient_boosting_classifier", GradientBoostingClassifierParams, tasks=CLASSIFICATION)
def gradient_boosting_classifier(params: GradientBoostingClassifierParams) -> GradientBoostingClassifier:
    """Gradient boosting classifier: shallow trees each fitted to the errors of the ones before.

    Exact (not binned) splits, so slower than hist_gradient_boosting_classifier on large
    tables; needs numeric, complete features.
    """
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(**params.model_dump())
