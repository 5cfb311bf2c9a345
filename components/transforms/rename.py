"""Transform `rename`: rename columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from components._params import reject_repeats
from components.transforms._columns import require_columns
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd


class RenameParams(ComponentParams):
    """Parameters of `rename`."""

    columns: dict[str, str] = Field(min_length=1, description="Old column name -> new column name.")

    @field_validator("columns")
    @classmethod
    def _distinct_targets(cls, columns: dict[str, str]) -> dict[str, str]:
        reject_repeats(list(columns.values()))
        return columns


@register(
    "transform",
    "rename",
    RenameParams,
    columns_out=lambda p, columns: {p.columns.get(name, name): dtype for name, dtype in columns.items()},
)
def rename(params: RenameParams, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Rename columns (old name -> new name); every old name must exist.

    Renaming onto the name of a column that is kept is an error rather than a silent
    duplicate.
    """
    require_columns(frame, params.columns)
    kept = [column for column in frame.columns if column not in params.columns]
    clashes = sorted(set(kept) & set(params.columns.values()))
    if clashes:
        raise ValueError(f"renaming would duplicate column(s) {clashes}; drop or rename them first")
    return frame.rename(columns=params.columns)
