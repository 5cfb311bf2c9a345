"""Transform `derive_column`: compute a new column from others with a fixed set of operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from components.transforms._columns import require_columns
from components.transforms._values import examples
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd

Operand = str | float | int
DeriveOp = Literal[
    "add", "subtract", "multiply", "divide", "log1p", "abs", "days_between", "year", "month", "day_of_week"
]

# How many inputs each op takes (minimum, maximum); None means no upper limit.
_ARITY: dict[str, tuple[int, int | None]] = {
    "add": (2, None),
    "multiply": (2, None),
    "subtract": (2, 2),
    "divide": (2, 2),
    "days_between": (2, 2),
    "log1p": (1, 1),
    "abs": (1, 1),
    "year": (1, 1),
    "month": (1, 1),
    "day_of_week": (1, 1),
}
_DATE_OPS = ("days_between", "year", "month", "day_of_week")


class DeriveColumnParams(ComponentParams):
    """Parameters of `derive_column`."""

    column: str = Field(min_length=1, description="Name of the column to create.")
    op: DeriveOp = Field(
        description="add, subtract, multiply, divide, log1p, abs, days_between, year, month or day_of_week."
    )
    inputs: list[Operand] = Field(
        min_length=1, description="Operands in order: column names (text) or numeric constants."
    )
    overwrite: bool = Field(False, description="Allow replacing an existing column of the same name.")

    @model_validator(mode="after")
    def _inputs_fit_op(self) -> DeriveColumnParams:
        low, high = _ARITY[self.op]
        count = len(self.inputs)
        if count < low or (high is not None and count > high):
            wanted = f"exactly {low}" if low == high else f"at least {low}"
            raise ValueError(f"{wanted} input(s) for op {self.op!r} (got {count})")
        if not any(isinstance(operand, str) for operand in self.inputs):
            raise ValueError("at least one column name among the inputs (got constants only)")
        if (self.op in _DATE_OPS or count == 1) and not all(isinstance(o, str) for o in self.inputs):
            raise ValueError(f"column names only for op {self.op!r} (got a constant)")
        if self.op == "divide" and self.inputs[1] == 0 and not isinstance(self.inputs[1], str):
            raise ValueError("a divisor other than the constant 0 (got 0)")
        return self


def _derived_columns(params: DeriveColumnParams, columns: dict[str, str]) -> dict[str, str]:
    """The input's columns and the derived one: calendar parts are integers, every other op a float."""
    return {**columns, params.column: "int64" if params.op in ("year", "month", "day_of_week") else "float64"}


@register("transform", "derive_column", DeriveColumnParams, columns_out=_derived_columns)
def derive_column(params: DeriveColumnParams, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Add a column computed from columns and constants by one of a fixed set of operations.

    Arithmetic (add, subtract, multiply, divide, log1p, abs) needs numeric columns;
    dividing by zero gives NaN, not infinity. `days_between(a, b)` is b - a in days
    (float) and year, month and day_of_week (Monday = 0) read a datetime64 column; cast
    text dates first. The op table is fixed: nothing is evaluated as code.
    """
    columns = [operand for operand in params.inputs if isinstance(operand, str)]
    require_columns(frame, columns)
    if params.column in frame.columns and not params.overwrite:
        raise ValueError(f"column {params.column!r} already exists; set overwrite: true to replace it")
    needs = _is_datetime if params.op in _DATE_OPS else _is_numeric
    for column in columns:
        needs(frame[column], column)
    operands = [frame[o] if isinstance(o, str) else o for o in params.inputs]
    return frame.assign(**{params.column: _OPS[params.op](operands, params.inputs)})


def _is_numeric(series: pd.Series, column: str) -> None:
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(series):
        raise TypeError(f"column {column!r} has dtype {series.dtype}; parse or cast it to a number first")


def _is_datetime(series: pd.Series, column: str) -> None:
    import pandas as pd

    if not pd.api.types.is_datetime64_any_dtype(series):
        raise TypeError(f"column {column!r} has dtype {series.dtype}; cast it to datetime64[ns] first")


def _add(operands: list, inputs: list[Operand]) -> pd.Series:
    total = operands[0]
    for operand in operands[1:]:
        total = total + operand
    return total.astype("float64")


def _multiply(operands: list, inputs: list[Operand]) -> pd.Series:
    product = operands[0]
    for operand in operands[1:]:
        product = product * operand
    return product.astype("float64")


def _subtract(operands: list, inputs: list[Operand]) -> pd.Series:
    return (operands[0] - operands[1]).astype("float64")


def _divide(operands: list, inputs: list[Operand]) -> pd.Series:
    import numpy as np

    numerator, denominator = operands
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (numerator / denominator).astype("float64")
    # A constant denominator is never 0 (the params forbid it); a column's zeros give NaN.
    return ratio if isinstance(denominator, int | float) else ratio.where(denominator != 0)


def _log1p(operands: list, inputs: list[Operand]) -> pd.Series:
    import numpy as np

    (values,) = operands
    below = values <= -1
    if below.any():
        raise ValueError(f"column {inputs[0]!r} has values <= -1, where log1p is undefined: {examples(values[below])}")
    return np.log1p(values.astype("float64"))


def _abs(operands: list, inputs: list[Operand]) -> pd.Series:
    return operands[0].abs()


def _days_between(operands: list, inputs: list[Operand]) -> pd.Series:
    start, end = operands
    return (end - start).dt.total_seconds() / 86400.0


def _date_part(part: str) -> Callable[[list, list[Operand]], pd.Series]:
    def extract(operands: list, inputs: list[Operand]) -> pd.Series:
        values = getattr(operands[0].dt, part)
        # int64 when every date is present; float64 keeps the missing ones as NaN.
        return values.astype("float64" if values.isna().any() else "int64")

    return extract


_OPS: dict[str, Callable[[list, list[Operand]], pd.Series]] = {
    "add": _add,
    "subtract": _subtract,
    "multiply": _multiply,
    "divide": _divide,
    "log1p": _log1p,
    "abs": _abs,
    "days_between": _days_between,
    "year": _date_part("year"),
    "month": _date_part("month"),
    "day_of_week": _date_part("day_of_week"),
}
