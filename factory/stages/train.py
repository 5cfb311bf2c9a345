"""Train a use case's model: a scikit-learn Pipeline of its feature steps and model, saved with skops.

The stage also predicts the held-out rows, so evaluation never loads the model again: a large
forest takes seconds to load, and while the model is serialised (mostly compression, which
leaves Python's lock free) the predictions run beside it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.io import atomic_write_bytes, model_bytes, sha256_bytes, write_json
from factory.paths import UseCasePaths
from factory.spec import ComponentRef, UseCaseParams
from factory.stages import search
from factory.stages.predictions import predict, write_predictions
from factory.stages.runtime import compute_backend

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)


def run(params: UseCaseParams, paths: UseCasePaths) -> None:
    """Fit the pipeline on the training table, save it, and save its predictions for the test table."""
    import pandas as pd

    train = pd.read_parquet(paths.train_data, columns=[*params.features.columns, params.target])
    model_params = dict(params.model.params)
    with compute_backend(params.runtime, os.path.relpath(paths.params_yaml, paths.root)):
        if params.model.search is not None:
            result = search.run(params, train, lambda candidate: build_pipeline(params, {**model_params, **candidate}))
            write_json(paths.search, result.report(params.model.search))
            model_params.update(result.best_params)
            logger.info("%s: best of %d candidates: %s", params.name, len(result.results), result.best_params)
        pipeline = build_pipeline(params, model_params)
        pipeline.fit(train[params.features.columns], train[params.target])
    del train
    test = pd.read_parquet(paths.test_data, columns=[*params.features.columns, params.target])
    with ThreadPoolExecutor(max_workers=1) as pool:
        serialised = pool.submit(model_bytes, pipeline)
        predictions = predict(pipeline, test, params)
        data = serialised.result()
    # Both files are written once both are ready, so a failure leaves neither.
    write_predictions(paths.predictions, predictions)
    atomic_write_bytes(paths.model, data)
    logger.info("%s: model saved, sha256 %s", params.name, sha256_bytes(data))


def build_pipeline(params: UseCaseParams, model_params: dict[str, Any] | None = None) -> Pipeline:
    """The unfitted pipeline: a ColumnTransformer of the feature groups, then the model.

    `model_params` replaces the configured model params (a search candidate, or the winner).
    """
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
    chosen = params.model.params if model_params is None else model_params
    return Pipeline([("features", features), ("model", model(model.parse_params(chosen)))])


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
