"""Feature `one_hot_encoder`: one indicator column per category."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from factory.registry import ComponentParams, register

if TYPE_CHECKING:
    from sklearn.preprocessing import OneHotEncoder


class OneHotEncoderParams(ComponentParams):
    """Parameters of `one_hot_encoder`."""

    min_frequency: int | None = Field(
        None, ge=1, le=1_000_000_000, description="Categories seen fewer times in training are grouped as 'infrequent'."
    )
    max_categories: int | None = Field(
        None, ge=2, le=100_000, description="At most this many output columns per input, counting the infrequent group."
    )


@register("feature", "one_hot_encoder", OneHotEncoderParams)
def one_hot_encoder(params: OneHotEncoderParams) -> OneHotEncoder:
    """Encode categorical columns as dense 0/1 indicator columns (uint8), one per category.

    Categories unseen in training encode as the infrequent group when there is one and
    as all zeros otherwise, so scoring never fails on a new value. Text columns with
    missing values (pandas `str` dtype, NaN) work; missing becomes its own category.
    """
    import numpy as np
    from sklearn.preprocessing import OneHotEncoder

    # infrequent_if_exist behaves as "ignore" when no category is infrequent. uint8 holds 0 and 1
    # exactly in an eighth of float64's memory; beside numeric columns the features become
    # float64 with the same values, and every model converts its input to its own float type.
    return OneHotEncoder(
        handle_unknown="infrequent_if_exist",
        min_frequency=params.min_frequency,
        max_categories=params.max_categories,
        sparse_output=False,
        dtype=np.uint8,
    )
