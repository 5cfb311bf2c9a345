"""Hyperparameter search: score each candidate of the model's params by cross-validation, keep the best.

Candidates are built from registered components like any other model, so a search works for
every model component without knowing scikit-learn's nested parameter names. The fits go
through joblib, so the runtime (local cores or a Dask cluster) decides where they run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.artifacts.metrics import DIGITS, metric_value
from factory.artifacts.predictions import predict
from factory.errors import ComponentError, ConfigError
from factory.spec import Search, SearchRange, TimeSplit, UseCaseParams

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

PipelineFactory = Callable[[dict[str, Any]], "Pipeline"]


@dataclass(frozen=True)
class SearchResult:
    """Every candidate's cross-validated score and the winner."""

    best_params: dict[str, Any]
    best_score: float
    results: list[dict[str, Any]]

    def report(self, search: Search) -> dict[str, Any]:
        """The content of search.json, read by the model card."""
        return {
            "method": search.method,
            "cv": search.cv,
            "scoring": search.metric,
            "seed": search.seed,
            "best_params": self.best_params,
            "best_score": self.best_score,
            "candidates": len(self.results),
            "results": self.results,
        }


def candidates(search: Search) -> list[dict[str, Any]]:
    """The param sets to try, in a fixed order: the full grid, or `n_iter` seeded samples."""
    from sklearn.model_selection import ParameterGrid, ParameterSampler

    if search.method == "grid":
        return [dict(sorted(c.items())) for c in ParameterGrid({k: list(v) for k, v in search.space.items()})]
    space = {name: _distribution(values) for name, values in sorted(search.space.items())}
    sampled = ParameterSampler(space, n_iter=search.n_iter, random_state=search.seed)
    return [{name: _plain(value) for name, value in sorted(c.items())} for c in sampled]


def run(params: UseCaseParams, train: pd.DataFrame, make_pipeline: PipelineFactory) -> SearchResult:
    """Cross-validate every candidate on `train`; the best mean score wins (ties: the first)."""
    from joblib import Parallel, delayed

    search = params.model.search
    assert search is not None and search.metric is not None
    tried = candidates(search)
    try:
        folds = list(_folds(params, search).split(train, train[params.target]))
    except ValueError as exc:  # more folds than rows, or than members of every class
        raise ConfigError.single(
            f"use_cases/{params.name}/params.yaml",
            "model.search.cv",
            f"at most as many folds as the {len(train)} training rows (and their classes) allow",
            f"{search.cv}: {exc}",
        ) from exc
    jobs = (
        delayed(_fit_and_score)(make_pipeline(candidate), train, fit_rows, score_rows, params, search.metric)
        for candidate in tried
        for fit_rows, score_rows in folds
    )
    scores = Parallel(n_jobs=params.runtime.n_jobs)(jobs)
    import numpy as np

    table = np.asarray(scores, dtype=float).reshape(len(tried), len(folds))
    means, stds = table.mean(axis=1), table.std(axis=1)
    sign = 1.0 if registry.get("metric", search.metric).greater_is_better else -1.0
    best = int(np.argmax(sign * means))
    results = [
        {"params": candidate, "mean": round(float(mean), DIGITS), "std": round(float(std), DIGITS)}
        for candidate, mean, std in zip(tried, means, stds, strict=True)
    ]
    return SearchResult(tried[best], round(float(means[best]), DIGITS), results)


def _fit_and_score(
    pipeline: Pipeline, train: pd.DataFrame, fit_rows: Any, score_rows: Any, params: UseCaseParams, metric: str
) -> float:
    columns = params.features.columns
    fit, held_out = train.iloc[fit_rows], train.iloc[score_rows]
    pipeline.fit(fit[columns], fit[params.target])
    value = metric_value(metric, predict(pipeline, held_out, params))
    if value is None:
        raise ComponentError(f"model.search: metric {metric} is undefined on a validation fold; use fewer folds")
    return value


def _folds(params: UseCaseParams, search: Search) -> Any:
    """Time-ordered folds for a time split (no peeking at the future), else shuffled (stratified) folds."""
    from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit

    if isinstance(params.split, TimeSplit):
        return TimeSeriesSplit(n_splits=search.cv)
    if params.task == "regression":
        return KFold(n_splits=search.cv, shuffle=True, random_state=search.seed)
    return StratifiedKFold(n_splits=search.cv, shuffle=True, random_state=search.seed)


def _distribution(values: list[Any] | SearchRange) -> Any:
    from scipy import stats

    if isinstance(values, list):
        return values
    if values.distribution == "uniform":
        return stats.uniform(loc=values.low, scale=values.high - values.low)
    if values.distribution == "loguniform":
        return stats.loguniform(values.low, values.high)
    return stats.randint(int(values.low), int(values.high) + 1)  # both ends included


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers, so params validate and JSON is stable."""
    return value.item() if hasattr(value, "item") else value
