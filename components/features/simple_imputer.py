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
            raise ValueError("fill_value is required with strategy 'constant' and allowed only with it")
        return self


@register("feature", "simple_imputer", SimpleImputerParams)
def simple_imputer(params: SimpleImputerParams) -> SimpleImputer:
    """Replace missing values by each column's training mean, median, most frequent value or a constant.

    most_frequent and constant also work on text columns (pandas `str` dtype with NaN),
    e.g. before a one_hot_encoder.
    """
    return _imputer_class()(strategy=params.strategy, fill_value=params.fill_value, add_indicator=params.add_indicator)


def __getattr__(name: str) -> Any:
    """`LowMemorySimpleImputer`, defined on first use: loading the catalogue must not import scikit-learn.

    A saved model names the class by this module and name, so skops finds it here too.
    """
    if name == "LowMemorySimpleImputer":
        return _imputer_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _imputer_class() -> type[SimpleImputer]:
    """scikit-learn's SimpleImputer, with a median that needs one column's memory at a time.

    scikit-learn takes the median of every column at once through a masked array, which holds
    several sorted copies of the whole table: about four times the numeric data at the peak of
    a training run. Here each column's present values are copied and partitioned in turn, and
    the statistics are the same numbers.
    """
    import numpy as np
    from sklearn.impute import SimpleImputer
    from sklearn.utils._mask import _get_mask

    class LowMemorySimpleImputer(SimpleImputer):
        """SimpleImputer whose median is computed one column at a time."""

        def _dense_fit(self, X: Any, strategy: Any, missing_values: Any, fill_value: Any) -> Any:
            if strategy != "median":
                return super()._dense_fit(X, strategy, missing_values, fill_value)
            missing = _get_mask(X, missing_values)
            self._fit_indicator(missing)
            empty = 0.0 if self.keep_empty_features else np.nan
            medians = np.empty(X.shape[1])
            for column in range(X.shape[1]):
                present = X[~missing[:, column], column]
                medians[column] = np.median(present) if present.size else empty
            return medians

    LowMemorySimpleImputer.__module__ = __name__
    LowMemorySimpleImputer.__qualname__ = "LowMemorySimpleImputer"
    return LowMemorySimpleImputer
