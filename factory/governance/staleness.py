"""Model staleness (ML Test Score Mo4, "models are not too stale"): how long ago production was released.

A version's age counts from its version tag (`name@vX.Y.Z`, dated by Git when `factory release`
created it); the limit is the use case's current monitoring policy, `monitoring.max_age_days`
(conf/monitoring/default.yaml, overridden in its config). Ages are measured against the `now`
the caller passes, so the same repository and the same `now` always give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from factory.release.registry_state import VersionInfo
from factory.spec import UseCaseSpec


@dataclass(frozen=True)
class Age:
    """How many whole days ago a version was released, against its use case's limit."""

    version: str
    released_at: datetime
    days: int
    max_days: int

    @property
    def stale(self) -> bool:
        """Whether it was released more than `max_days` whole days ago."""
        return self.days > self.max_days


def current_time(now: datetime | None = None) -> datetime:
    """`now` when given (it must carry a timezone), else the current time in UTC."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError(f"now must carry a timezone (got {now.isoformat()})")
    return now


def production_age(spec: UseCaseSpec | None, production: VersionInfo | None, now: datetime) -> Age | None:
    """The production version's age under the use case's policy; None with nothing in production or no policy."""
    if spec is None or spec.monitoring is None or production is None:
        return None
    # A tag dated after `now` (a clock ahead of this one) is no age at all, not a negative one.
    days = max((now - production.created_at) // timedelta(days=1), 0)
    return Age(production.version, production.created_at, days, spec.monitoring.max_age_days)
