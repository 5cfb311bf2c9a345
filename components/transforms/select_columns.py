"""Transform `select_columns`: keep some columns, in a given order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components._params import ColumnList
from components.transforms._columns import require_columns
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd


class SelectColumnsParams(ComponentParams):
    """Parameters of `select_columns`."""

    columns: ColumnList = Field(description="Columns to keep, in the order they should appear.")


@register(
    "transform",
    "select_columns",
    SelectColumnsParams,
    columns_out=lambda p, columns: {name: columns[name] for name in p.columns if name in columns},
)
def select_columns(params: SelectColumnsParams, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Keep only the listed columns, in the listed order; every one must exist."""
    require_columns(frame, params.columns)
    return frame[params.columns].copy()
