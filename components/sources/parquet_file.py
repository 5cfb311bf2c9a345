"""Source `parquet_file`: a Parquet file inside the project."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from components._params import ColumnList
from components.sources._paths import DataPath
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd


class ParquetFileParams(ComponentParams):
    """Parameters of `parquet_file`."""

    path: DataPath = Field(
        description="File under data/, relative to the project root (POSIX), e.g. data/raw/x.parquet."
    )
    columns: ColumnList | None = Field(None, description="Columns to read, in this order; all when omitted.")


@register("source", "parquet_file", ParquetFileParams, reads_files=lambda p: [p.path])
def parquet_file(params: ParquetFileParams, context: RunContext) -> pd.DataFrame:
    """Read a Parquet file from the project, optionally only some of its columns.

    Asking for a column the file does not have is an error that lists the file's columns.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    path = context.data_file(params.path)
    if params.columns is not None:
        available = pq.read_schema(path).names
        missing = [c for c in params.columns if c not in available]
        if missing:
            raise ValueError(f"{params.path} has no column(s) {missing}; it has {available}")
    return pd.read_parquet(path, columns=params.columns)
