"""Prepare a use case's table: join its data products, keep the columns it uses, split it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from factory.datacheck import target_problem
from factory.errors import DataValidationError
from factory.io import write_parquet
from factory.paths import UseCasePaths
from factory.spec import RandomSplit, UseCaseParams

# The params.yaml keys this stage reads: DVC reruns it when one changes (factory.compile reads
# this tuple; tests/test_stage_params.py holds the stage to it).
PARAMS = (
    "data",
    "products",
    "task",
    "target",
    "features.numeric",
    "features.categorical",
    "split",
    "evaluation.slices",
    "model.search",
)
UNTRACKED = ("name",)  # read, yet no reason to rerun: the use case's name is its folder

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)


def run(params: UseCaseParams, paths: UseCasePaths) -> None:
    """Write the train and test tables of the use case."""
    table = joined_table(params, paths)
    table = table.dropna(subset=[params.target])
    if table.empty:
        raise DataValidationError(f"use case {params.name!r}: no rows with a value for the target {params.target!r}")
    if problem := target_problem(table[params.target], params):
        raise DataValidationError(
            f"use_cases/{params.name}/config.yaml: target {params.target!r} for {params.task}: {problem}"
        )
    train, test = split_table(table, params)
    write_parquet(paths.train_data, train)
    write_parquet(paths.test_data, test)
    logger.info("%s: %d training rows, %d test rows", params.name, len(train), len(test))


def used_columns(params: UseCaseParams) -> list[str]:
    """Features, target, slice and split columns, each once, in a fixed order."""
    extra = [params.split.column] if not isinstance(params.split, RandomSplit) else []
    return list(dict.fromkeys([*params.features.columns, params.target, *params.evaluation.slices, *extra]))


def joined_table(params: UseCaseParams, paths: UseCasePaths) -> pd.DataFrame:
    """Read the use case's data products and join them on their declared keys."""
    import pandas as pd

    table: pd.DataFrame | None = None
    for item in params.data:
        frame = pd.read_parquet(paths.root / params.products[item.product])
        table = frame if table is None else table.merge(frame, on=item.join_keys, how=item.how, sort=False)
    assert table is not None
    table = table[used_columns(params)].reset_index(drop=True)
    numeric = params.features.numeric
    # Booleans and nullable integers become floats so every numeric feature step sees NaN for missing.
    table[numeric] = table[numeric].astype("float64")
    return table


def split_table(table: pd.DataFrame, params: UseCaseParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded random split (stratified for classification) or a time-ordered one."""
    split = params.split
    if isinstance(split, RandomSplit):
        from sklearn.model_selection import train_test_split

        classifier = params.task != "regression"
        stratified = classifier if split.stratify is None else split.stratify and classifier
        stratify = table[params.target] if stratified else None
        train, test = train_test_split(table, test_size=split.test_size, random_state=split.seed, stratify=stratify)
        return train.sort_index(), test.sort_index()
    ordered = table.sort_values(split.column, kind="mergesort")
    cut = len(ordered) - max(1, round(len(ordered) * split.test_size))
    return ordered.iloc[:cut], ordered.iloc[cut:]
