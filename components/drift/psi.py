"""Drift test `psi`: the population stability index of a numeric feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from factory.registry import NUMERIC, ComponentParams, register

if TYPE_CHECKING:
    import numpy as np


class PsiParams(ComponentParams):
    """Bins and threshold of the population stability index."""

    threshold: float = Field(default=0.2, gt=0.0, description="drift when the index is at least this")
    bins: int = Field(default=10, ge=2, le=100, description="bins at the reference's quantiles")
    floor: float = Field(default=1e-4, gt=0.0, lt=0.01, description="share given to empty bins (avoids log 0)")


@register("drift", "psi", PsiParams, applies_to=(NUMERIC,), measure="distance")
def psi(params: PsiParams, reference: np.ndarray, current: np.ndarray) -> tuple[float, bool]:
    """Population stability index over bins at the reference's quantiles.

    The credit-risk convention: below 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 a
    major one. It is the symmetric Kullback-Leibler divergence of the binned shares.
    """
    import numpy as np
    from scipy.special import rel_entr

    edges = np.unique(np.quantile(reference, np.linspace(0.0, 1.0, params.bins + 1)))
    inner = edges[1:-1]  # values beyond the reference's range fall in the outer bins
    shares = []
    for values in (reference, current):
        counts = np.bincount(np.searchsorted(inner, values, side="right"), minlength=len(inner) + 1)
        shares.append(np.maximum(counts / max(len(values), 1), params.floor))
    expected, actual = shares
    index = float(np.sum(rel_entr(actual, expected) + rel_entr(expected, actual)))
    return index, index >= params.threshold
