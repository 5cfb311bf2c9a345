"""End to end: a use case made by `factory new use-case`, built, released and monitored once,
scores at least 5 in every section of the ML Test Score; switching any counted check off
takes its point away.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from factory.compile import plan_compile, write_files
from factory.governance.readiness import SECTIONS, readiness
from factory.paths import ProjectPaths
from tests.conftest import REPO, init_repo, make_runner, run_factory

pytestmark = [pytest.mark.e2e, pytest.mark.story]

NAME = "leavers"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose new use case was scaffolded with no extra lines, built, released and monitored."""
    base = tmp_path_factory.mktemp("readiness")
    root = base / "work"
    root.mkdir()
    # What the score reads besides the project: the CI workflows and the component tests.
    shutil.copytree(REPO / ".github", root / ".github")
    shutil.copytree(REPO / "tests" / "components", root / "tests" / "components")
    run = init_repo(root, dvc_remote=base / "dvc-remote")

    def factory(*args: str) -> str:
        code, output = run_factory(run, *args)
        assert code == 0, f"factory {' '.join(args)}:\n{output}"
        return output

    factory(
        "new", "use-case", "--no-input", "--name", NAME, "--product", "customers", "--target", "churned",
        "--owner", "retention@example.com", "--risk-tier", "medium",
    )  # fmt: skip
    factory("build", NAME)
    run("git", "add", "-A", check=True)
    run("git", "commit", "-q", "-m", f"add {NAME}", check=True)
    factory("release", NAME)
    batch = base / "batch.csv"
    factory("simulate", NAME, "--rows", "600", "--seed", "3", "--out", str(batch))
    factory("monitor", NAME, "--input", str(batch), "--labels", "churned")
    return root


def scores(root: Path, days_later: int = 0) -> dict[str, float]:
    """Each rubric test's score for the new use case, scored in this process `days_later` from now."""
    (result,) = readiness(root, [NAME], now=datetime.now(UTC) + timedelta(days=days_later))
    return {test.id: test.score for test in result.tests}


def test_a_new_use_case_scores_at_least_5_in_every_section(repo: Path) -> None:
    code, output = run_factory(make_runner(repo), "readiness", NAME, "--json", "--min", "5")
    assert code == 0, output
    (result,) = json.loads(output)
    assert set(result["sections"]) == set(SECTIONS)
    assert all(score >= 5 for score in result["sections"].values()), result["sections"]
    assert result["final"] >= 5
    counted = {test["id"] for test in result["tests"] if test["score"] == 1}
    assert counted == set(SWITCHES), "each counted point has a switch below that takes it away"
    assert all(test["score"] in (0, 1) for test in result["tests"])


def _edit_yaml(path: Path, change: Callable[[dict], None]) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _config(change: Callable[[dict], None]) -> Callable[[Path], None]:
    return lambda root: _edit_yaml(root / "use_cases" / NAME / "config.yaml", change)


def _set(section: str, key: str, value: object) -> Callable[[dict], None]:
    return lambda data: data.setdefault(section, {}).__setitem__(key, value)


def _policy(change: Callable[[dict], None]) -> Callable[[Path], None]:
    return lambda root: _edit_yaml(root / "conf" / "governance" / "policy.yaml", change)


def _workflow_without(command: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        workflow = root / ".github" / "workflows" / "pr.yml"
        workflow.write_text(workflow.read_text().replace(command, "true"))

    return edit


def _schema_loose(root: Path) -> None:
    _edit_yaml(root / "conf" / "data" / "customers.yaml", lambda d: d["schema"].__setitem__("strict", False))


def _untested(name: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        for test in (root / "tests" / "components").glob("test_*.py"):
            test.write_text(test.read_text().replace(f'"{name}"', '"something-else"'))

    return edit


# Each counted point, and an edit that switches its check off.
SWITCHES: dict[str, Callable[[Path], None]] = {
    "D1": _schema_loose,
    "D2": _config(_set("quality", "uninformative_feature", "off")),
    "D4": _policy(lambda d: d["banned_column_tags"].__setitem__("medium", [])),
    "D5": _policy(lambda d: d["banned_column_tags"].__setitem__("medium", ["deprecated"])),
    "D7": _untested("one_hot_encoder"),
    "M1": _workflow_without("factory check"),
    "M3": _config(lambda d: d["model"].pop("search")),
    "M5": _config(_set("release", "beat_baseline", False)),
    "M6": _config(lambda d: d["evaluation"].__setitem__("slices", [])),
    "M7": _config(_set("release", "slices", {"max_parity_gap": None, "max_opportunity_gap": None})),
    "I1": _workflow_without("factory ci verify"),
    "I2": _untested("random_forest_classifier"),
    "I3": _workflow_without("factory ci plan"),
    "I4": lambda root: _delete_tags(root),
    "I5": lambda root: _delete_tags(root),
    "I7": lambda root: _delete_tags(root),
    "Mo1": _workflow_without("factory ci plan"),
    "Mo2": lambda root: (root / "use_cases" / NAME / "monitoring" / "log.jsonl").unlink(),
    "Mo4": _config(_set("monitoring", "max_age_days", 1)),  # scored two days later
    "Mo5": _config(_set("quality", "numerical_stability", "off")),
    "Mo7": lambda root: _unlabelled_log(root),
}


def _delete_tags(root: Path) -> None:
    run = make_runner(root)
    tags = run("git", "tag", "--list", f"{NAME}*", check=True).stdout.split()
    run("git", "tag", "-d", *tags, check=True)


def _unlabelled_log(root: Path) -> None:
    log = root / "use_cases" / NAME / "monitoring" / "log.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    log.write_text("".join(json.dumps({**record, "efficacy": None}) + "\n" for record in records))


@pytest.mark.parametrize("test_id", sorted(SWITCHES))
def test_switching_a_check_off_takes_its_point_away(repo: Path, tmp_path: Path, test_id: str) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, symlinks=True)
    assert scores(copy)[test_id] == 1
    SWITCHES[test_id](copy)
    write_files(plan_compile(ProjectPaths(copy), [NAME]))  # as `factory compile`, in this process
    after = scores(copy, days_later=2)
    assert after[test_id] == 0
    assert sum(after.values()) < sum(scores(repo, days_later=2).values())


def test_readiness_below_the_bar_exits_1_naming_the_use_case(repo: Path) -> None:
    code, output = run_factory(make_runner(repo), "readiness", NAME, "--min", "6")
    assert code == 1 and f"{NAME} (" in output and "below 6" in output and "Traceback" not in output


def test_explain_steps_a_row_through_the_released_pipeline(repo: Path) -> None:
    batch = repo.parent / "batch.csv"
    code, output = run_factory(make_runner(repo), "explain", NAME, "--input", str(batch), "--row", "2", "--json")
    assert code == 0, output
    found = json.loads(output)
    assert (found["version"], found["row"]) == ("v1.0.0", 2)
    steps = [(step["group"], step["step"]) for step in found["steps"]]
    assert steps[0][0] == "numeric" and any(group == "categorical" for group, _ in steps)
    assert any("one_hot" in name for _, name in steps) and any("imputer" in name for _, name in steps)
    assert abs(sum(found["probabilities"].values()) - 1) < 1e-9
    assert found["contribution_kind"].startswith("change along the decision path")
    assert 0 < len(found["contributions"]) <= 8
    code, output = run_factory(make_runner(repo), "explain", NAME, "--input", str(batch), "--row", "600")
    assert code == 2 and "--row 600 is not a row of the table (it has 600)" in output and "Traceback" not in output
