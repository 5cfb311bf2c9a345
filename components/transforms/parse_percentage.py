"""Transform `parse_percentage`: turn "12.5%" style text into numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components._params import ColumnList
from components.transforms._columns import require_columns
from components.transforms._values import parsed_once_per_value, reject_unparsed, stripped_text
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd

# A plain decimal number with an optional percent sign after it (spaces were stripped).
_PERCENTAGE = r"^([-+]?(?:\d+(?:\.\d*)?|\.\d+))\s*%?$"


class ParsePercentageParams(ComponentParams):
    """Parameters of `parse_percentage`."""

    columns: ColumnList = Field(description="Columns to parse.")
    as_fraction: bool = Field(True, description="Return 0.9 for '90%' (true) or 90.0 (false).")


@register(
    "transform",
    "parse_percentage",
    ParsePercentageParams,
    columns_out=lambda p, columns: {**columns, **dict.fromkeys(p.columns, "float64")},
)
def parse_percentage(params: ParsePercentageParams, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Parse percentages such as "90%", "90 %", "12.5%" or "90" into float64.

    With `as_fraction` (the default) "90%" becomes 0.9, otherwise 90.0. Nulls stay NaN;
    any other text is an error naming the column and examples.
    """
    require_columns(frame, params.columns)
    scale = 100.0 if params.as_fraction else 1.0
    parsed = {}
    for column in params.columns:
        series = frame[column]
        values = parsed_once_per_value(series, _percentages) / scale
        reject_unparsed(column, series, values, "percentages")
        parsed[column] = values
    return frame.assign(**parsed)


def _percentages(series: pd.Series) -> pd.Series:
    """The numbers of a text series of percentages as float64; NaN where a value is not one."""
    import pandas as pd

    number = stripped_text(series).str.extract(_PERCENTAGE, expand=False)
    return pd.to_numeric(number, errors="coerce").astype("float64")
