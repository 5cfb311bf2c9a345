"""The trust boundary beyond the config text: paths at run time, data in errors, bounds, workflows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import annotated_types
import pandas as pd
import pytest
import yaml
from pydantic import BaseModel

from factory import spec
from factory.datacheck import validate_frame
from factory.errors import DataValidationError
from factory.registry import RunContext
from factory.spec import ColumnSchema, TableSchema
from tests.conftest import BIN, REPO, make_runner, project_env
from tests.security.test_hostile_configs import SECRET, make_template

WORKFLOWS = REPO / ".github" / "workflows"


def spec_models() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(spec).values()
        if isinstance(value, type) and issubclass(value, spec.StrictModel) and value is not spec.StrictModel
    ]


@pytest.mark.parametrize("model", spec_models(), ids=lambda model: model.__name__)
def test_every_count_of_the_spec_is_bounded_and_strict(model: type[BaseModel]) -> None:
    assert model.model_config.get("strict") is True and model.model_config.get("allow_inf_nan") is False
    for name, field in model.model_fields.items():
        kinds = typing.get_args(field.annotation) or (field.annotation,)
        if int not in kinds:
            continue
        lower = any(isinstance(m, annotated_types.Ge | annotated_types.Gt) for m in field.metadata)
        upper = any(isinstance(m, annotated_types.Le | annotated_types.Lt) for m in field.metadata)
        assert lower and upper, f"{model.__name__}.{name} needs a declared range"


def test_a_source_refuses_a_symlink_made_after_the_check(tmp_path: Path) -> None:
    """DVC may run a stage without `factory check`: the file itself is checked when it is read."""
    (tmp_path / "data/raw").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git/config").write_text(f"token = {SECRET}\n")
    (tmp_path / "data/raw/real.csv").write_text("a\n1\n")
    os.symlink("../../.git/config", tmp_path / "data/raw/link.csv")
    os.symlink(tmp_path / ".git", tmp_path / "data/git")
    context = RunContext(root=tmp_path)
    assert context.data_file("data/raw/real.csv") == tmp_path / "data/raw/real.csv"
    for path, expected in (
        ("data/raw/link.csv", "refusing to follow the symlink 'link.csv'"),
        ("data/git/config", "refusing to follow the symlink 'git'"),
        ("data/raw/missing.csv", "no such file"),
        ("data", "no such file"),
        ("data/../.git/config", "outside the project's data/ folder"),
    ):
        with pytest.raises(ValueError, match=expected):
            context.data_file(path)


def test_schema_errors_mask_what_was_not_declared_as_data() -> None:
    """A file that was never data (a credentials file read as CSV) shows only the first characters."""
    frame = pd.DataFrame({"[remote]": [f"secret_access_key = {SECRET}"], "age": [-5]})
    schema = TableSchema(columns={"age": ColumnSchema(dtype="int64", min=0)}, strict=True)
    with pytest.raises(DataValidationError) as caught:
        validate_frame(frame, schema, "data product 'leaky'")
    message = str(caught.value)
    assert SECRET not in message
    assert "column(s) the schema does not declare: '[re'... (8 characters)" in message
    assert "column age: check greater_than_or_equal_to(0.0) failed for 1 value(s); e.g. -5" in message

    long_value = pd.DataFrame({"note": ["x" * 500]})
    with pytest.raises(DataValidationError) as caught:
        validate_frame(long_value, TableSchema(columns={"note": ColumnSchema(dtype="int64")}), "data product 'p'")
    assert "x" * 41 not in str(caught.value)


def _workflow(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def test_pull_requests_run_with_no_secret_and_read_only_permissions() -> None:
    workflow = _workflow("pr.yml")
    assert "secrets." not in yaml.safe_dump(workflow)  # no `${{ secrets.X }}` anywhere
    assert list(workflow[True]) == ["pull_request"]  # not pull_request_target: forks get no secrets
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        extra = job.get("permissions", {})
        assert extra.get("contents", "read") == "read", name
        assert set(extra.values()) <= {"read", "write"} and list(extra) in ([], ["contents", "pull-requests"]), name
        assert job.get("timeout-minutes"), f"job {name} needs a time limit"


def test_the_release_runs_only_on_main_and_gives_secrets_only_to_its_steps_that_push() -> None:
    workflow = _workflow("release.yml")
    assert workflow[True]["push"] == {"branches": ["main"]}
    assert "secrets." not in yaml.safe_dump(workflow.get("env", {})), "secrets at workflow level reach every step"
    (job,) = workflow["jobs"].values()
    assert job["if"] == "github.ref == 'refs/heads/main'"
    assert job.get("timeout-minutes")
    for step in job["steps"]:
        holds_secrets = "secrets." in yaml.safe_dump(step.get("env", {}))
        builds = "factory build" in step.get("run", "")
        assert not (holds_secrets and builds), f"step {step.get('name')!r} builds configs with secrets in reach"


@pytest.mark.e2e
def test_a_refused_batch_leaves_the_last_good_product(tmp_path: Path) -> None:
    root = make_template(tmp_path)
    shutil.rmtree(root / ".git")
    shutil.rmtree(root / ".dvc")
    run = make_runner(root)
    run("git", "init", "-q", "-b", "main", check=True)
    run(sys.executable, "-m", "dvc", "init", "-q", check=True)
    run("git", "add", "-A", check=True)
    run("git", "commit", "-q", "-m", "project", check=True)
    env = project_env(root)

    def factory(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "factory"), *args], cwd=root, env=env, capture_output=True, text=True)

    assert factory("compile").returncode == 0
    built = factory("build")
    assert built.returncode == 0, built.stdout + built.stderr
    product, stats = root / "data/products/flowers.parquet", root / "data/products/flowers.stats.json"
    good = product.read_bytes(), stats.read_bytes()

    csv = root / "data/raw/flowers.csv"
    csv.write_text(csv.read_text().replace(",setosa", ",rose", 3), encoding="utf-8")
    refused = factory("build")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "column species: check isin" in refused.stdout + refused.stderr
    assert (product.read_bytes(), stats.read_bytes()) == good
