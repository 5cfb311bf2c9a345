"""Feature `min_max_scaler`: rescale numeric columns to a range."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from factory.registry import ComponentParams, register

if TYPE_CHECKING:
    from sklearn.preprocessing import MinMaxScaler


class MinMaxScalerParams(ComponentParams):
    """Parameters of `min_max_scaler`."""

    feature_range_min: float = Field(0.0, description="Value the training minimum maps to.")
    feature_range_max: float = Field(1.0, description="Value the training maximum maps to.")
    clip: bool = Field(False, description="Clip transformed values of unseen data to the range.")

    @model_validator(mode="after")
    def _ordered(self) -> MinMaxScalerParams:
        if not self.feature_range_min < self.feature_range_max:
            raise ValueError(
                f"feature_range_min < feature_range_max (got {self.feature_range_min} and {self.feature_range_max})"
            )
        return self


@register("feature", "min_max_scaler", MinMaxScalerParams)
def min_max_scaler(params: MinMaxScalerParams) -> MinMaxScaler:
    """Rescale numeric columns linearly so the training range maps to [min, max].

    Missing values pass through as NaN.
    """
    from sklearn.preprocessing import MinMaxScaler

    return MinMaxScaler(feature_range=(params.feature_range_min, params.feature_range_max), clip=params.clip)
