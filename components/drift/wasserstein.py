"""Drift test `wasserstein`: Wasserstein distance normalised by the reference's spread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.drift._params import DistanceParams
from factory.registry import NUMERIC, register

if TYPE_CHECKING:
    import numpy as np


@register("drift", "wasserstein", DistanceParams, applies_to=(NUMERIC,), measure="distance")
def wasserstein(params: DistanceParams, reference: np.ndarray, current: np.ndarray) -> tuple[float, bool]:
    """Wasserstein (earth mover's) distance in units of the reference's standard deviation.

    How far, on average, values moved: 0.1 means a tenth of a standard deviation. Suited to
    large batches, where it ignores sampling noise that a test would call significant. A
    constant reference is measured in the feature's own units.
    """
    import numpy as np
    from scipy.stats import wasserstein_distance

    spread = float(np.std(reference))
    distance = float(wasserstein_distance(reference, current)) / (spread if spread > 0 else 1.0)
    return distance, distance >= params.threshold
