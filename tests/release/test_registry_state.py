"""Versions and stages as GTO tags in a real Git repository, checked against the `gto` CLI.

One repository is built per module: v1.0.0 and v1.1.0 registered on two commits, production
given to v1.0.0, then v1.1.0, then back to v1.0.0 (a rollback), then staging to v1.1.0, then
staging taken back with the `gto` CLI (`gto deprecate`), as an operator might.
registry_state keeps each tag of an artifact in a later second, so this takes a few seconds.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from factory.errors import FactoryError
from factory.gitrepo import commit_of, git, head_commit
from factory.release import registry_state
from factory.release.records import ReleaseRecord
from tests.conftest import BIN
from tests.release.test_gitrepo import GIT_IDENTITY, init_repo
from tests.release.test_records import make_record

NAME = "churn"


@dataclass(frozen=True)
class Registry:
    root: Path
    commits: dict[str, str]  # version -> commit
    records: dict[str, ReleaseRecord]  # version -> record
    registered: list[str]
    first_assignment: list[str]
    promotion: list[str]
    promoted_holders: dict[str, str]
    promoted_gto: str
    rollback: list[str]
    staging: list[str]
    staged_holders: dict[str, str]


def gto(root: Path, *args: str) -> str:
    done = subprocess.run([str(BIN / "gto"), *args], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def gto_in_stage(root: Path, stage: str) -> str:
    """What the `gto` CLI says holds `stage` (gto 1.x has no `which`: `show name#stage --version`)."""
    return gto(root, "show", f"{NAME}#{stage}", "--version")


def tags(root: Path) -> set[str]:
    return set(git(root, "tag", "--list").split())


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        for key, value in GIT_IDENTITY.items():
            monkeypatch.setenv(key, value)
        root = init_repo(
            tmp_path_factory.mktemp("registry"), {".gto": "stages: [staging, production]\n", "model.txt": "one\n"}
        )
        commits = {"v1.0.0": head_commit(root)}
        (root / "model.txt").write_text("two\n", encoding="utf-8")
        git(root, "commit", "-q", "-am", "second")
        commits["v1.1.0"] = head_commit(root)
        records = {
            "v1.0.0": make_record("v1.0.0", commits["v1.0.0"]),
            "v1.1.0": make_record("v1.1.0", commits["v1.1.0"], training="training-2"),
        }
        registered = [registry_state.register(root, NAME, commits[v], v, records[v]) for v in ("v1.0.0", "v1.1.0")]
        first_assignment = registry_state.assign(root, NAME, "v1.0.0", "production", "release v1.0.0")
        promotion = registry_state.assign(root, NAME, "v1.1.0", "production", "release v1.1.0")
        promoted_holders = registry_state.holders(root, NAME)
        promoted_gto = gto_in_stage(root, "production")
        rollback = registry_state.assign(root, NAME, "v1.0.0", "production", "rollback to v1.0.0")
        staging = registry_state.assign(root, NAME, "v1.1.0", "staging", "stage v1.1.0")
        staged_holders = registry_state.holders(root, NAME)
        registry_state._wait_for_next_second(root, NAME)
        gto(root, "deprecate", NAME, "v1.1.0", "staging", "--message", "unstage by hand")
        yield Registry(
            root=root,
            commits=commits,
            records=records,
            registered=registered,
            first_assignment=first_assignment,
            promotion=promotion,
            promoted_holders=promoted_holders,
            promoted_gto=promoted_gto,
            rollback=rollback,
            staging=staging,
            staged_holders=staged_holders,
        )


def test_register_tags_the_version_at_its_commit(registry: Registry) -> None:
    assert registry.registered == ["churn@v1.0.0", "churn@v1.1.0"]
    for version, commit in registry.commits.items():
        assert commit_of(registry.root, f"churn@{version}") == commit


def test_first_assignment_of_a_stage_creates_one_tag(registry: Registry) -> None:
    assert registry.first_assignment == ["churn#production#1"]
    assert registry.staging == ["churn#staging#6"]


def test_promotion_moves_production_and_gto_agrees(registry: Registry) -> None:
    # the new holder's tag comes first: production is never empty between the two
    assert registry.promotion == ["churn#production!#3", "churn#production#2"]
    assert registry.promoted_holders == {"production": "v1.1.0"}
    assert registry.promoted_gto == "v1.1.0"


def test_giving_production_back_makes_holders_and_gto_agree(registry: Registry) -> None:
    assert registry.rollback == ["churn#production!#5", "churn#production#4"]
    assert registry_state.holders(registry.root, NAME)["production"] == "v1.0.0"
    assert gto_in_stage(registry.root, "production") == "v1.0.0"


def test_stages_are_held_independently(registry: Registry) -> None:
    assert registry.staged_holders == {"production": "v1.0.0", "staging": "v1.1.0"}


def test_an_unassignment_made_with_gto_frees_the_stage(registry: Registry) -> None:
    assert registry_state.holders(registry.root, NAME) == {"production": "v1.0.0"}
    assert gto_in_stage(registry.root, "staging") == ""


def test_stage_events_are_in_the_order_they_happened(registry: Registry) -> None:
    events = [(e.stage, e.version, e.assigned) for e in registry_state.stage_events(registry.root, NAME)]
    assert events == [
        ("production", "v1.0.0", True),
        ("production", "v1.1.0", True),
        ("production", "v1.0.0", False),
        ("production", "v1.0.0", True),
        ("production", "v1.1.0", False),
        ("staging", "v1.1.0", True),
        ("staging", "v1.1.0", False),
    ]


def test_versions_are_newest_first_with_records_and_stages(registry: Registry) -> None:
    found = registry_state.versions(registry.root, NAME)
    assert [(v.version, v.tag, v.commit, v.stages) for v in found] == [
        ("v1.1.0", "churn@v1.1.0", registry.commits["v1.1.0"], []),
        ("v1.0.0", "churn@v1.0.0", registry.commits["v1.0.0"], ["production"]),
    ]
    assert [v.record for v in found] == [registry.records["v1.1.0"], registry.records["v1.0.0"]]
    assert {v.author for v in found} == {"Factory Tests <tests@example.com>"}


def test_find_version_returns_the_version(registry: Registry) -> None:
    found = registry_state.find_version(registry.root, NAME, "v1.0.0")
    assert (found.version, found.record) == ("v1.0.0", registry.records["v1.0.0"])


def test_find_version_of_an_unknown_version_lists_the_known_ones(registry: Registry) -> None:
    with pytest.raises(FactoryError, match=r"^churn: unknown version 'v9\.9\.9' \(known: v1\.1\.0, v1\.0\.0\)$"):
        registry_state.find_version(registry.root, NAME, "v9.9.9")


def test_assign_to_an_unknown_stage_is_an_error_and_creates_no_tag(registry: Registry) -> None:
    before = tags(registry.root)
    with pytest.raises(FactoryError, match=r"unknown stage 'prod'; expected one of: staging, production"):
        registry_state.assign(registry.root, NAME, "v1.1.0", "prod", "typo")
    assert tags(registry.root) == before


def test_assign_to_the_version_already_holding_the_stage_does_nothing(registry: Registry) -> None:
    before = tags(registry.root)
    assert registry_state.assign(registry.root, NAME, "v1.0.0", "production", "again") == []
    assert tags(registry.root) == before
    assert registry_state.holders(registry.root, NAME)["production"] == "v1.0.0"


def test_an_assignment_left_half_done_is_completed_by_the_next_one(tmp_path: Path) -> None:
    """A command killed between the new holder's tag and the old one's unassignment: the stage is
    held by the new version, and assigning it again writes only the missing unassignment."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for key, value in GIT_IDENTITY.items():
            monkeypatch.setenv(key, value)
        root = init_repo(tmp_path, {".gto": "stages: [staging, production]\n", "model.txt": "one\n"})
        for version in ("v1.0.0", "v1.1.0"):
            (root / "model.txt").write_text(version, encoding="utf-8")
            git(root, "commit", "-q", "-am", version)
            registry_state.register(root, NAME, head_commit(root), version, make_record(version, head_commit(root)))
        registry_state.assign(root, NAME, "v1.0.0", "production", "first")
        registry_state._wait_for_next_second(root, NAME)
        # what a killed `assign` leaves: the new holder's tag without the old holder's unassignment
        gto(root, "assign", NAME, "--stage", "production", "--version", "v1.1.0", "--force")
        assert registry_state.holders(root, NAME) == {"production": "v1.1.0"}
        assert registry_state.assign(root, NAME, "v1.1.0", "production", "again") == ["churn#production!#3"]
        assert registry_state.assign(root, NAME, "v1.1.0", "production", "again") == []
        assert gto_in_stage(root, "production") == "v1.1.0"


def test_artifact_without_tags_has_no_versions(registry: Registry) -> None:
    assert registry_state.versions(registry.root, "no-such-model") == []
    assert registry_state.holders(registry.root, "no-such-model") == {}
    with pytest.raises(FactoryError, match=r"\(known: none released\)"):
        registry_state.find_version(registry.root, "no-such-model", "v1.0.0")
