"""Transform `parse_currency`: turn "$1,325.00" style text into numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components._params import ColumnList
from components.transforms._columns import require_columns
from components.transforms._values import parsed_once_per_value, reject_unparsed, stripped_text
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd

# After symbols and spaces are removed: a sign, then digits with well-placed thousands
# separators (so "1,32" is rejected rather than misread), then optional decimals.
_AMOUNT = r"^(?P<sign>[-+]?)(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)$"


class ParseCurrencyParams(ComponentParams):
    """Parameters of `parse_currency`."""

    columns: ColumnList = Field(description="Columns to parse.")


@register(
    "transform",
    "parse_currency",
    ParseCurrencyParams,
    columns_out=lambda p, columns: {**columns, **dict.fromkeys(p.columns, "float64")},
)
def parse_currency(params: ParseCurrencyParams, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Parse money amounts such as "$1,325.00", "€12.5" or "(12.50)" into float64.

    Currency symbols ($ € £), spaces and thousands separators are dropped; a leading
    minus or accounting parentheses make the amount negative. Nulls stay NaN; any other
    text is an error naming the column and examples.
    """
    require_columns(frame, params.columns)
    parsed = {}
    for column in params.columns:
        series = frame[column]
        values = parsed_once_per_value(series, _amounts)
        reject_unparsed(column, series, values, "money amounts")
        parsed[column] = values
    return frame.assign(**parsed)


def _amounts(series: pd.Series) -> pd.Series:
    """Money amounts of a text series as float64; NaN where a value is not one."""
    import pandas as pd

    text = stripped_text(series)
    in_parentheses = text.str.startswith("(") & text.str.endswith(")")
    text = text.where(~in_parentheses, text.str[1:-1])
    parts = text.str.replace(r"[$€£\s]", "", regex=True).str.extract(_AMOUNT)
    magnitude = pd.to_numeric(parts["number"].str.replace(",", ""), errors="coerce").astype("float64")
    negative = (parts["sign"] == "-") | in_parentheses
    return magnitude.where(~negative, -magnitude)
