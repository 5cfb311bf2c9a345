"""Model `elastic_net`: linear least squares with L1 and L2 penalties."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components.models._params import MAX_SEED, RANDOM_STATE_DESCRIPTION
from factory.registry import REGRESSION, ComponentParams, register

if TYPE_CHECKING:
    from sklearn.linear_model import ElasticNet


class ElasticNetParams(ComponentParams):
    """Parameters of `elastic_net`."""

    alpha: float = Field(1.0, gt=0, le=1e6, description="Strength of the penalty (use linear_regression for none).")
    l1_ratio: float = Field(0.5, ge=0, le=1, description="Share of the penalty that is L1 (1: lasso, 0: ridge).")
    max_iter: int = Field(1000, ge=1, le=100_000, description="Maximum coordinate descent iterations.")
    random_state: int = Field(0, ge=0, le=MAX_SEED, description=RANDOM_STATE_DESCRIPTION)


@register("model", "elastic_net", ElasticNetParams, tasks=REGRESSION)
def elastic_net(params: ElasticNetParams) -> ElasticNet:
    """Elastic net regression: least squares with a mix of L1 (sparsity) and L2 penalties.

    Sets some coefficients to exactly zero, which selects features. Needs numeric, complete
    and scaled features.
    """
    from sklearn.linear_model import ElasticNet

    return ElasticNet(**params.model_dump())
