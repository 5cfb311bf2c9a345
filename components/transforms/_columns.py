"""Column checks shared by the transforms, so every one words a missing column the same way."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def require_columns(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Raise ValueError naming the columns of `columns` that `frame` lacks, and those it has."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"no column(s) {_names(missing)} in the frame; it has {_names(frame.columns)}")


def _names(columns: Iterable[object], limit: int = 20) -> str:
    names = [repr(str(column)) for column in columns]
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")
