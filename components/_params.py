"""Parameter types shared by several component families."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from factory.registry import ComponentParams


def reject_repeats(names: list[str]) -> list[str]:
    """Return `names`, or raise ValueError listing the names that occur more than once."""
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"each name once (got {repeated} more than once)")
    return names


ColumnList = Annotated[list[str], Field(min_length=1), AfterValidator(reject_repeats)]
"""A non-empty list of column names without repeats."""


class NoParams(ComponentParams):
    """This component takes no parameters."""
