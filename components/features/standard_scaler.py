"""Feature `standard_scaler`: centre and scale numeric columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from factory.registry import ComponentParams, register

if TYPE_CHECKING:
    from sklearn.preprocessing import StandardScaler


class StandardScalerParams(ComponentParams):
    """Parameters of `standard_scaler`."""

    with_mean: bool = Field(True, description="Subtract the training mean.")
    with_std: bool = Field(True, description="Divide by the training standard deviation.")


@register("feature", "standard_scaler", StandardScalerParams)
def standard_scaler(params: StandardScalerParams) -> StandardScaler:
    """Standardise numeric columns to zero mean and unit variance, learnt on training data.

    Missing values pass through as NaN (they are ignored when fitting), so an imputer may
    come before or after it.
    """
    from sklearn.preprocessing import StandardScaler

    return StandardScaler(with_mean=params.with_mean, with_std=params.with_std)
