"""Feature `simple_imputer`: fill missing values with statistics learnt on training data."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from factory.registry import ComponentParams, register

if TYPE_CHECKING:
    from sklearn.impute import SimpleImputer


class SimpleImputerParams(ComponentParams):
    """Parameters of `simple_imputer`."""

    strategy: Literal["mean", "median", "most_frequent", "constant"] = Field(
        "median", description="What replaces a missing value: mean, median, most_frequent or a constant."
    )
    fill_value: str | float | None = Field(None, description="The constant for strategy 'constant'.")
    add_indicator: bool = Field(False, description="Also output a 0/1 column per input that had missing values.")

    @model_validator(mode="after")
    def _fill_value_with_constant(self) -> SimpleImputerParams:
        if (self.strategy == "constant") != (self.fill_value is not None):
            given = f"strategy {self.strategy!r}, fill_value {self.fill_value!r}"
            raise ValueError(f"fill_value with strategy 'constant' and only with it (got {given})")
        return self


@register("feature", "simple_imputer", SimpleImputerParams)
def simple_imputer(params: SimpleImputerParams) -> SimpleImputer:
    """Replace missing values by each column's training mean, median, most frequent value or a constant.

    most_frequent and constant also work on text columns (pandas `str` dtype with NaN),
    e.g. before a one_hot_encoder.
    """
    from sklearn.impute import SimpleImputer

    return SimpleImputer(strategy=params.strategy, fill_value=params.fill_value, add_indicator=params.add_indicator)


def __getattr__(name: str) -> Any:
    """`LowMemorySimpleImputer`, the class of models released before this module used scikit-learn's own.

    A saved model names the class by this module and name, so skops finds it here, defined on
    first use (loading the catalogue must not import scikit-learn). It is scikit-learn's
    SimpleImputer under another name: its fitted statistics are the same numbers.
    """
    if name == "LowMemorySimpleImputer":
        return _released_imputer_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _released_imputer_class() -> type[SimpleImputer]:
    from sklearn.impute import SimpleImputer

    released = type("LowMemorySimpleImputer", (SimpleImputer,), {"__module__": __name__})
    released.__doc__ = "SimpleImputer, under the name models released before kept it by."
    return released
