"""Source `csv_file`: a delimited text file inside the project."""

from __future__ import annotations

import codecs
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from components.sources._paths import DataPath
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd


class CsvFileParams(ComponentParams):
    """Parameters of `csv_file`."""

    path: DataPath = Field(description="File under data/, relative to the project root (POSIX), e.g. data/raw/x.csv.")
    delimiter: str = Field(",", min_length=1, max_length=1, description="Field separator, one character.")
    encoding: str = Field("utf-8", description="Text encoding of the file, e.g. 'utf-8' or 'latin-1'.")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, encoding: str) -> str:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"a known text encoding such as 'utf-8' or 'latin-1' (got {encoding!r})") from None
        return encoding


@register("source", "csv_file", CsvFileParams, reads_files=lambda p: [p.path])
def csv_file(params: CsvFileParams, context: RunContext) -> pd.DataFrame:
    """Read a CSV (or other single-character delimited) file from the project.

    Column types are inferred by pandas; text columns arrive as pandas' `str` dtype, so
    follow with `cast` or the `parse_*` transforms to pin them down.
    """
    import pandas as pd

    return pd.read_csv(context.data_file(params.path), sep=params.delimiter, encoding=params.encoding)
