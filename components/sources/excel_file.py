"""Source `excel_file`: one sheet of an Excel workbook (.xlsx) inside the project."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from components.sources._frames import with_nanosecond_dates
from components.sources._paths import DataPath
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd

# A workbook is a zip of XML files: refuse one that would unpack to more than this, or that is
# compressed suspiciously well (a "zip bomb"), before any XML is parsed.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200


class ExcelFileParams(ComponentParams):
    """Parameters of `excel_file`."""

    path: DataPath = Field(description="Workbook under data/, relative to the project root, e.g. data/raw/x.xlsx.")
    sheet: str | None = Field(
        None, min_length=1, max_length=31, description="Sheet by name; when omitted, the sheet at sheet_index."
    )
    sheet_index: int = Field(0, ge=0, le=1000, description="Sheet by position (0 is the first), when no name is given.")
    header_row: int = Field(1, ge=1, le=10_000, description="Row holding the column names, numbered as Excel does.")

    @field_validator("path")
    @classmethod
    def _a_workbook(cls, path: str) -> str:
        if not path.endswith(".xlsx"):
            raise ValueError(f"an .xlsx workbook (got {path!r}); save older .xls files as .xlsx")
        return path


@register("source", "excel_file", ExcelFileParams, reads_files=lambda p: [p.path])
def excel_file(params: ExcelFileParams, context: RunContext) -> pd.DataFrame:
    """Read one sheet of an .xlsx workbook from the project (with openpyxl).

    Rows above `header_row` are skipped. Numbers, dates and text keep the types Excel
    stored; formulas give the values Excel last computed. The workbook's unpacked size is
    checked before it is parsed, and its XML is read with entity expansion refused.
    """
    import pandas as pd

    path = context.data_file(params.path)
    check_unpacked_size(path)
    try:
        sheet = params.sheet if params.sheet is not None else params.sheet_index
        frame = pd.read_excel(path, sheet_name=sheet, header=params.header_row - 1, engine="openpyxl")
    except (ValueError, IndexError) as exc:  # pandas names a missing sheet in a ValueError or IndexError
        raise ValueError(f"{params.path}: {exc}") from None
    return with_nanosecond_dates(frame)


def check_unpacked_size(path: Path) -> None:
    """Refuse a workbook that is not a zip, or that would unpack beyond the limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise ValueError(f"{path.name}: not an .xlsx workbook (not a zip archive)") from None
    packed = max(path.stat().st_size, 1)
    if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_COMPRESSION_RATIO * packed:
        raise ValueError(
            f"{path.name}: unpacks to {unpacked:,} bytes from {packed:,}; expected at most "
            f"{MAX_UNPACKED_BYTES:,} bytes and {MAX_COMPRESSION_RATIO}x its size"
        )
