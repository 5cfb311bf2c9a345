"""Prepare a use case's table: join its data products, keep the columns it uses, split it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from factory import registry
from factory.artifacts.quality import errors, quality_findings, write_findings
from factory.datacheck import masked, target_problem
from factory.errors import DataValidationError
from factory.io import write_parquet
from factory.paths import UseCasePaths
from factory.registry import RunContext
from factory.spec import DataInput, RandomSplit, UseCaseParams

# The params.yaml keys this stage reads: DVC reruns it when one changes (factory.compile reads
# this tuple; tests/test_stage_params.py holds the stage to it).
PARAMS = (
    "data",
    "prepare",
    "products",
    "task",
    "target",
    "features.numeric",
    "features.categorical",
    "split",
    "evaluation.slices",
    "model.search",
    "quality",
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
    findings = quality_findings(train, test, params)
    if failed := errors(findings):
        raise DataValidationError(
            f"use_cases/{params.name}/config.yaml: data-quality test(s) failed (quality: sets them to error):\n"
            + "\n".join(f"  - {finding.line()}" for finding in failed)
        )
    for finding in findings:
        logger.warning("%s: %s", params.name, finding.line())
    write_parquet(paths.train_data, train)
    write_parquet(paths.test_data, test)
    write_findings(paths.quality, findings, params.quality)
    logger.info("%s: %d training rows, %d test rows", params.name, len(train), len(test))


def used_columns(params: UseCaseParams) -> list[str]:
    """Features, target, slice and split columns, each once, in a fixed order."""
    extra = [params.split.column] if not isinstance(params.split, RandomSplit) else []
    return list(dict.fromkeys([*params.features.columns, params.target, *params.evaluation.slices, *extra]))


def joined_table(params: UseCaseParams, paths: UseCasePaths) -> pd.DataFrame:
    """Read the use case's data products, join them on their keys, run its `prepare` steps."""
    import pandas as pd

    table: pd.DataFrame | None = None
    for index, item in enumerate(params.data):
        frame = pd.read_parquet(paths.root / params.products[item.product])
        if table is None:
            table = frame
            continue
        check_cardinality(table, frame, item, f"use_cases/{params.name}/config.yaml: data.{index}")
        # The right keys join under names of their own and are dropped after: the left keys stay,
        # and a right key named like another left column (`id`) cannot collide with it.
        renamed = {right: f"\0right key {index}" for index, right in enumerate(item.right_keys)}
        joined = table.merge(
            frame.rename(columns=renamed),
            left_on=item.left_keys,
            right_on=list(renamed.values()),
            how=item.how,
            sort=False,
        )
        table = joined.drop(columns=list(renamed.values()))
    assert table is not None
    context = RunContext(root=paths.root, product_paths={})
    for ref in params.prepare:
        transform = registry.get("transform", ref.component)
        table = transform(transform.parse_params(ref.params), table, context)
    table = table[used_columns(params)].reset_index(drop=True)
    numeric = params.features.numeric
    # Booleans and nullable integers become floats so every numeric feature step sees NaN for missing.
    table[numeric] = table[numeric].astype("float64")
    return table


def check_cardinality(left: pd.DataFrame, right: pd.DataFrame, item: DataInput, where: str) -> None:
    """Refuse a join whose keys repeat on a side the declared cardinality says holds one row per key."""
    sides = {"many_to_one": ("right",), "one_to_one": ("left", "right"), "one_to_many": ("left",)}
    for side in sides.get(item.cardinality, ()):
        frame, keys = (left, item.left_keys) if side == "left" else (right, item.right_keys)
        repeated = frame.duplicated(subset=keys, keep=False)
        if repeated.any():
            owner = f"product {item.product!r}" if side == "right" else "the products before it"
            example = frame.loc[repeated, keys].iloc[0]
            shown = ", ".join(f"{key}={masked(value)}" for key, value in example.items())
            count = int((frame[keys] == example.to_numpy()).all(axis=1).sum())
            raise DataValidationError(
                f"{where}: expected one row per key {', '.join(keys)} in {owner} ({item.cardinality}); "
                f"got {int(repeated.sum())} rows with a repeated key, e.g. {shown} ({count} rows); "
                "declare the cardinality or make the key unique"
            )


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
