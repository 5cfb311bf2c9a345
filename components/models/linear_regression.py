"""Model `linear_regression`: ordinary least squares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from factory.registry import REGRESSION, ComponentParams, register

if TYPE_CHECKING:
    from sklearn.linear_model import LinearRegression


class LinearRegressionParams(ComponentParams):
    """Parameters of `linear_regression`."""

    fit_intercept: bool = Field(True, description="Fit an intercept; off when the features are already centred.")
    positive: bool = Field(False, description="Force every coefficient to be zero or positive.")


@register("model", "linear_regression", LinearRegressionParams, tasks=REGRESSION)
def linear_regression(params: LinearRegressionParams) -> LinearRegression:
    """Linear regression by ordinary least squares, with no penalty.

    Solved by a least-squares routine that gives the smallest coefficients when features are
    collinear or constant (a constant column gets a zero coefficient, not a huge one). Needs
    numeric, complete features.
    """
    from sklearn.linear_model import LinearRegression

    return LinearRegression(**params.model_dump())
