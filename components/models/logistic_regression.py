"""Model `logistic_regression`: a regularised linear classifier."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components.models._params import CLASS_WEIGHT_DESCRIPTION, MAX_SEED, RANDOM_STATE_DESCRIPTION, ClassWeight
from factory.registry import CLASSIFICATION, ComponentParams, register

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression


class LogisticRegressionParams(ComponentParams):
    """Parameters of `logistic_regression`."""

    C: float = Field(1.0, gt=0, le=1e6, description="Inverse strength of the L2 penalty; smaller is stronger.")
    max_iter: int = Field(1000, ge=1, le=100_000, description="Maximum solver iterations.")
    class_weight: ClassWeight = Field(None, description=CLASS_WEIGHT_DESCRIPTION)
    random_state: int = Field(0, ge=0, le=MAX_SEED, description=RANDOM_STATE_DESCRIPTION)


@register("model", "logistic_regression", LogisticRegressionParams, tasks=CLASSIFICATION)
def logistic_regression(params: LogisticRegressionParams) -> LogisticRegression:
    """L2-regularised logistic regression (lbfgs), for binary and multiclass targets.

    Needs numeric, complete and preferably scaled features.
    """
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(**params.model_dump())
