"""fill_nulls and drop_nulls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydantic
import pytest

from factory import registry
from factory.errors import ComponentError


def test_fill_with_constants_and_statistics(transform) -> None:
    frame = pd.DataFrame(
        {
            "region": ["north", None, "east"],
            "age": [20.0, None, 40.0],
            "score": [1.0, 5.0, None],
            "plan": ["b", "a", None],
            "n": [1.0, None, 2.0],
        }
    )
    filled = transform(
        "fill_nulls",
        {
            "values": {"region": "unknown", "n": 0},
            "strategies": {"age": "mean", "score": "median", "plan": "mode"},
        },
        frame,
    )
    assert filled.to_dict("list") == {
        "region": ["north", "unknown", "east"],
        "age": [20.0, 30.0, 40.0],
        "score": [1.0, 5.0, 3.0],
        "plan": ["b", "a", "a"],
        "n": [1.0, 0.0, 2.0],
    }
    assert filled["region"].dtype == "str"
    assert frame["region"].isna().sum() == 1, "the input is untouched"


def test_fill_dates_from_iso_text(transform) -> None:
    frame = pd.DataFrame({"d": pd.to_datetime(pd.Series(["2024-01-01", None]))})
    filled = transform("fill_nulls", {"values": {"d": "2020-06-30"}}, frame)
    assert filled["d"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2020-06-30")]
    with pytest.raises(ComponentError, match="column 'd' holds dates; 'soon' is not a date"):
        transform("fill_nulls", {"values": {"d": "soon"}}, frame)


@pytest.mark.parametrize(("column", "value"), [("age", "unknown"), ("region", 0), ("age", True), ("flag", "yes")])
def test_fill_value_must_suit_the_column(transform, column: str, value) -> None:
    frame = pd.DataFrame({"age": [1.0, None], "region": ["x", None], "flag": pd.array([True, None], "boolean")})
    with pytest.raises(ComponentError, match=rf"TypeError: column '{column}' has dtype .* does not fit it"):
        transform("fill_nulls", {"values": {column: value}}, frame)


def test_mean_of_text_fails(transform) -> None:
    with pytest.raises(ComponentError, match="the median needs numbers"):
        transform("fill_nulls", {"strategies": {"region": "median"}}, pd.DataFrame({"region": ["x", None]}))


def test_statistic_of_an_all_null_column_fails(transform) -> None:
    with pytest.raises(ComponentError, match="no values to take the mode of"):
        transform("fill_nulls", {"strategies": {"x": "mode"}}, pd.DataFrame({"x": [np.nan, np.nan]}))


def test_fill_missing_column_fails(transform, frame: pd.DataFrame) -> None:
    with pytest.raises(ComponentError, match=r"no column\(s\) 'nope'"):
        transform("fill_nulls", {"values": {"nope": 1}}, frame)


def test_fill_params_errors() -> None:
    component = registry.get("transform", "fill_nulls")
    with pytest.raises(
        pydantic.ValidationError, match=r"a value or a strategy per column, not both \(got both for \['age'\]\)"
    ):
        component.parse_params({"values": {"age": 1}, "strategies": {"age": "mean"}})
    with pytest.raises(pydantic.ValidationError, match="at least one column"):
        component.parse_params({})
    with pytest.raises(pydantic.ValidationError):
        component.parse_params({"strategies": {"age": "max"}})


def test_drop_nulls_in_some_or_any_column(transform, frame: pd.DataFrame) -> None:
    some = transform("drop_nulls", {"columns": ["age"]}, frame)
    assert some["customer_id"].tolist() == [1, 3, 4, 5, 6]
    assert some.index.tolist() == list(range(5))
    assert transform("drop_nulls", {}, frame)["customer_id"].tolist() == [1, 4, 6]


def test_drop_nulls_missing_column_fails(transform, frame: pd.DataFrame) -> None:
    with pytest.raises(ComponentError, match=r"no column\(s\) 'nope'"):
        transform("drop_nulls", {"columns": ["nope"]}, frame)
