"""Drift test `jensen_shannon`: Jensen-Shannon distance between category frequencies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.drift._params import DistanceParams
from factory.registry import CATEGORICAL, register

if TYPE_CHECKING:
    import numpy as np


@register("drift", "jensen_shannon", DistanceParams, applies_to=(CATEGORICAL,), measure="distance")
def jensen_shannon(params: DistanceParams, reference: np.ndarray, current: np.ndarray) -> tuple[float, bool]:
    """Jensen-Shannon distance (base 2, from 0 for equal to 1 for disjoint frequencies).

    Suited to large batches: a fixed threshold on how different the frequencies are, rather
    than on how sure a test is that they differ at all.
    """
    from scipy.spatial.distance import jensenshannon

    if reference.sum() == 0 or current.sum() == 0:
        return 0.0, False
    distance = float(jensenshannon(reference, current, base=2))
    return distance, distance >= params.threshold
