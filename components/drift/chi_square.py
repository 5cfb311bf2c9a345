"""Drift test `chi_square`: chi-square test of a categorical feature's frequencies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.drift._params import PValueParams
from factory.registry import CATEGORICAL, register

if TYPE_CHECKING:
    import numpy as np


@register("drift", "chi_square", PValueParams, applies_to=(CATEGORICAL,), measure="p-value")
def chi_square(params: PValueParams, reference: np.ndarray, current: np.ndarray) -> tuple[float, bool]:
    """Chi-square test of homogeneity: are the category frequencies the same? Returns the p-value.

    Both samples' counts form a contingency table, so a small reference counts as the sample it
    is; categories seen in neither are left out, and one category alone cannot drift.
    """
    import numpy as np
    from scipy.stats import chi2_contingency

    table = np.vstack([reference, current]).astype("float64")
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 1.0, False
    p_value = float(chi2_contingency(table, correction=False).pvalue)
    return p_value, p_value < params.threshold
