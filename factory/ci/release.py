"""`factory ci release`: on main, release every use case a change affects, per its release policy.

Each affected use case goes through `factory.release.workflow.release` with its policy's stage
(`release.stage`: production or staging), which pushes the model to the DVC remote and the
tags to origin. One use case's outcome never stops the others; a summary lists them all.

What counts as a failure (exit 1): a release the policy requires that could not be made -
the build is missing, stale or uncommitted, or DVC or Git failed (a push, a tag). A gate
refusal, or a missing approval for a high-risk use case, is the policy working: it is
reported, creates nothing, and does not fail the run, so one held-back model does not mark
the main branch red. A rerun on the same commit finds every version already released and
creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from factory.ci.plan import plan_ci
from factory.errors import CiReleaseFailed, FactoryError
from factory.release.workflow import release


@dataclass(frozen=True)
class UseCaseRelease:
    """What `ci release` did for one use case."""

    name: str
    outcome: str  # released, already released, held by gates, failed
    stage: str = ""
    version: str = ""
    detail: str = ""

    @property
    def failed(self) -> bool:
        """A release the policy requires could not be made."""
        return self.outcome == "failed"


@dataclass(frozen=True)
class CiReleaseReport:
    """Every affected use case's outcome, in name order."""

    base: str
    results: list[UseCaseRelease] = field(default_factory=list)

    @property
    def created_anything(self) -> bool:
        """Whether this run released anything new."""
        return any(result.outcome == "released" for result in self.results)

    def raise_for_failures(self) -> None:
        """Raise `CiReleaseFailed` naming each use case whose required release failed."""
        failed = [result for result in self.results if result.failed]
        if failed:
            listing = "\n".join(f"  - {result.name}: {result.detail}" for result in failed)
            raise CiReleaseFailed(f"{len(failed)} release(s) required by policy failed:\n{listing}")


def release_affected(root: Path, base: str) -> CiReleaseReport:
    """Release each use case affected by the changes from `base` to HEAD, as its policy says."""
    return CiReleaseReport(base, [release_one(root, item.name) for item in plan_ci(root, base)])


def release_one(root: Path, name: str) -> UseCaseRelease:
    """Release one use case to its policy's stage and say what happened."""
    try:
        outcome = release(root, name)
    except FactoryError as exc:
        return UseCaseRelease(name, "failed", detail=" ".join(str(exc).split()))
    plan = outcome.plan
    version = plan.record.version
    if not plan.passed:
        return UseCaseRelease(name, "held by gates", plan.stage, version, "; ".join(plan.refusals()))
    if plan.is_noop:
        return UseCaseRelease(name, "already released", plan.stage, version, f"{version} already holds {plan.stage}")
    return UseCaseRelease(name, "released", plan.stage, version, ", ".join(outcome.created_tags))
