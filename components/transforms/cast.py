"""Transform `cast`: change column types, refusing values that do not fit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from components.transforms._columns import require_columns
from components.transforms._values import examples, reject_unparsed, stripped_text
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd

CastTarget = Literal["int64", "float64", "string", "bool", "datetime64[ns]"]


class CastParams(ComponentParams):
    """Parameters of `cast`."""

    columns: dict[str, CastTarget] = Field(
        min_length=1, description="Column -> target type: int64, float64, string, bool or datetime64[ns]."
    )
    datetime_format: str | None = Field(
        None,
        min_length=1,
        description=(
            "strptime format of text cast to datetime64[ns], e.g. '%d/%m/%Y', or 'ISO8601'; "
            "inferred from the first value when omitted."
        ),
    )

    @model_validator(mode="after")
    def _format_needs_a_datetime(self) -> CastParams:
        if self.datetime_format is not None and "datetime64[ns]" not in self.columns.values():
            raise ValueError("datetime_format only beside a column cast to datetime64[ns] (got no such column)")
        return self


@register("transform", "cast", CastParams, columns_out=lambda p, columns: {**columns, **p.columns})
def cast(params: CastParams, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Cast columns to int64, float64, string, bool or datetime64[ns], checking every value.

    Text is parsed (surrounding spaces ignored); a value that does not fit the target
    (e.g. "abc" to float64, 1.5 to int64, a null to int64 or bool) is an error naming the
    column and a few offending values. "string" gives pandas' default `str` dtype, whose
    missing value is NaN, the dtype sources produce and scikit-learn's imputers accept.
    """
    require_columns(frame, params.columns)
    casts = {
        column: _CASTERS[target](frame[column], column, params.datetime_format)
        for column, target in params.columns.items()
    }
    return frame.assign(**casts)


def _to_float64(series: pd.Series, column: str, datetime_format: str | None) -> pd.Series:
    import pandas as pd

    if pd.api.types.is_numeric_dtype(series):
        return series.astype("float64")
    parsed = pd.to_numeric(stripped_text(series), errors="coerce").astype("float64")
    reject_unparsed(column, series, parsed, "numbers")
    return parsed


def _to_int64(series: pd.Series, column: str, datetime_format: str | None) -> pd.Series:
    import numpy as np

    nulls = int(series.isna().sum())
    if nulls:
        raise ValueError(
            f"column {column!r} has {nulls} null(s), which int64 cannot hold; "
            "fill them first (fill_nulls) or cast to float64"
        )
    if series.dtype.kind in "iub":
        numbers = series
    else:
        numbers = _to_float64(series, column, datetime_format)
        inexact = ~np.isfinite(numbers) | (numbers % 1 != 0) | (numbers.abs() >= 2**63)
        if inexact.any():
            raise ValueError(f"column {column!r} has values that are not whole numbers: {examples(series[inexact])}")
    return numbers.astype("int64")


def _to_string(series: pd.Series, column: str, datetime_format: str | None) -> pd.Series:
    return series.astype("str").where(series.notna())


def _to_bool(series: pd.Series, column: str, datetime_format: str | None) -> pd.Series:
    import pandas as pd

    nulls = int(series.isna().sum())
    if nulls:
        raise ValueError(f"column {column!r} has {nulls} null(s), which bool cannot hold; fill them first")
    if not pd.api.types.is_numeric_dtype(series):
        raise TypeError(f"column {column!r} holds {series.dtype} values; parse text with parse_boolean")
    not_binary = ~series.isin([0, 1])
    if not_binary.any():
        raise ValueError(f"column {column!r} has values other than 0 and 1: {examples(series[not_binary])}")
    return series.astype("bool")


def _to_datetime(series: pd.Series, column: str, datetime_format: str | None) -> pd.Series:
    import pandas as pd

    if pd.api.types.is_datetime64_dtype(series):
        parsed = series
    else:
        parsed = pd.to_datetime(stripped_text(series), format=datetime_format, errors="coerce")
        reject_unparsed(column, series, parsed, f"dates{f' in format {datetime_format!r}' if datetime_format else ''}")
    try:
        return parsed.astype("datetime64[ns]")
    except pd.errors.OutOfBoundsDatetime:
        # Nanosecond timestamps cover only the years 1677..2262.
        outside = parsed.notna() & ((parsed < pd.Timestamp.min) | (parsed > pd.Timestamp.max))
        raise ValueError(f"column {column!r} has dates outside 1677..2262: {examples(series[outside])}") from None


_CASTERS: dict[str, Callable[[pd.Series, str, str | None], pd.Series]] = {
    "int64": _to_int64,
    "float64": _to_float64,
    "string": _to_string,
    "bool": _to_bool,
    "datetime64[ns]": _to_datetime,
}
