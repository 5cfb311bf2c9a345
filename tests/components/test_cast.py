"""cast: every target type, and values that do not fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydantic
import pytest

from factory import registry
from factory.errors import ComponentError


def cast(transform, columns: dict, frame: pd.DataFrame, **extra) -> pd.DataFrame:
    return transform("cast", {"columns": columns, **extra}, frame)


def test_text_to_numbers(transform) -> None:
    frame = pd.DataFrame({"n": ["1", " 2 ", "3"], "x": ["1.5", None, "-2e3"]})
    out = cast(transform, {"n": "int64", "x": "float64"}, frame)
    assert out["n"].dtype == "int64" and out["n"].tolist() == [1, 2, 3]
    assert out["x"].dtype == "float64"
    np.testing.assert_array_equal(out["x"], [1.5, np.nan, -2000.0])


def test_bad_number_names_column_and_examples(transform) -> None:
    frame = pd.DataFrame({"x": ["1", "abc", "1,5", "abc", None]})
    with pytest.raises(ComponentError, match=r"column 'x': 3 value\(s\) are not numbers, e.g. 'abc', '1,5'"):
        cast(transform, {"x": "float64"}, frame)


def test_int64_refuses_nulls_and_fractions(transform) -> None:
    with pytest.raises(ComponentError, match=r"null.*fill them first.*or cast to float64"):
        cast(transform, {"x": "int64"}, pd.DataFrame({"x": [1.0, None]}))
    with pytest.raises(ComponentError, match=r"not whole numbers: 1.5"):
        cast(transform, {"x": "int64"}, pd.DataFrame({"x": [1.0, 1.5]}))
    with pytest.raises(ComponentError, match=r"not whole numbers: '2.5'"):
        cast(transform, {"x": "int64"}, pd.DataFrame({"x": ["1", "2.5"]}))


def test_int64_from_whole_floats_and_bools(transform) -> None:
    out = cast(transform, {"f": "int64", "b": "int64"}, pd.DataFrame({"f": [1.0, -3.0], "b": [True, False]}))
    assert out.dtypes.astype(str).tolist() == ["int64", "int64"]
    assert out.to_dict("list") == {"f": [1, -3], "b": [1, 0]}


def test_string_gives_the_default_str_dtype_and_keeps_nulls(transform) -> None:
    out = cast(transform, {"x": "string"}, pd.DataFrame({"x": [1, 2], "y": [1.5, None]}))
    assert out["x"].dtype == "str" and out["x"].tolist() == ["1", "2"]
    out = cast(transform, {"y": "string"}, pd.DataFrame({"y": [1.5, None]}))
    assert out["y"].dtype == "str" and out["y"].isna().tolist() == [False, True]


def test_bool_from_zero_one_only(transform) -> None:
    assert cast(transform, {"x": "bool"}, pd.DataFrame({"x": [0, 1, 1]}))["x"].tolist() == [False, True, True]
    with pytest.raises(ComponentError, match="other than 0 and 1: 2"):
        cast(transform, {"x": "bool"}, pd.DataFrame({"x": [0, 2]}))
    with pytest.raises(ComponentError, match="parse_boolean"):
        cast(transform, {"x": "bool"}, pd.DataFrame({"x": ["t", "f"]}))
    with pytest.raises(ComponentError, match="null"):
        cast(transform, {"x": "bool"}, pd.DataFrame({"x": [1.0, None]}))


def test_datetime_iso_and_format(transform) -> None:
    out = cast(transform, {"d": "datetime64[ns]"}, pd.DataFrame({"d": ["2024-01-31", None]}))
    assert out["d"].dtype == "datetime64[ns]"
    assert out["d"][0] == pd.Timestamp("2024-01-31") and pd.isna(out["d"][1])
    out = cast(transform, {"d": "datetime64[ns]"}, pd.DataFrame({"d": ["31/01/2024"]}), datetime_format="%d/%m/%Y")
    assert out["d"][0] == pd.Timestamp("2024-01-31")


def test_bad_dates_name_the_format(transform) -> None:
    frame = pd.DataFrame({"d": ["2024-01-31", "2024-02-30", "soon"]})
    with pytest.raises(ComponentError, match=r"not dates in format '%Y-%m-%d', e.g. '2024-02-30', 'soon'"):
        cast(transform, {"d": "datetime64[ns]"}, frame, datetime_format="%Y-%m-%d")


def test_dates_beyond_nanosecond_range_fail(transform) -> None:
    with pytest.raises(ComponentError, match=r"outside 1677\.\.2262: '3000-01-01'"):
        cast(transform, {"d": "datetime64[ns]"}, pd.DataFrame({"d": ["2000-01-01", "3000-01-01"]}))


def test_params_errors() -> None:
    component = registry.get("transform", "cast")
    with pytest.raises(pydantic.ValidationError, match="datetime_format only beside a column cast to datetime64"):
        component.parse_params({"columns": {"x": "int64"}, "datetime_format": "%Y"})
    with pytest.raises(pydantic.ValidationError):
        component.parse_params({"columns": {"x": "int32"}})
    with pytest.raises(pydantic.ValidationError):
        component.parse_params({"columns": {}})


def test_datetime_of_another_resolution_becomes_nanoseconds(transform) -> None:
    frame = pd.DataFrame({"d": pd.Series(pd.to_datetime(["2024-01-31"])).astype("datetime64[s]")})
    assert cast(transform, {"d": "datetime64[ns]"}, frame)["d"].dtype == "datetime64[ns]"
