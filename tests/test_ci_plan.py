"""`factory ci plan`: exactly the use cases a change affects, against a real Git history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory.ci.plan import plan_ci
from factory.errors import FactoryError
from tests.conftest import Runner, init_repo, run_factory


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Runner]:
    root = tmp_path_factory.mktemp("ci") / "repo"
    return root, init_repo(root)


def planned_after(repo: tuple[Path, Runner], *edits: str) -> dict[str, list[str]]:
    """Commit an edit of each file on a branch, plan against main, then drop the branch."""
    root, run = repo
    run("git", "checkout", "-q", "-b", "change", check=True)
    try:
        for path in edits:
            file = root / path
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text((file.read_text() if file.exists() else "") + "\n# changed\n")
        run("git", "add", "-A", check=True)
        run("git", "commit", "-q", "-m", "change", check=True)
        return {item.name: item.because for item in plan_ci(root, "main")}
    finally:
        run("git", "checkout", "-q", "main", check=True)
        run("git", "branch", "-q", "-D", "change", check=True)


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        (["README.md"], []),
        (["components/models/logistic_regression.py"], ["wine-cultivar"]),
        (["components/metrics/rmse.py"], ["customer-value", "shuttle-prices"]),
        (["components/sources/excel_file.py"], ["shuttle-prices"]),
        (["data/raw/shuttle_reviews.csv"], ["shuttle-prices"]),
        # shared by the three models with a seed (least squares has none)
        (["components/models/_params.py"], ["churn", "customer-value", "wine-cultivar"]),
        (["conf/model/random_forest.yaml"], ["churn"]),
        (["conf/release/default.yaml"], ["churn", "customer-value", "shuttle-prices", "wine-cultivar"]),
        (["conf/data/customers.yaml"], ["churn", "customer-value"]),
        (["components/transforms/parse_currency.py"], ["churn", "customer-value"]),
        (["components/sources/sklearn_dataset.py"], ["wine-cultivar"]),
        (["use_cases/churn/config.yaml"], ["churn"]),
        (["use_cases/churn/approvals.yaml"], ["churn"]),  # an approval alone must reach release
        (["factory/stages/train.py"], ["churn", "customer-value", "shuttle-prices", "wine-cultivar"]),
        (["pyproject.toml"], ["churn", "customer-value", "shuttle-prices", "wine-cultivar"]),
    ],
)
def test_plan_names_exactly_the_affected_use_cases(
    repo: tuple[Path, Runner], edits: list[str], expected: list[str]
) -> None:
    planned = planned_after(repo, *edits)
    assert sorted(planned) == expected
    for because in planned.values():
        assert because == sorted(edits)


def test_plan_formats_and_bad_base(repo: tuple[Path, Runner]) -> None:
    root, run = repo
    run("git", "checkout", "-q", "-b", "formats", check=True)
    try:
        (root / "conf/model/ridge.yaml").write_text((root / "conf/model/ridge.yaml").read_text() + "# tuned\n")
        run("git", "commit", "-q", "-am", "tune ridge", check=True)
        code, output = run_factory(run, "ci", "plan", "--base", "main")
        assert code == 0 and output == "customer-value\n"
        code, output = run_factory(run, "ci", "plan", "--base", "main", "--format", "matrix")
        assert code == 0 and json.loads(output) == {"include": [{"use_case": "customer-value"}]}
        code, output = run_factory(run, "ci", "plan", "--base", "main", "--format", "json")
        assert json.loads(output) == [{"use_case": "customer-value", "because": ["conf/model/ridge.yaml"]}]
        code, output = run_factory(run, "ci", "plan", "--base", "no-such-branch")
        assert code == 2 and "cannot compare with base 'no-such-branch'" in output and "Traceback" not in output
        with pytest.raises(FactoryError, match="expected a Git revision"):
            plan_ci(root, "no-such-branch")
    finally:
        run("git", "checkout", "-q", "main", check=True)
