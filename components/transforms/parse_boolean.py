"""Transform `parse_boolean`: turn yes/no style text into booleans."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from components._params import ColumnList
from components.transforms._columns import require_columns
from components.transforms._values import reject_unparsed, stripped_text
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd


class ParseBooleanParams(ComponentParams):
    """Parameters of `parse_boolean`."""

    columns: ColumnList = Field(description="Columns to parse.")
    true_values: list[str] = Field(
        ["t", "true", "yes", "y", "1"], min_length=1, description="Texts meaning true (case-insensitive)."
    )
    false_values: list[str] = Field(
        ["f", "false", "no", "n", "0"], min_length=1, description="Texts meaning false (case-insensitive)."
    )

    @model_validator(mode="after")
    def _disjoint(self) -> ParseBooleanParams:
        both = sorted(set(map(str.lower, self.true_values)) & set(map(str.lower, self.false_values)))
        if both:
            raise ValueError(f"each value meaning true or false, not both (got {both} in both)")
        return self


@register(
    "transform",
    "parse_boolean",
    ParseBooleanParams,
    columns_out=lambda p, columns: {**columns, **dict.fromkeys(p.columns, "bool")},
)
def parse_boolean(params: ParseBooleanParams, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Parse text such as "t"/"f" or "yes"/"no" into booleans, ignoring case and spaces.

    Nulls stay null: a column without nulls becomes `bool`, one with nulls pandas'
    nullable `boolean`. Any other text is an error naming the column and examples.
    """
    require_columns(frame, params.columns)
    meaning = {value.strip().lower(): True for value in params.true_values}
    meaning |= {value.strip().lower(): False for value in params.false_values}
    parsed = {}
    for column in params.columns:
        series = frame[column]
        flags = stripped_text(series).str.lower().map(meaning)
        reject_unparsed(column, series, flags, f"one of {sorted(meaning)}")
        parsed[column] = flags.astype("boolean" if flags.isna().any() else "bool")
    return frame.assign(**parsed)
