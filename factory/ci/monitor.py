"""`factory ci monitor`: the scheduled check of every production model against its latest batch.

The monitoring workflow downloads this period's production batches into one folder, one
file per use case (`<name>.parquet` or `<name>.csv`), and runs this step. Every use case
with a version in production is checked with `factory.monitor.workflow.monitor`; when the
batch holds the use case's target column, efficacy is checked too. One use case's alert or
bad batch never stops the others; a summary lists them all and the run exits 1 if any
alerted, had no batch or could not be checked, so the schedule shows red.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from factory.compose import use_case_names
from factory.errors import FactoryError, MonitoringAlert
from factory.monitor.workflow import monitor
from factory.paths import ProjectPaths
from factory.release import registry_state
from factory.release.scoring import batch_files, read_table, released_params

BATCH_SUFFIXES = (".parquet", ".csv")


@dataclass(frozen=True)
class UseCaseCheck:
    """What `ci monitor` did for one production use case."""

    name: str
    version: str
    outcome: str  # ok, alert, no batch, error
    detail: str = ""
    report: str = ""


@dataclass(frozen=True)
class CiMonitorReport:
    """Every production use case's check, in name order."""

    inputs: Path
    checks: list[UseCaseCheck] = field(default_factory=list)

    def raise_for_alerts(self) -> None:
        """Raise `MonitoringAlert` (exit 1) naming each use case that alerted, had no batch or could not be checked.

        A production model without a batch is not monitored, which must not look green.
        """
        bad = [check for check in self.checks if check.outcome != "ok"]
        if bad:
            listing = "\n".join(f"  - {check.name} {check.version}: {check.outcome}: {check.detail}" for check in bad)
            raise MonitoringAlert(f"{len(bad)} production model(s) need attention:\n{listing}")


def batch_for(inputs: Path, name: str) -> Path | None:
    """The batch of use case `name` in `inputs`, if there is one: a file, or a folder of Parquet files
    (what `factory serve --capture` writes)."""
    for suffix in BATCH_SUFFIXES:
        candidate = inputs / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    folder = inputs / name
    return folder if folder.is_dir() and batch_files(folder) else None


def ci_monitor(root: Path, inputs: Path) -> CiMonitorReport:
    """Check every use case in production against its batch in `inputs`; write reports and log lines."""
    if not inputs.is_dir():
        raise FactoryError(f"ci monitor --inputs: expected a folder of batches; got {inputs} (no such folder)")
    checks = []
    for name in use_case_names(ProjectPaths(root)):
        version = registry_state.holders(root, name).get("production")
        if version is None:
            continue
        batch = batch_for(inputs, name)
        if batch is None:
            expected = " or ".join(f"{name}{suffix}" for suffix in BATCH_SUFFIXES)
            checks.append(UseCaseCheck(name, version, "no batch", f"no {expected} in {inputs}"))
            continue
        try:
            info = registry_state.find_version(root, name, version)
            target = released_params(root, info)[0].target
            labels = target if target in read_table(batch).columns else None
            outcome = monitor(root, name, batch.resolve(), labels=labels, version=version)
        except FactoryError as exc:
            checks.append(UseCaseCheck(name, version, "error", " ".join(str(exc).split())))
            continue
        detail = "; ".join(outcome.reasons) or f"{len(outcome.record.drifted_features)} feature(s) drifted"
        checks.append(UseCaseCheck(name, version, outcome.record.verdict, detail, outcome.record.report or ""))
    return CiMonitorReport(inputs, checks)
