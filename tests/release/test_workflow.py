"""Version numbering, approvals.yaml and the failure message of a release, without building anything."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from factory.errors import ConfigError, GatesFailed
from factory.paths import ProjectPaths, UseCasePaths
from factory.release.records import GateResult, ReleaseRecord
from factory.release.registry_state import VersionInfo
from factory.release.workflow import ReleaseOutcome, ReleasePlan, _next_version, find_approval
from tests.release.test_records import FAILING, PASSING, make_record


def info(version: str, record: ReleaseRecord | None) -> VersionInfo:
    return VersionInfo(
        version=version,
        tag=f"churn@{version}",
        commit="a" * 40,
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        author="Factory Tests <tests@example.com>",
        record=record,
    )


def released(version: str, contract: str = "contract-1", training: str = "training-1") -> VersionInfo:
    return info(version, make_record(version=version, contract=contract, training=training))


# ---------------------------------------------------------------- _next_version


def test_first_version_is_1_0_0() -> None:
    assert _next_version([], "contract-1", "training-1") == "v1.0.0"


def test_versions_without_a_record_do_not_count() -> None:
    assert _next_version([info("v3.0.0", None), info("v2.1.0", None)], "contract-1", "training-1") == "v1.0.0"


@pytest.mark.parametrize(
    ("contract", "training", "expected"),
    [
        ("contract-2", "training-1", "v2.0.0"),
        ("contract-2", "training-2", "v2.0.0"),
        ("contract-1", "training-2", "v1.3.0"),
        ("contract-1", "training-1", "v1.2.4"),
    ],
    ids=["new-contract", "new-contract-and-training", "new-training", "same-config"],
)
def test_bump_follows_what_changed(contract: str, training: str, expected: str) -> None:
    assert _next_version([released("v1.2.3")], contract, training) == expected


def test_bump_starts_from_the_newest_version_with_a_record() -> None:
    known = [info("v2.0.0", None), released("v1.4.1"), released("v1.0.0", contract="old", training="old")]
    assert _next_version(known, "contract-1", "training-1") == "v1.4.2"
    assert _next_version(known, "contract-1", "training-2") == "v1.5.0"


def test_bump_compares_with_the_newest_record_not_an_older_one() -> None:
    known = [released("v2.0.0", contract="contract-2"), released("v1.0.0", contract="contract-1")]
    assert _next_version(known, "contract-1", "training-1") == "v3.0.0"
    assert _next_version(known, "contract-2", "training-1") == "v2.0.1"


# ---------------------------------------------------------------- find_approval

APPROVALS = """\
approvals:
  - version: v1.0.0
    approved_by: risk@example.com
    approved_at: "2024-05-01"
  - version: v1.1.0
    approved_by: cro@example.com
    approved_at: "2024-06-01T10:00:00Z"
    note: reviewed the drift report
"""


@pytest.fixture
def use_case(tmp_path: Path) -> UseCasePaths:
    paths = ProjectPaths(tmp_path).use_case("x")
    paths.folder.mkdir(parents=True)
    return paths


def write_approvals(paths: UseCasePaths, text: str) -> None:
    (paths.folder / "approvals.yaml").write_text(text, encoding="utf-8")


def test_approval_of_the_version_is_found(use_case: UseCasePaths) -> None:
    write_approvals(use_case, APPROVALS)
    approval = find_approval(use_case, "v1.1.0")
    assert approval is not None
    assert (approval.version, approval.approved_by, approval.approved_at, approval.note) == (
        "v1.1.0",
        "cro@example.com",
        "2024-06-01T10:00:00Z",
        "reviewed the drift report",
    )
    assert find_approval(use_case, "v1.0.0") == approval.model_copy(
        update={"version": "v1.0.0", "approved_by": "risk@example.com", "approved_at": "2024-05-01", "note": ""}
    )


def test_no_approvals_file_means_no_approval(use_case: UseCasePaths) -> None:
    assert find_approval(use_case, "v1.0.0") is None


@pytest.mark.parametrize("text", [APPROVALS, "", "approvals: []\n"], ids=["other-versions", "empty", "empty-list"])
def test_no_matching_approval_means_none(use_case: UseCasePaths, text: str) -> None:
    write_approvals(use_case, text)
    assert find_approval(use_case, "v2.0.0") is None


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ("version: v1.0.0\n    approved_by: not-an-email\n    approved_at: today", "approvals.0.approved_by"),
        ("version: 1.0.0\n    approved_by: a@example.com\n    approved_at: today", "approvals.0.version"),
        ("version: v1.0\n    approved_by: a@example.com\n    approved_at: today", "approvals.0.version"),
        ("version: v1.0.0\n    approver: a@example.com\n    approved_at: today", "approvals.0.approver"),
    ],
    ids=["bad-email", "version-without-v", "version-two-parts", "unknown-key"],
)
def test_invalid_approvals_file_is_a_config_error_naming_file_and_key(
    use_case: UseCasePaths, entry: str, key: str
) -> None:
    write_approvals(use_case, f"approvals:\n  - {entry}\n")
    with pytest.raises(ConfigError) as caught:
        find_approval(use_case, "v1.0.0")
    assert caught.value.file == "use_cases/x/approvals.yaml"
    assert key in [problem.key for problem in caught.value.problems]
    assert "use_cases/x/approvals.yaml" in str(caught.value)
    assert f"{key}: expected" in str(caught.value)


def test_unknown_top_level_key_is_a_config_error(use_case: UseCasePaths) -> None:
    write_approvals(use_case, "approval:\n  - version: v1.0.0\n")
    with pytest.raises(ConfigError, match=r"use_cases/x/approvals\.yaml(.|\n)*approval: expected no such key"):
        find_approval(use_case, "v1.0.0")


@pytest.mark.parametrize(
    "text",
    [
        "- version: v1.0.0\n  approved_by: a@example.com\n  approved_at: today\n",  # the list without `approvals:`
        "approvals: [\n",  # not YAML
    ],
    ids=["top-level-list", "yaml-syntax-error"],
)
def test_unreadable_approvals_file_is_a_config_error(use_case: UseCasePaths, text: str) -> None:
    write_approvals(use_case, text)
    with pytest.raises(ConfigError, match=r"use_cases/x/approvals\.yaml"):
        find_approval(use_case, "v1.0.0")


# ---------------------------------------------------------------- ReleaseOutcome.raise_for_failure


def outcome(gates: list[GateResult], approval_required: bool = False) -> ReleaseOutcome:
    plan = ReleasePlan(
        name="churn",
        stage="production",
        record=make_record(gates=gates),
        existing=None,
        champion=None,
        approval_required=approval_required,
        approval=None,
    )
    return ReleaseOutcome(plan)


def test_passing_plan_does_not_raise() -> None:
    outcome([PASSING]).raise_for_failure()


def test_failed_gates_are_listed() -> None:
    with pytest.raises(GatesFailed) as caught:
        outcome([PASSING, FAILING]).raise_for_failure()
    assert str(caught.value) == ("churn: not released; accuracy (champion): 0.8000 >= 0.8500 (production 0.8500)")
    assert caught.value.exit_code == 1


def test_missing_required_approval_is_a_reason() -> None:
    with pytest.raises(GatesFailed) as caught:
        outcome([PASSING], approval_required=True).raise_for_failure()
    assert str(caught.value) == (
        "churn: not released; no approval for v1.0.0 in use_cases/churn/approvals.yaml (risk tier high)"
    )
