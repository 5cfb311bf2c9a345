"""Validate tables against a declared schema with pandera, and summarise what failed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from factory.errors import DataValidationError
from factory.spec import ColumnSchema, DataProductSpec, TableSchema, UseCaseParams

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

EXAMPLES_PER_CHECK = 3


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
        raise DataValidationError(summarise_failures(pd.concat(failures), what, len(frame)))


def summarise_failures(failures: pd.DataFrame, what: str, rows: int) -> str:
    """One line per (column, check): how many rows failed and a few failing values."""
    lines = [f"{what}: data does not match its declared schema ({rows} rows checked)"]
    grouped = failures.assign(
        column=failures["column"].fillna("(table)").astype(str), check=failures["check"].astype(str)
    )
    for (column, check), group in grouped.groupby(["column", "check"], sort=True):
        if check == "column_in_dataframe":
            missing = ", ".join(repr(value) for value in dict.fromkeys(group["failure_case"].tolist()))
            lines.append(f"  - missing required column(s): {missing}")
            continue
        examples = ", ".join(repr(value) for value in group["failure_case"].head(EXAMPLES_PER_CHECK).tolist())
        lines.append(f"  - column {column}: check {check} failed for {len(group)} value(s); e.g. {examples}")
    return "\n".join(lines)
