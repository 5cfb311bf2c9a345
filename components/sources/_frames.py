"""What every source hands on: dates in nanoseconds, the unit data products declare."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def with_nanosecond_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its datetime columns as datetime64[ns] (Excel and databases give other units)."""
    import pandas as pd

    dates = [name for name in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[name])]
    return frame.astype(dict.fromkeys(dates, "datetime64[ns]")) if dates else frame
