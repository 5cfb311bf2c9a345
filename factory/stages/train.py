"""Train a use case's model: a scikit-learn Pipeline of its feature steps and model, saved with skops.

The stage also predicts the held-out rows, so evaluation never loads the model again: a large
forest takes seconds to load, and while the model is serialised (mostly compression, which
leaves Python's lock free) the predictions run beside it, and so do the model tests of the
quality policy on those rows (numerical stability, then each feature's permutation importance).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.allocator import freed_buffers_returned
from factory.artifacts import importance, stability
from factory.artifacts.predictions import Predictions, predict, write_predictions
from factory.artifacts.quality import Finding, errors
from factory.errors import BuildError
from factory.io import atomic_write_bytes, model_bytes, read_parquet, sha256_bytes, write_json
from factory.paths import UseCasePaths
from factory.spec import ComponentRef, UseCaseParams
from factory.stages import search
from factory.stages.runtime import compute_backend

# The params.yaml keys this stage reads: DVC reruns it when one changes (factory.compile reads
# this tuple; tests/test_stage_params.py holds the stage to it).
# split: a search cuts its folds by the split's kind, and its seed seeds the feature importance's shuffles
PARAMS = ("task", "target", "features", "model", "split", "evaluation.primary_metric", "quality")
# Read, yet no reason to rerun: the name is the use case's folder, and where training runs
# never changes the model (moving a use case to a cluster rebuilds nothing).
UNTRACKED = ("name", "runtime")

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd
    from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)


def run(params: UseCaseParams, paths: UseCasePaths) -> None:
    """Fit the pipeline on the training table, save it, and save its predictions for the test table."""
    model_params = dict(params.model.params)
    with compute_backend(params.runtime, os.path.relpath(paths.params_yaml, paths.root)):
        if params.model.search is not None:
            train = _read_table(paths.train_data, params)
            result = search.run(params, train, lambda candidate: build_pipeline(params, {**model_params, **candidate}))
            del train
            write_json(paths.search, result.report(params.model.search))
            model_params.update(result.best_params)
            logger.info("%s: best of %d candidates: %s", params.name, len(result.results), result.best_params)
        pipeline = fit_pipeline(build_pipeline(params, model_params), paths.train_data, params)
    test = _read_table(paths.test_data, params)
    with ThreadPoolExecutor(max_workers=1) as pool:
        serialised = pool.submit(model_bytes, pipeline)
        predictions = predict(pipeline, test, params)
        checks, importance_record = model_tests(pipeline, test, predictions, params)
        data = serialised.result()
    # The files are written once all are ready, so a failure (or a model test set to error) leaves none.
    write_predictions(paths.predictions, predictions)
    atomic_write_bytes(paths.model, data)
    write_json(paths.model_checks, checks)
    write_json(paths.importance, importance_record)
    logger.info("%s: model saved, sha256 %s", params.name, sha256_bytes(data))


def model_tests(
    model: Pipeline, test: pd.DataFrame, predictions: Predictions, params: UseCaseParams
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The records of model_checks.json and importance.json, as the quality policy asks for them.

    Raises `BuildError` naming what was found when a test the policy sets to `error` finds it.
    """
    policy = params.quality
    if policy is None:
        return stability.stability_record(0, [], "off"), importance.not_computed("off", "no quality policy")
    problems = stability.stability_problems(predictions.y_pred, predictions.y_proba)
    unstable = stability.stability_findings(problems, policy.numerical_stability)
    _raise_for_errors(params, unstable)
    checks = stability.stability_record(len(predictions.y_pred), unstable, policy.numerical_stability)
    warnings = list(unstable)
    action = policy.uninformative_feature
    if action == "off":
        record = importance.not_computed(action, "quality.uninformative_feature is off")
    elif problems:
        record = importance.not_computed(action, "the predictions are not numerically stable")
    elif (measured := importance.permutation_importance(model, test, params, policy.importance_repeats)) is None:
        record = importance.not_computed(action, f"{params.evaluation.primary_metric} is undefined on the test rows")
    else:
        uninformative = measured.findings(action)
        _raise_for_errors(params, uninformative)
        warnings += uninformative
        record = measured.record(action)
    for finding in warnings:
        logger.warning("%s: %s", params.name, finding.line())
    return checks, record


def _raise_for_errors(params: UseCaseParams, findings: list[Finding]) -> None:
    """Raise `BuildError` listing the findings the policy makes errors, if any."""
    if failed := errors(findings):
        raise BuildError(
            f"use_cases/{params.name}/config.yaml: model test(s) failed on the test rows "
            "(quality: sets them to error):\n" + "\n".join(f"  - {finding.line()}" for finding in failed)
        )


def fit_pipeline(pipeline: Pipeline, table: Path, params: UseCaseParams) -> Pipeline:
    """Fit `pipeline` (features, then the model, as `build_pipeline` makes it) on the Parquet `table`.

    The result is what `Pipeline.fit` gives, byte for byte, holding less memory at once.

    The feature steps are fitted and applied first; the table is let go before the model is
    fitted on their output, so the model's own copies do not stack on top of the table. While
    the table is in memory, freed buffers go straight back to the system (`factory.allocator`).
    """
    features, model = pipeline.steps[0][1], pipeline.steps[-1][1]
    with freed_buffers_returned():
        train = _read_table(table, params)
        target = train.pop(params.target).to_numpy()
        transformed = features.fit_transform(train, target)
        del train
    model.fit(transformed, target)
    return pipeline


def _read_table(path: Path, params: UseCaseParams) -> pd.DataFrame:
    """The feature and target columns of a prepared table, categorical features as categoricals."""
    return read_parquet(path, [*params.features.columns, params.target], categorical=params.features.categorical)


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
