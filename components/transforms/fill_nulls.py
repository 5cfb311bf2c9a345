"""Transform `fill_nulls`: replace missing values by constants or column statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from components.transforms._columns import require_columns
from components.transforms._values import scalar_for
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd

FillValue = str | int | float | bool


class FillNullsParams(ComponentParams):
    """Parameters of `fill_nulls`."""

    values: dict[str, FillValue] = Field({}, description="Column -> constant that replaces its nulls.")
    strategies: dict[str, Literal["mean", "median", "mode"]] = Field(
        {},
        description="Column -> statistic of its present values that fills its nulls: mean, median or mode.",
    )

    @model_validator(mode="after")
    def _one_rule_per_column(self) -> FillNullsParams:
        if not self.values and not self.strategies:
            raise ValueError("at least one column in values or strategies (got neither)")
        both = sorted(set(self.values) & set(self.strategies))
        if both:
            raise ValueError(f"a value or a strategy per column, not both (got both for {both})")
        return self


@register("transform", "fill_nulls", FillNullsParams)
def fill_nulls(params: FillNullsParams, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Fill nulls per column with a constant or the column's mean, median or mode.

    The statistics come from the frame being transformed (for model inputs, prefer the
    `simple_imputer` feature, which learns them on training data only). A constant must
    suit the column's type: a number for a numeric column, text for a text column; the
    mode of ties is the smallest value.
    """
    require_columns(frame, [*params.values, *params.strategies])
    fills = {column: scalar_for(frame[column], column, value) for column, value in params.values.items()}
    fills |= {column: _statistic(frame[column], column, how) for column, how in params.strategies.items()}
    return frame.assign(**{column: frame[column].fillna(value) for column, value in fills.items()})


def _statistic(series: pd.Series, column: str, how: str) -> object:
    import pandas as pd

    present = series.dropna()
    if present.empty:
        raise ValueError(f"column {column!r} has no values to take the {how} of")
    if how == "mode":
        return present.mode().iloc[0]
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise TypeError(f"column {column!r} has dtype {series.dtype}; the {how} needs numbers (use mode)")
    return float(present.mean() if how == "mean" else present.median())
