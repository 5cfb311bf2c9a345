"""Value helpers shared by the transforms: text views, typed constants and errors that show examples."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def examples(values: pd.Series, limit: int = 3) -> str:
    """The first `limit` distinct values of `values`, quoted, for an error message."""
    distinct = list(dict.fromkeys(values.tolist()))
    shown = ", ".join(repr(value) for value in distinct[:limit])
    return shown + (f" (and {len(distinct) - limit} more distinct)" if len(distinct) > limit else "")


def stripped_text(series: pd.Series) -> pd.Series:
    """`series` as stripped `str` values with its nulls kept null, whatever its dtype."""
    return series.astype("str").str.strip().where(series.notna())


def parsed_once_per_value(series: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`parse` applied to each distinct value of `series` once, spread back over its rows.

    Text columns repeat their values (a price list, a few plans), and parsing text with a
    regular expression is a Python call per value; nulls stay null (NaN).
    """
    import pandas as pd

    codes, distinct = pd.factorize(series, use_na_sentinel=True)
    parsed = parse(pd.Series(distinct, dtype=series.dtype)).to_numpy()
    return pd.Series(pd.api.extensions.take(parsed, codes, allow_fill=True), index=series.index, name=series.name)


def reject_unparsed(column: str, original: pd.Series, parsed: pd.Series, expected: str) -> None:
    """Raise ValueError if a value that was present in `original` is null after parsing."""
    failed = original.notna() & parsed.isna()
    if failed.any():
        raise ValueError(
            f"column {column!r}: {int(failed.sum())} value(s) are not {expected}, e.g. {examples(original[failed])}"
        )


def scalar_for(series: pd.Series, column: str, value: str | int | float | bool) -> object:
    """`value` as something `series` can hold or be compared with (dates from ISO text).

    Raises TypeError for a mismatch, e.g. text for a numeric column, which pandas would
    otherwise answer silently (an all-False comparison, a column turned into objects).
    """
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        fits = isinstance(value, bool)
    elif pd.api.types.is_numeric_dtype(series):
        fits = isinstance(value, int | float) and not isinstance(value, bool)
    elif pd.api.types.is_datetime64_any_dtype(series) and isinstance(value, str):
        try:
            return pd.Timestamp(value)
        except ValueError:
            raise ValueError(f"column {column!r} holds dates; {value!r} is not a date") from None
    else:
        fits = isinstance(value, str)
    if not fits:
        raise TypeError(f"column {column!r} has dtype {series.dtype}; {value!r} does not fit it")
    return value
