"""Drift test `ks`: two-sample Kolmogorov-Smirnov test on a numeric feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.drift._params import PValueParams
from factory.registry import NUMERIC, register

if TYPE_CHECKING:
    import numpy as np


@register("drift", "ks", PValueParams, applies_to=(NUMERIC,), measure="p-value")
def ks(params: PValueParams, reference: np.ndarray, current: np.ndarray) -> tuple[float, bool]:
    """Kolmogorov-Smirnov: do the two samples come from one distribution? Returns the p-value.

    Sensitive to any difference in shape or location; suited to small batches, because on a
    large one it flags differences too small to matter.
    """
    from scipy.stats import ks_2samp

    p_value = float(ks_2samp(reference, current).pvalue)
    return p_value, p_value < params.threshold
