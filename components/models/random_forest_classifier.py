"""Model `random_forest_classifier`: an ensemble of randomised decision trees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components.models._params import CLASS_WEIGHT_DESCRIPTION, ClassWeight, ForestParams
from factory.registry import CLASSIFICATION, register

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestClassifier


class RandomForestClassifierParams(ForestParams):
    """Parameters of `random_forest_classifier`."""

    class_weight: ClassWeight = Field(None, description=CLASS_WEIGHT_DESCRIPTION)


@register("model", "random_forest_classifier", RandomForestClassifierParams, tasks=CLASSIFICATION)
def random_forest_classifier(params: RandomForestClassifierParams) -> RandomForestClassifier:
    """Random forest classifier: averaged class probabilities of bootstrapped decision trees.

    Robust default for tabular data; needs numeric features and tolerates missing values.
    """
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(**params.model_dump())
