"""Model `hist_gradient_boosting_classifier`: gradient-boosted trees on binned features."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components.models._params import CLASS_WEIGHT_DESCRIPTION, ClassWeight, HistGradientBoostingParams
from factory.registry import CLASSIFICATION, register

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingClassifier


class HistGradientBoostingClassifierParams(HistGradientBoostingParams):
    """Parameters of `hist_gradient_boosting_classifier`."""

    class_weight: ClassWeight = Field(None, description=CLASS_WEIGHT_DESCRIPTION)


@register("model", "hist_gradient_boosting_classifier", HistGradientBoostingClassifierParams, tasks=CLASSIFICATION)
def hist_gradient_boosting_classifier(
    params: HistGradientBoostingClassifierParams,
) -> HistGradientBoostingClassifier:
    """Histogram-based gradient boosting classifier (LightGBM-style), fast on large tables.

    Handles missing values natively; early stopping, when on, holds out 10% of the
    training rows.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**params.model_dump())
