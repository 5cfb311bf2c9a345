"""Train a use case's model: a scikit-learn Pipeline of its feature steps and model, saved with skops."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.io import save_model
from factory.paths import UseCasePaths
from factory.spec import ComponentRef, UseCaseParams

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)


def run(params: UseCaseParams, paths: UseCasePaths) -> None:
    """Fit the pipeline on the training table and save it."""
    import pandas as pd

    train = pd.read_parquet(paths.train_data)
    pipeline = build_pipeline(params)
    pipeline.fit(train[params.features.columns], train[params.target])
    digest = save_model(paths.model, pipeline)
    logger.info("%s: model saved, sha256 %s", params.name, digest)


def build_pipeline(params: UseCaseParams) -> Pipeline:
    """The unfitted pipeline: a ColumnTransformer of the feature groups, then the model."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    groups = []
    if params.features.numeric:
        groups.append(("numeric", _steps(params.features.numeric_steps, "feature"), params.features.numeric))
    if params.features.categorical:
        groups.append(
            ("categorical", _steps(params.features.categorical_steps, "feature"), params.features.categorical)
        )
    features = ColumnTransformer(groups, remainder="drop", verbose_feature_names_out=True)
    model = registry.get("model", params.model.component)
    return Pipeline([("features", features), ("model", model(model.parse_params(params.model.params)))])


def _steps(refs: Sequence[ComponentRef], kind: registry.Kind) -> Any:
    """A Pipeline of registered components, or 'passthrough' when there are none."""
    from sklearn.pipeline import Pipeline

    if not refs:
        return "passthrough"
    steps = []
    for index, ref in enumerate(refs):
        component = registry.get(kind, ref.component)
        steps.append((f"{index}_{ref.component}", component(component.parse_params(ref.params))))
    return Pipeline(steps)
