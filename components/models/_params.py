"""Hyper-parameter sets shared by model families; field names match scikit-learn's arguments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from factory.registry import ComponentParams

ClassWeight = Literal["balanced"] | None
CLASS_WEIGHT_DESCRIPTION = "'balanced' weights classes inversely to their frequency; equal weights when omitted."
MAX_SEED = 2**32 - 1  # numpy's seeds are 32-bit
RANDOM_STATE_DESCRIPTION = "Seed of the estimator's randomness; fixed so training is reproducible."


class ForestParams(ComponentParams):
    """Parameters of the random forests."""

    n_estimators: int = Field(200, ge=1, le=5000, description="Number of trees.")
    max_depth: int | None = Field(None, ge=1, le=1000, description="Maximum depth of a tree; unlimited when omitted.")
    min_samples_leaf: int = Field(1, ge=1, le=1_000_000, description="Minimum number of training samples in a leaf.")
    random_state: int = Field(0, ge=0, le=MAX_SEED, description=RANDOM_STATE_DESCRIPTION)
    n_jobs: int = Field(1, ge=1, le=64, description="Trees built in parallel; results do not depend on it.")


class HistGradientBoostingParams(ComponentParams):
    """Parameters of the histogram gradient boosting models."""

    learning_rate: float = Field(0.1, gt=0, le=10, description="Shrinkage applied to each tree's contribution.")
    max_iter: int = Field(200, ge=1, le=10_000, description="Number of boosting iterations (trees per output).")
    max_leaf_nodes: int | None = Field(
        31, ge=2, le=65_536, description="Maximum leaves per tree; unlimited when omitted."
    )
    max_depth: int | None = Field(None, ge=1, le=1000, description="Maximum depth of a tree; unlimited when omitted.")
    min_samples_leaf: int = Field(20, ge=1, le=1_000_000, description="Minimum number of training samples in a leaf.")
    l2_regularization: float = Field(0.0, ge=0, le=1e6, description="L2 penalty on leaf values.")
    early_stopping: bool = Field(False, description="Stop when a held-out 10% of the training data stops improving.")
    random_state: int = Field(0, ge=0, le=MAX_SEED, description=RANDOM_STATE_DESCRIPTION)
