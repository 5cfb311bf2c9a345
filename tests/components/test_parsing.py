"""parse_boolean, parse_percentage and parse_currency: accepted spellings and refused ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydantic
import pytest

from factory import registry
from factory.errors import ComponentError


def parse(transform, name: str, values: list, **params) -> pd.Series:
    return transform(name, {"columns": ["x"], **params}, pd.DataFrame({"x": values}))["x"]


def test_boolean_default_spellings_ignore_case_and_spaces(transform) -> None:
    parsed = parse(transform, "parse_boolean", ["t", " TRUE", "Yes", "y", "1", "f", "False", "NO", "n", "0"])
    assert parsed.dtype == "bool"
    assert parsed.tolist() == [True] * 5 + [False] * 5


def test_boolean_with_nulls_is_nullable(transform) -> None:
    parsed = parse(transform, "parse_boolean", ["t", None, "f"])
    assert parsed.dtype == "boolean"
    assert parsed.isna().tolist() == [False, True, False]
    assert parsed.tolist()[0] is True


def test_boolean_refuses_other_text(transform) -> None:
    with pytest.raises(ComponentError, match=r"column 'x': 2 value\(s\) are not one of .*e.g. 'maybe', 'ja'"):
        parse(transform, "parse_boolean", ["t", "maybe", "ja"])


def test_boolean_custom_values(transform) -> None:
    parsed = parse(transform, "parse_boolean", ["Active", "lapsed"], true_values=["active"], false_values=["LAPSED"])
    assert parsed.tolist() == [True, False]


def test_boolean_of_bool_and_numeric_columns(transform) -> None:
    assert parse(transform, "parse_boolean", [True, False]).tolist() == [True, False]
    assert parse(transform, "parse_boolean", [1, 0]).tolist() == [True, False]


def test_boolean_values_cannot_mean_both() -> None:
    with pytest.raises(pydantic.ValidationError, match=r"not both \(got \['y'\] in both\)"):
        registry.get("transform", "parse_boolean").parse_params(
            {"columns": ["x"], "true_values": ["Y"], "false_values": ["n", "y"]}
        )


def test_percentage_spellings(transform) -> None:
    parsed = parse(transform, "parse_percentage", ["90%", "90", "90 %", " 12.5% ", "-5%", ".5%", None])
    assert parsed.dtype == "float64"
    np.testing.assert_allclose(parsed, [0.9, 0.9, 0.9, 0.125, -0.05, 0.005, np.nan])


def test_percentage_not_as_fraction(transform) -> None:
    assert parse(transform, "parse_percentage", ["90%", "12.5"], as_fraction=False).tolist() == [90.0, 12.5]


@pytest.mark.parametrize("bad", ["ten%", "%10", "10%%", "1,5%", "", "10 percent"])
def test_percentage_refuses_other_text(transform, bad: str) -> None:
    with pytest.raises(ComponentError, match=rf"column 'x': 1 value\(s\) are not percentages, e.g. {bad!r}"):
        parse(transform, "parse_percentage", ["10%", bad])


def test_currency_spellings(transform) -> None:
    values = [
        "$1,325.0",
        "$89.50",
        "€12",
        "£ 7.25",
        "(12.50)",
        "-$3",
        "$-3",
        "1,234,567.891",
        "0.5",
        None,
        "  $40  ",
    ]
    parsed = parse(transform, "parse_currency", values)
    assert parsed.dtype == "float64"
    np.testing.assert_allclose(parsed, [1325.0, 89.5, 12.0, 7.25, -12.5, -3.0, -3.0, 1234567.891, 0.5, np.nan, 40.0])


@pytest.mark.parametrize("bad", ["1,32", "12.3.4", "$", "USD 5", "1.325,00", "(12", "twelve"])
def test_currency_refuses_other_text(transform, bad: str) -> None:
    with pytest.raises(ComponentError, match=r"column 'x': 1 value\(s\) are not money amounts, e.g. "):
        parse(transform, "parse_currency", ["$1.00", bad])


def test_parsers_name_missing_columns(transform) -> None:
    for name in ("parse_boolean", "parse_percentage", "parse_currency"):
        with pytest.raises(ComponentError, match=r"no column\(s\) 'y'"):
            transform(name, {"columns": ["y"]}, pd.DataFrame({"x": ["1"]}))
