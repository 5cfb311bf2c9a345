"""Transform `drop_columns`: remove columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components._params import ColumnList
from components.transforms._columns import require_columns
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd


class DropColumnsParams(ComponentParams):
    """Parameters of `drop_columns`."""

    columns: ColumnList = Field(description="Columns to remove.")


@register(
    "transform",
    "drop_columns",
    DropColumnsParams,
    columns_out=lambda p, columns: {name: dtype for name, dtype in columns.items() if name not in p.columns},
)
def drop_columns(params: DropColumnsParams, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Remove the listed columns; every one must exist, so a typo does not pass silently."""
    require_columns(frame, params.columns)
    return frame.drop(columns=params.columns)
