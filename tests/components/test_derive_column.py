"""derive_column: each op, arity checks, divide by zero and type errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydantic
import pytest

from factory import registry
from factory.errors import ComponentError

NUMBERS = pd.DataFrame({"a": [1.0, 4.0, -2.0, None], "b": [2, 0, 4, 1]})
DATES = pd.DataFrame(
    {
        "start": pd.to_datetime(pd.Series(["2024-01-01", "2024-03-01 12:00", None]), format="ISO8601"),
        "end": pd.to_datetime(pd.Series(["2024-01-31", "2024-03-01", "2024-05-05"])),
    }
)


def derive(transform, frame: pd.DataFrame, op: str, inputs: list, **extra) -> pd.Series:
    return transform("derive_column", {"column": "out", "op": op, "inputs": inputs, **extra}, frame)["out"]


@pytest.mark.parametrize(
    ("op", "inputs", "expected"),
    [
        ("add", ["a", "b", 1], [4.0, 5.0, 3.0, np.nan]),
        ("subtract", ["a", "b"], [-1.0, 4.0, -6.0, np.nan]),
        ("subtract", [10, "b"], [8.0, 10.0, 6.0, 9.0]),
        ("multiply", ["a", "b", 0.5], [1.0, 0.0, -4.0, np.nan]),
        ("divide", ["a", "b"], [0.5, np.nan, -0.5, np.nan]),
        ("divide", ["b", 4], [0.5, 0.0, 1.0, 0.25]),
        ("abs", ["a"], [1.0, 4.0, 2.0, np.nan]),
        ("log1p", ["b"], list(np.log1p([2, 0, 4, 1]))),
    ],
)
def test_arithmetic(transform, op: str, inputs: list, expected: list) -> None:
    np.testing.assert_allclose(derive(transform, NUMBERS, op, inputs), expected)


def test_divide_by_zero_is_nan_not_inf(transform) -> None:
    result = derive(transform, pd.DataFrame({"a": [1.0, -1.0, 0.0], "b": [0, 0, 0]}), "divide", ["a", "b"])
    assert result.isna().all()


def test_date_ops(transform) -> None:
    np.testing.assert_allclose(derive(transform, DATES, "days_between", ["start", "end"]), [30.0, -0.5, np.nan])
    assert derive(transform, DATES, "year", ["end"]).tolist() == [2024, 2024, 2024]
    assert derive(transform, DATES, "year", ["end"]).dtype == "int64"
    assert derive(transform, DATES, "month", ["end"]).tolist() == [1, 3, 5]
    assert derive(transform, DATES, "day_of_week", ["end"]).tolist() == [2, 4, 6]  # Wed, Fri, Sun
    months = derive(transform, DATES, "month", ["start"])
    assert months.dtype == "float64" and np.isnan(months[2])


def test_date_ops_need_datetime_columns(transform, frame: pd.DataFrame) -> None:
    with pytest.raises(ComponentError, match="column 'signup_date' has dtype str; cast it to datetime64"):
        derive(transform, frame, "year", ["signup_date"])


def test_arithmetic_needs_numbers(transform, frame: pd.DataFrame) -> None:
    with pytest.raises(ComponentError, match="column 'monthly_charges' has dtype str; parse or cast"):
        derive(transform, frame, "multiply", ["monthly_charges", 12])


def test_log1p_below_minus_one_fails(transform) -> None:
    with pytest.raises(ComponentError, match=r"column 'a' has values <= -1.*-2.0"):
        derive(transform, NUMBERS, "log1p", ["a"])


def test_existing_column_needs_overwrite(transform) -> None:
    frame = NUMBERS.copy()
    with pytest.raises(ComponentError, match="'a' already exists; set overwrite"):
        transform("derive_column", {"column": "a", "op": "abs", "inputs": ["a"]}, frame)
    replaced = transform("derive_column", {"column": "a", "op": "abs", "inputs": ["a"], "overwrite": True}, frame)
    assert replaced["a"].tolist()[:3] == [1.0, 4.0, 2.0]
    assert list(replaced.columns) == ["a", "b"]


def test_missing_input_column(transform) -> None:
    with pytest.raises(ComponentError, match=r"no column\(s\) 'c'"):
        derive(transform, NUMBERS, "add", ["a", "c"])


@pytest.mark.parametrize(
    ("op", "inputs", "message"),
    [
        ("add", ["a"], "at least 2"),
        ("multiply", ["a"], "at least 2"),
        ("subtract", ["a", "b", "c"], "exactly 2"),
        ("divide", ["a"], "exactly 2"),
        ("days_between", ["a"], "exactly 2"),
        ("log1p", ["a", "b"], "exactly 1"),
        ("year", [], "at least 1"),
        ("add", [1, 2], "at least one column name among the inputs"),
        ("abs", [3], "at least one column name among the inputs"),
        ("days_between", ["a", 3], "column names only"),
        ("divide", ["a", 0], "a divisor other than the constant 0"),
        ("power", ["a", 2], "op"),
    ],
)
def test_params_are_checked(op: str, inputs: list, message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        registry.get("transform", "derive_column").parse_params({"column": "x", "op": op, "inputs": inputs})
