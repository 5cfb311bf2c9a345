"""Validate tables against a declared schema with pandera, and summarise what failed."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from factory.errors import DataValidationError
from factory.spec import (
    TASK_CLASSES,
    ColumnSchema,
    DataProductSpec,
    RandomSplit,
    TableSchema,
    UseCaseParams,
    describe_classes,
)

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

EXAMPLES_PER_CHECK = 3
EXCERPT_CHARACTERS = 40
MASKED_CHARACTERS = 3
# Short identifiers (column names such as `region_code`) are shown whole when masked.
_SHORT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,19}")
# Numbers of up to six digits (a key, a count, a code) are shown whole; longer ones may identify someone.
_SMALL_NUMBER = re.compile(r"-?[0-9]{1,6}(\.[0-9]{1,6})?")


def build_schema(schema: TableSchema, coerce: bool = False) -> pa.DataFrameSchema:
    """Translate a declared schema into a pandera DataFrameSchema (coercing dtypes if asked)."""
    import pandera.pandas as pa

    columns = {name: _column(name, column) for name, column in schema.columns.items()}
    return pa.DataFrameSchema(columns, strict=schema.strict, unique=schema.unique or None, coerce=coerce)


def input_schema_for(params: UseCaseParams, products: Mapping[str, DataProductSpec]) -> TableSchema:
    """The schema a table must satisfy to be scored: the feature columns as their products declare them.

    Numeric features are checked as float64 (as the model sees them); other columns may be present.
    """
    declared: dict[str, ColumnSchema] = {}
    for item in params.data:
        declared.update(products[item.product].table_schema.columns)
    columns = {}
    for name in params.features.columns:
        column = declared[name].model_copy(update={"unique": False})
        if name in params.features.numeric:
            column = column.model_copy(update={"dtype": "float64"})
        columns[name] = column
    return TableSchema(columns=columns, strict=False)


def _column(name: str, column: ColumnSchema) -> pa.Column:
    import pandera.pandas as pa

    checks = []
    if column.min is not None:
        checks.append(pa.Check.ge(column.min))
    if column.max is not None:
        checks.append(pa.Check.le(column.max))
    if column.allowed is not None:
        checks.append(pa.Check.isin(column.allowed))
    dtype: Any = "datetime64[ns]" if column.dtype == "datetime64[ns]" else column.dtype
    return pa.Column(dtype, checks=checks, nullable=column.nullable, unique=column.unique, name=name)


def validate_frame(
    frame: pd.DataFrame, schema: TableSchema, what: str, coerce: bool = False, block_rows: int | None = None
) -> None:
    """Raise `DataValidationError` summarising every failure of `frame` against `schema`.

    With `block_rows`, the frame is validated in blocks of that many rows, so the copy pandera
    makes to coerce dtypes is one block at a time; only for schemas without uniqueness checks,
    which need every row at once.
    """
    import pandas as pd
    import pandera.pandas as pa

    built = build_schema(schema, coerce)
    blocks = [frame]
    if block_rows and not schema.unique and not any(column.unique for column in schema.columns.values()):
        blocks = [frame.iloc[start : start + block_rows] for start in range(0, len(frame), block_rows)]
    failures = []
    for block in blocks:
        try:
            built.validate(block, lazy=True)
        except pa.errors.SchemaErrors as exc:
            failures.append(exc.failure_cases)
    if failures:
        raise DataValidationError(summarise_failures(pd.concat(failures), what, len(frame), schema.columns))


def summarise_failures(failures: pd.DataFrame, what: str, rows: int, declared: Collection[str] = ()) -> str:
    """One line per (column, check): how many rows failed and a few failing values.

    Values of the declared columns are data the schema is about, shown cut to a short
    excerpt. Anything else (a column the schema does not declare, or its name) may be a
    file that was never meant as data, so it is masked to its first characters.
    """
    lines = [f"{what}: data does not match its declared schema ({rows} rows checked)"]
    grouped = failures.assign(
        column=failures["column"].fillna("(table)").astype(str), check=failures["check"].astype(str)
    )
    for (column, check), group in grouped.groupby(["column", "check"], sort=True):
        cases = group["failure_case"].tolist()
        if check == "column_in_dataframe":
            missing = ", ".join(excerpt(value) for value in dict.fromkeys(cases))
            lines.append(f"  - missing required column(s): {missing}")
            continue
        if check == "column_in_schema":
            extra = ", ".join(masked(value) for value in dict.fromkeys(cases))
            lines.append(f"  - column(s) the schema does not declare: {extra}")
            continue
        is_declared = column in declared or column == "(table)"
        show = excerpt if is_declared else masked
        examples = ", ".join(show(value) for value in cases[:EXAMPLES_PER_CHECK])
        shown = column if is_declared else masked(column)
        lines.append(f"  - column {shown}: check {check} failed for {len(group)} value(s); e.g. {examples}")
    return "\n".join(lines)


def excerpt(value: object) -> str:
    """`repr(value)`, cut to EXCERPT_CHARACTERS."""
    text = repr(value)
    return text if len(text) <= EXCERPT_CHARACTERS else text[: EXCERPT_CHARACTERS - 3] + "..."


def masked(value: object) -> str:
    """A short name or a small number shown whole; anything longer or unusual as its first characters and length."""
    text = str(value)
    if _SHORT_NAME.fullmatch(text) or _SMALL_NUMBER.fullmatch(text):
        return repr(text)
    return f"{text[:MASKED_CHARACTERS]!r}... ({len(text)} characters)"


# Classes named in a target error, at most; the rest are counted.
CLASSES_SHOWN = 10


def target_problem(target: pd.Series, params: UseCaseParams) -> str | None:
    """Why the target's values do not suit the task and its split, or None when they do.

    Run on the prepared table (after the joins, before the split). A class is named as
    `masked` shows it: short labels whole, anything longer as its first characters.
    """
    import pandas as pd

    if params.task == "regression":
        if pd.api.types.is_bool_dtype(target) or not pd.api.types.is_numeric_dtype(target):
            return f"expected a numeric column for regression; got dtype {target.dtype}"
        return None
    counts = target.value_counts(sort=True)
    shown = ", ".join(f"{masked(label)} ({count} rows)" for label, count in counts.head(CLASSES_SHOWN).items())
    more = f" and {len(counts) - CLASSES_SHOWN} more" if len(counts) > CLASSES_SHOWN else ""
    least, most = TASK_CLASSES[params.task]
    if not least <= len(counts) <= most:
        return f"expected {describe_classes(params.task)}; found {len(counts)}: {shown}{more}"
    needed = rows_per_class(params)
    if int(counts.min()) < needed:
        rare = ", ".join(f"{masked(label)} ({count})" for label, count in counts[counts < needed].items())
        return f"expected at least {needed} rows of each class for the split and the folds; got {rare}"
    return None


def rows_per_class(params: UseCaseParams) -> int:
    """The fewest rows of a class that a stratified split and the search's folds can work with."""
    split = params.split
    if not isinstance(split, RandomSplit):
        return 1  # time-ordered test rows and folds: nothing is stratified
    needed = 2 if split.stratify is not False else 1
    search = params.model.search
    if search is not None:
        # Each of the `cv` stratified folds needs one row of every class in the training share.
        needed = max(needed, math.ceil(search.cv / (1 - split.test_size)))
    return needed
