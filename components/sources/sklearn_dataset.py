"""Source `sklearn_dataset`: one of scikit-learn's small bundled datasets (no download)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import pandas as pd


class SklearnDatasetParams(ComponentParams):
    """Parameters of `sklearn_dataset`."""

    dataset: Literal["iris", "wine", "breast_cancer", "diabetes"] = Field(
        description="Which bundled dataset to load; diabetes is a regression target, the others classes."
    )
    target_column: str = Field("target", min_length=1, description="Name of the target column.")
    label_names: bool = Field(
        True, description="Classification targets as class names (e.g. 'setosa') instead of integer codes."
    )


def snake_case(name: str) -> str:
    """Lower-case `name` and replace each run of non-alphanumerics by one underscore."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


@register("source", "sklearn_dataset", SklearnDatasetParams)
def sklearn_dataset(params: SklearnDatasetParams, context: RunContext) -> pd.DataFrame:
    """Load a scikit-learn bundled dataset (iris, wine, breast_cancer, diabetes) as a table.

    Columns are `sample_id` (0..n-1, a unique key), the features with snake_cased names
    and the target last; classification targets hold class names as strings unless
    `label_names` is false, the diabetes target is a float.
    """
    import numpy as np
    import pandas as pd
    from sklearn import datasets

    loader = getattr(datasets, f"load_{params.dataset}")
    bunch = loader(as_frame=True)
    features = bunch.data.rename(columns=snake_case).astype("float64")
    if params.target_column in features.columns or params.target_column == "sample_id":
        raise ValueError(f"target_column {params.target_column!r} clashes with a column of {params.dataset}")
    target = bunch.target.to_numpy()
    if params.dataset == "diabetes":
        target = target.astype("float64")
    elif params.label_names:
        target = pd.array(np.asarray(bunch.target_names)[target], dtype="str")
    else:
        target = target.astype("int64")
    frame = features.assign(**{params.target_column: target})
    frame.insert(0, "sample_id", np.arange(len(frame), dtype="int64"))
    return frame.reset_index(drop=True)
