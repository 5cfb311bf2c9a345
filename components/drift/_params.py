"""Parameters shared by the drift tests."""

from __future__ import annotations

from pydantic import Field

from factory.registry import ComponentParams


class PValueParams(ComponentParams):
    """A statistical test: drift when its p-value is below `threshold`."""

    threshold: float = Field(default=0.05, gt=0.0, lt=1.0, description="drift when the p-value is below this")


class DistanceParams(ComponentParams):
    """A distance: drift when it reaches `threshold`."""

    threshold: float = Field(default=0.1, gt=0.0, description="drift when the distance is at least this")
