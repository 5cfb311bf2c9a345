"""Validate tables against a declared schema with pandera, and summarise what failed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from factory.errors import DataValidationError
from factory.spec import ColumnSchema, TableSchema

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

EXAMPLES_PER_CHECK = 3


def build_schema(schema: TableSchema) -> pa.DataFrameSchema:
    """Translate a declared schema into a pandera DataFrameSchema."""
    import pandera.pandas as pa

    columns = {name: _column(name, column) for name, column in schema.columns.items()}
    return pa.DataFrameSchema(columns, strict=schema.strict, unique=schema.unique or None)


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


def validate_frame(frame: pd.DataFrame, schema: TableSchema, what: str) -> None:
    """Raise `DataValidationError` summarising every failure of `frame` against `schema`."""
    import pandera.pandas as pa

    try:
        build_schema(schema).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise DataValidationError(summarise_failures(exc.failure_cases, what, len(frame))) from exc


def summarise_failures(failures: pd.DataFrame, what: str, rows: int) -> str:
    """One line per (column, check): how many rows failed and a few failing values."""
    lines = [f"{what}: data does not match its declared schema ({rows} rows checked)"]
    grouped = failures.assign(
        column=failures["column"].fillna("(table)").astype(str), check=failures["check"].astype(str)
    )
    for (column, check), group in grouped.groupby(["column", "check"], sort=True):
        examples = ", ".join(repr(value) for value in group["failure_case"].head(EXAMPLES_PER_CHECK).tolist())
        lines.append(f"  - column {column}: check {check} failed for {len(group)} value(s); e.g. {examples}")
    return "\n".join(lines)
