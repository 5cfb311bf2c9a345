"""Transform `filter_rows`: keep the rows that meet declared conditions."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from components.transforms._columns import require_columns
from components.transforms._values import scalar_for
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

Scalar = str | int | float | bool
Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "is_null", "not_null"]

# The only operations a config can ask for; nothing is ever evaluated as code.
_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
_LIST_OPS = ("in", "not_in")
_NULL_OPS = ("is_null", "not_null")


class Condition(BaseModel):
    """One test of one column, e.g. `{column: age, op: ge, value: 18}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(description="Column to test.")
    op: Op = Field(
        description="eq, ne, lt, le, gt, ge (scalar value), in, not_in (list), is_null, not_null (no value)."
    )
    value: Scalar | list[Scalar] | None = Field(None, description="What to compare with; depends on op.")

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        if self.op in _NULL_OPS:
            if self.value is not None:
                raise ValueError(f"no value for op {self.op!r} (got {self.value!r})")
        elif self.op in _LIST_OPS:
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"a non-empty list value for op {self.op!r} (got {self.value!r})")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"a single value (a text, number or boolean) for op {self.op!r} (got {self.value!r})")
        return self


class FilterRowsParams(ComponentParams):
    """Parameters of `filter_rows`."""

    conditions: list[Condition] = Field(min_length=1, description="The conditions rows are tested against.")
    combine: Literal["all", "any"] = Field("all", description="Keep rows meeting all conditions, or any of them.")


@register("transform", "filter_rows", FilterRowsParams)
def filter_rows(params: FilterRowsParams, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Keep the rows that meet all (or any) of a list of column conditions.

    Ops: eq, ne, lt, le, gt, ge, in, not_in, is_null, not_null. A null never meets a
    comparison or (not_)in, so select nulls explicitly with is_null. Dates compare with
    ISO text such as "2024-01-31". The result gets a fresh 0..n-1 index.
    """
    import numpy as np

    require_columns(frame, [condition.column for condition in params.conditions])
    masks = [_mask(frame[condition.column], condition) for condition in params.conditions]
    keep = np.logical_and.reduce(masks) if params.combine == "all" else np.logical_or.reduce(masks)
    return frame[keep].reset_index(drop=True)


def _mask(series: pd.Series, condition: Condition) -> np.ndarray:
    import numpy as np

    present = series.notna().to_numpy()
    if condition.op in _NULL_OPS:
        return ~present if condition.op == "is_null" else present
    if isinstance(condition.value, list):
        matched = series.isin([scalar_for(series, condition.column, v) for v in condition.value]).to_numpy()
        return present & (matched if condition.op == "in" else ~matched)
    result = _COMPARISONS[condition.op](series, scalar_for(series, condition.column, condition.value))
    return present & np.asarray(result.fillna(False), dtype=bool)
