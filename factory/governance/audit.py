"""The governance audit: every use case checked for the gaps risk and compliance ask about.

Checks: an owner for the use case and for each data product it reads; the card fields its
risk tier requires; every version holding a stage was released with a passing record; a
high-risk production version has an approval; the production model is the one its tag's
build records name (the release record against the tag's dvc.lock and lineage.json, without
rebuilding); the production version is no older than its monitoring policy's `max_age_days`.
Each gap names the use case and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from factory.compose import load_products, load_use_case, use_case_names
from factory.errors import ConfigError, GovernanceGaps
from factory.governance.policy import POLICY_FILE, load_policy, missing_card_fields, tag_problems
from factory.governance.staleness import current_time, production_age
from factory.paths import ProjectPaths
from factory.release import registry_state
from factory.release.anchors import record_problems
from factory.release.workflow import APPROVALS_FILE, find_approval
from factory.spec import DataProductSpec, UseCaseSpec


@dataclass(frozen=True)
class Gap:
    """One shortfall of one use case, and what to do about it."""

    use_case: str
    check: str
    problem: str
    fix: str


@dataclass(frozen=True)
class AuditReport:
    """What the audit looked at and what it found."""

    use_cases: list[str]
    gaps: list[Gap]

    def raise_for_gaps(self) -> None:
        """Raise `GovernanceGaps` when anything was found."""
        if self.gaps:
            affected = sorted({gap.use_case for gap in self.gaps})
            raise GovernanceGaps(
                f"{len(self.gaps)} governance gap(s) in {len(affected)} use case(s): {', '.join(affected)}"
            )


def audit(root: Path, now: datetime | None = None) -> AuditReport:
    """Check every use case; a config that does not validate is itself a gap, not a stop.

    Versions' ages are measured at `now` (timezone-aware; the current time when None).
    """
    now = current_time(now)
    paths = ProjectPaths(root)
    products = load_products(paths)
    policy = load_policy(root)
    names = use_case_names(paths)
    gaps: list[Gap] = []
    for name in names:
        config = paths.rel(paths.use_case(name).config)
        try:
            spec: UseCaseSpec | None = load_use_case(paths, name, products)
        except ConfigError as exc:
            spec = None
            gaps += _config_gaps(name, config, exc)
        if spec is not None:
            gaps += _owner_gaps(spec, products)
            missing = missing_card_fields(spec, policy)
            if missing:
                gaps.append(
                    Gap(
                        name,
                        "card fields missing",
                        f"risk tier {spec.risk_tier} requires {', '.join(f'card.{f}' for f in missing)} "
                        f"({POLICY_FILE})",
                        f"fill them in under `card:` in {config}",
                    )
                )
            gaps += [
                Gap(name, "banned column", problem.render(), f"drop {problem.got} from {problem.key} in {config}")
                for problem in tag_problems(spec, products, policy)
            ]
        gaps += _release_gaps(root, name, spec, now)
    return AuditReport(names, gaps)


def _config_gaps(name: str, config: str, error: ConfigError) -> list[Gap]:
    gaps = []
    for problem in error.problems:
        if problem.key == "owner":
            gaps.append(
                Gap(
                    name,
                    "no owner",
                    f"{config} names no valid owner",
                    f"set `owner:` to the accountable person's e-mail in {config}",
                )
            )
        else:
            gaps.append(
                Gap(
                    name,
                    "invalid config",
                    problem.render(),
                    f"correct {config} (`factory check {name}` lists every problem)",
                )
            )
    return gaps


def _owner_gaps(spec: UseCaseSpec, products: dict[str, DataProductSpec]) -> list[Gap]:
    return [
        Gap(
            spec.name,
            "no owner",
            f"data product {item.product}, which it reads, has no owner",
            f"set `owner:` in conf/data/{item.product}.yaml",
        )
        for item in spec.data
        if products[item.product].owner is None
    ]


def _release_gaps(root: Path, name: str, spec: UseCaseSpec | None, now: datetime) -> list[Gap]:
    gaps = []
    versions = registry_state.versions(root, name)
    for info in versions:
        if not info.stages:
            continue  # history: only versions in use can be fixed by a promotion or rollback
        if info.record is None or not info.record.passed:
            why = (
                "has no release record in its tag message (tagged outside `factory release`)"
                if info.record is None
                else "has a release record with failed gates"
            )
            gaps.append(
                Gap(
                    name,
                    "released without a passing blessing",
                    f"{info.version} ({', '.join(info.stages)}) {why}",
                    f"release a version through `factory release {name}`, or `factory rollback {name}`",
                )
            )
    production = next((info for info in versions if "production" in info.stages), None)
    if production is None:
        return gaps
    use_case = ProjectPaths(root).use_case(name)
    if spec is not None and spec.risk_tier == "high" and find_approval(use_case, production.version) is None:
        gaps.append(
            Gap(
                name,
                "high risk in production without approval",
                f"{production.version} is in production with no approval in use_cases/{name}/{APPROVALS_FILE}",
                f"record the risk reviewer's approval of {production.version} in use_cases/{name}/{APPROVALS_FILE}, "
                f"or `factory rollback {name}`",
            )
        )
    if production.record is not None:
        gaps += _reproducibility_gaps(root, name, production)
    age = production_age(spec, production, now)
    if age is not None and age.stale:
        gaps.append(
            Gap(
                name,
                "model too stale",
                f"{age.version} in production was released {age.days} days ago ({age.released_at.date()}), "
                f"more than its policy's `monitoring.max_age_days` ({age.max_days})",
                f"retrain on current data and release a new version (`factory build {name}`, commit, "
                f"`factory release {name}`)",
            )
        )
    return gaps


def _reproducibility_gaps(root: Path, name: str, info: registry_state.VersionInfo) -> list[Gap]:
    assert info.record is not None
    fix = f"rebuild and release a new version (`factory build {name}`, commit, `factory release {name}`)"
    problems = record_problems(root, info)
    return [
        Gap(name, "production not reproducible from its tag", f"{info.version}: {problem}", fix) for problem in problems
    ]
