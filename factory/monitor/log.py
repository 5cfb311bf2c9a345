"""The monitoring log: one JSON line per check, kept in Git beside the use case's config.

The inventory, the audit and the dashboard read the verdicts from here, so the log is the
only monitoring state they need; the full reports can live elsewhere (CI artifacts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from factory.errors import ConfigError, Problem
from factory.io import atomic_write_text


class Efficacy(BaseModel):
    """The primary metric on labelled production data against the evaluation baseline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    baseline: float
    current: float
    tolerance: float
    degraded: bool


class MonitoringRecord(BaseModel):
    """What one monitoring check looked at and what it concluded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    checked_at: str  # ISO 8601, UTC
    use_case: str
    version: str | None  # the released version checked; None for a local build
    input: str
    input_sha256: str
    rows: int
    verdict: Literal["ok", "alert"]
    dataset_drift: bool
    drifted_features: list[str]
    drifted_share: float
    prediction_drift: bool
    efficacy: Efficacy | None = None
    report: str | None = None  # the JSON report, relative to the project root


def read_log(path: Path) -> list[MonitoringRecord]:
    """Every record in the log at `path`, oldest first; an empty list when there is none."""
    if not path.is_file():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(MonitoringRecord.model_validate_json(line))
        except ValidationError as exc:
            problem = Problem(f"line {number}", "a monitoring record", exc.errors()[0]["msg"])
            raise ConfigError(str(path), [problem]) from exc
    return records


def latest_record(path: Path) -> MonitoringRecord | None:
    """The most recent check in the log at `path`, if any."""
    records = read_log(path)
    return records[-1] if records else None


def append_record(path: Path, record: MonitoringRecord) -> None:
    """Add `record` to the log at `path` (rewritten atomically, so a crash never truncates it)."""
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    atomic_write_text(path, existing + record.model_dump_json() + "\n")
