"""Transform `join`: add the columns of another data product by key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field

from components._params import ColumnList
from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd


class JoinParams(ComponentParams):
    """Parameters of `join`."""

    product: str = Field(min_length=1, description="Name of the data product to join with.")
    # Not `on`: YAML 1.1 (Hydra, OmegaConf) reads an unquoted `on` key as the boolean true.
    keys: ColumnList = Field(description="Key columns, present in both frames.")
    how: Literal["inner", "left"] = Field(
        "left", description="left keeps every row of this frame; inner only rows with a match."
    )
    # Attribute `relation`, config key `validate`: that name would shadow BaseModel.validate.
    model_config = ConfigDict(serialize_by_alias=True)

    relation: Literal["one_to_one", "many_to_one"] = Field(
        "many_to_one",
        alias="validate",
        description="Expected key relation; a violation is an error, not a row explosion.",
    )


@register("transform", "join", JoinParams, reads_products=lambda p: [p.product])
def join(params: JoinParams, frame: pd.DataFrame, context: RunContext) -> pd.DataFrame:
    """Join the columns of another data product onto this frame by key columns.

    The keys must be unique in the other product (and in this frame for one_to_one).
    Non-key columns present in both frames are an error naming them: drop or rename one
    side first rather than getting suffixed duplicates.
    """
    import pandas as pd

    other = pd.read_parquet(context.product_path(params.product))
    for side, table in (("this frame", frame), (f"product {params.product!r}", other)):
        missing = [key for key in params.keys if key not in table.columns]
        if missing:
            raise ValueError(f"join key(s) {missing} missing from {side}")
    overlap = sorted((set(frame.columns) & set(other.columns)) - set(params.keys))
    if overlap:
        raise ValueError(
            f"columns {overlap} are in both this frame and product {params.product!r}; drop or rename them on one side"
        )
    try:
        return frame.merge(other, on=params.keys, how=params.how, validate=params.relation)
    except pd.errors.MergeError as exc:
        raise ValueError(f"join with product {params.product!r} on {params.keys}: {exc}") from exc
