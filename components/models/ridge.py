"""Model `ridge`: linear least squares with an L2 penalty."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components.models._params import MAX_SEED, RANDOM_STATE_DESCRIPTION
from factory.registry import REGRESSION, ComponentParams, register

if TYPE_CHECKING:
    from sklearn.linear_model import Ridge


class RidgeParams(ComponentParams):
    """Parameters of `ridge`."""

    # Not 0: an unpenalised ridge on a constant or collinear column gives huge coefficients;
    # linear_regression solves that case properly.
    alpha: float = Field(1.0, gt=0, le=1e6, description="Strength of the L2 penalty (use linear_regression for none).")
    random_state: int = Field(0, ge=0, le=MAX_SEED, description=RANDOM_STATE_DESCRIPTION)


@register("model", "ridge", RidgeParams, tasks=REGRESSION)
def ridge(params: RidgeParams) -> Ridge:
    """Ridge regression: linear least squares with an L2 penalty on the coefficients.

    Needs numeric, complete and preferably scaled features.
    """
    from sklearn.linear_model import Ridge

    return Ridge(**params.model_dump())
