"""Transform `drop_nulls`: remove rows with missing values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components._params import ColumnList
from components.transforms._columns import require_columns
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd


class DropNullsParams(ComponentParams):
    """Parameters of `drop_nulls`."""

    columns: ColumnList | None = Field(
        None, description="Drop rows with a null in any of these columns; in any column when omitted."
    )


@register("transform", "drop_nulls", DropNullsParams)
def drop_nulls(params: DropNullsParams, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Remove rows that have a null in the listed columns (or in any column).

    The result gets a fresh 0..n-1 index, as after every transform that removes rows.
    """
    if params.columns is not None:
        require_columns(frame, params.columns)
    return frame.dropna(subset=params.columns).reset_index(drop=True)
