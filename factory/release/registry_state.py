"""Versions and stages of released models, read from and written as Git tags in GTO's format.

Tags: `<name>@vX.Y.Z` registers a version (its message holds the release record),
`<name>#<stage>#N` assigns a stage, `<name>#<stage>!#N` unassigns it. A stage is held by
one version at a time: the latest assignment. Assigning it to a version then unassigns the
versions that held it, so `gto show` / `gto which` and the factory agree on what is in
production once a command completes, and production is never empty while it runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from factory.errors import FactoryError
from factory.gitrepo import tag_message
from factory.release.records import RECORD_MARKER, ReleaseRecord

STAGES = ("staging", "production")


@dataclass(frozen=True)
class StageEvent:
    """One assignment or unassignment of a stage, in the order Git recorded them."""

    version: str
    stage: str
    assigned: bool
    at: datetime
    author: str
    tag: str


@dataclass
class VersionInfo:
    """A registered version: its tag, commit, date, record and current stages."""

    version: str
    tag: str
    commit: str
    created_at: datetime
    author: str
    record: ReleaseRecord | None
    stages: list[str] = field(default_factory=list)


def _api() -> Any:
    import gto.api

    return gto.api


def stage_events(root: Path, name: str) -> list[StageEvent]:
    """Assignments and unassignments of `name`'s stages, oldest first."""
    events = []
    for event in _api().history(str(root), name):
        if event["event"] not in ("assignment", "unassignment"):
            continue
        counter = _api().parse_tag(event["ref"]).get("counter") or 0
        events.append(
            (
                event["timestamp"],
                counter,
                StageEvent(
                    version=event["version"],
                    stage=event["stage"],
                    assigned=event["event"] == "assignment",
                    at=event["timestamp"],
                    author=f"{event['author']} <{event['author_email']}>",
                    tag=event["ref"],
                ),
            )
        )
    return [event for _, _, event in sorted(events, key=lambda item: (item[0], item[1]))]


def holders(root: Path, name: str) -> dict[str, str]:
    """Stage -> the version holding it now (the latest assignment not undone since)."""
    return _holders(stage_events(root, name))


def _holders(events: list[StageEvent]) -> dict[str, str]:
    current: dict[str, str] = {}
    for event in events:
        if event.assigned:
            current[event.stage] = event.version
        elif current.get(event.stage) == event.version:
            del current[event.stage]
    return current


def _assigned(events: list[StageEvent], stage: str) -> set[str]:
    """Versions whose latest event for `stage` is an assignment (one, once every move completed)."""
    latest: dict[str, bool] = {}
    for event in events:
        if event.stage == stage:
            latest[event.version] = event.assigned
    return {version for version, assigned in latest.items() if assigned}


def versions(root: Path, name: str) -> list[VersionInfo]:
    """Every registered version of `name`, newest first, with its record and stages."""
    try:
        shown = _api().show(str(root), name)
    except Exception as exc:  # GTO raises its own error types for an unknown artifact
        if "cannot find artifact" in str(exc).lower() or "not found" in str(exc).lower():
            return []
        raise FactoryError(f"cannot read the releases of {name!r}: {exc}") from exc
    stage_of = holders(root, name)
    found = []
    for item in shown:
        if not item.get("registrations"):
            continue
        tag = item["registrations"][0]["tag"]
        message = tag_message(root, tag)
        # A tag made outside `factory release` carries no record: None, for scoring and the audit to refuse.
        record = ReleaseRecord.from_message(message, tag) if message and RECORD_MARKER in message else None
        found.append(
            VersionInfo(
                version=item["version"],
                tag=tag,
                commit=item["commit_hexsha"],
                created_at=item["created_at"],
                author=f"{item['author']} <{item['author_email']}>",
                record=record,
                stages=sorted(stage for stage, version in stage_of.items() if version == item["version"]),
            )
        )
    return sorted(found, key=lambda v: _semver(v.version), reverse=True)


def find_version(root: Path, name: str, version: str) -> VersionInfo:
    """One version of `name`, or a clean error naming the versions that exist."""
    for info in versions(root, name):
        if info.version == version:
            return info
    known = ", ".join(v.version for v in versions(root, name)) or "none released"
    raise FactoryError(f"{name}: unknown version {version!r} (known: {known})")


def register(root: Path, name: str, commit: str, version: str, record: ReleaseRecord) -> str:
    """Create the version tag `<name>@<version>` at `commit`, its message the release record."""
    _wait_for_next_second(root, name)
    _api().register(str(root), name, commit, version=version, message=record.to_message())
    return f"{name}@{version}"


def assign(root: Path, name: str, version: str, stage: str, message: str) -> list[str]:
    """Give `stage` to `version`, then take it from the versions that held it. Returns new tags.

    The assignment is written before the unassignments, so at every instant the stage is held
    by the old version or the new one: a command killed between the tags never leaves it
    empty, and the next `assign` (a rerun) writes the unassignments it left out.
    """
    if stage not in STAGES:
        raise FactoryError(f"unknown stage {stage!r}; expected one of: {', '.join(STAGES)}")
    before = _tags(root)
    if _holders(stage_events(root, name)).get(stage) != version:
        _wait_for_next_second(root, name)
        _api().assign(str(root), name, stage, version=version, message=message, force=True)
    for other in sorted(_assigned(stage_events(root, name), stage) - {version}):
        _wait_for_next_second(root, name)
        _api().unassign(str(root), name, version=other, stage=stage, message=f"{stage} moved to {version}")
    return sorted(_tags(root) - before)


def artifact_tags(root: Path, name: str) -> list[str]:
    """Every version and stage tag of `name`."""
    return sorted(tag for tag in _tags(root) if tag.startswith((f"{name}@", f"{name}#")))


def _tags(root: Path) -> set[str]:
    from factory.gitrepo import git

    return set(git(root, "tag", "--list").split())


def _wait_for_next_second(root: Path, name: str) -> None:
    """Git dates tags to the second; keep each event of an artifact in a later second than the last."""
    latest = max((event["timestamp"] for event in _api().history(str(root), name)), default=None)
    while latest is not None and datetime.now(UTC).replace(microsecond=0) <= latest:
        time.sleep(0.05)


def _semver(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("."))
