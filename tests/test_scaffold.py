"""Scaffolding: every template baked over several option combinations, refusals that write nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from factory.compose import load_project
from factory.errors import ConfigError
from factory.paths import ProjectPaths
from factory.scaffold import TEMPLATES, UseCaseAnswers, new_component, new_data_product, new_use_case
from tests.conftest import BIN, REPO, Runner, init_repo, project_env, run_factory, snapshot

USE_CASE_COMBINATIONS = [
    ("binary_classification", "customers", "churned", "random_forest", "high"),
    ("binary_classification", "customer-usage", "days_since_last_login", "logistic_regression", "low"),
    ("multiclass_classification", "wine", "cultivar", "logistic_regression", "medium"),
    ("multiclass_classification", "customers", "plan", "random_forest", "low"),
    ("regression", "customers", "annual_value", "ridge", "low"),
    ("regression", "wine", "proline", "gradient_boosting_regressor", "medium"),
]


def answers(name: str, task: str, product: str, target: str, model: str, risk: str = "low") -> UseCaseAnswers:
    return UseCaseAnswers(
        name=name, task=task, product=product, target=target, model=model, owner="owner@example.com", risk_tier=risk
    )


@pytest.mark.parametrize(("task", "product", "target", "model", "risk"), USE_CASE_COMBINATIONS)
def test_use_case_template_bakes_a_valid_compiled_use_case(
    project: Path, task: str, product: str, target: str, model: str, risk: str
) -> None:
    written = new_use_case(project, answers("baked", task, product, target, model, risk))
    folder = project / "use_cases" / "baked"
    assert {path.name for path in written} == {"config.yaml", "dvc.yaml", "params.yaml"}
    config = (folder / "config.yaml").read_text()
    assert "{{" not in config and "{%" not in config
    lines = [line for line in config.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert len(lines) <= 25
    spec = load_project(ProjectPaths(project), ["baked"]).use_cases["baked"]
    assert spec.task == task and spec.target == target and spec.risk_tier == risk
    assert target not in spec.features.columns
    assert not list(project.glob("use_cases/.new-*"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": "churn"}, "a name no use case has yet"),
        ({"name": "../escape"}, "a slug"),
        ({"name": "Bad_Name"}, "a slug"),
        ({"product": "weather"}, "a data product in conf/data/"),
        ({"target": "churn_flag"}, "a column of customers"),
        ({"model": "xgboost"}, "a preset in conf/model/"),
        ({"model": "ridge"}, "a preset whose model suits binary_classification"),
        ({"task": "ranking"}, "one of binary_classification"),
        ({"owner": "nobody"}, "an e-mail address"),
    ],
)
def test_bad_use_case_answers_are_refused_and_nothing_is_written(
    project: Path, change: dict[str, str], expected: str
) -> None:
    base = {
        "name": "new-one",
        "task": "binary_classification",
        "product": "customers",
        "target": "churned",
        "model": "random_forest",
        "owner": "owner@example.com",
    }
    before = snapshot(project)
    with pytest.raises(ConfigError) as caught:
        new_use_case(project, UseCaseAnswers(**{**base, **change}))
    assert expected in str(caught.value)
    assert snapshot(project) == before


def test_the_template_hook_refuses_a_bad_name_before_writing(tmp_path: Path) -> None:
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(TEMPLATES / "use-case"), no_input=True, output_dir=str(tmp_path), extra_context={"name": "Not A Slug"}
        )
    assert list(tmp_path.iterdir()) == []


def test_component_template_bakes_registered_components_whose_tests_pass(project: Path) -> None:
    shutil.copytree(REPO / "tests", project / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    kinds = ("source", "transform", "feature", "model", "metric")
    baked = {kind: new_component(project, kind, f"baked_{kind}") for kind in kinds}
    for kind, (module, test) in baked.items():
        assert module == project / "components" / f"{kind}s" / f"baked_{kind}.py"
        for path in (module, test):
            text = path.read_text()
            assert "{{" not in text and "{%" not in text
    files = [str(path) for pair in baked.values() for path in pair]
    env = project_env(project)
    tests = [str(test) for _, test in baked.values()]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests, "tests/components/test_contract.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" not in done.stdout  # the contract test ran too, over the new components
    listing = subprocess.run(
        [str(BIN / "factory"), "components"], cwd=project, env=env, capture_output=True, text=True, check=True
    ).stdout
    for kind in kinds:
        assert f"baked_{kind}" in listing
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--quiet", *files], cwd=project, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


def test_bad_component_requests_are_refused(project: Path) -> None:
    before = snapshot(project)
    for kind, name, expected in (
        ("widget", "x_y", "one of source"),
        ("model", "Bad-Name", "a Python-style name"),
        ("model", "ridge", "a name no model component has yet"),
    ):
        with pytest.raises(ConfigError, match=expected):
            new_component(project, kind, name)
    assert snapshot(project) == before


def loans(rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    return pd.DataFrame(
        {
            "loan_id": np.arange(rows),
            "amount": rng.gamma(2.0, 1000.0, rows).round(2),
            "grade": rng.choice(["A", "B", "C"], rows),
            "defaulted": rng.random(rows) < 0.25,
            "income": np.where(rng.random(rows) < 0.1, np.nan, rng.normal(50_000, 9_000, rows)),
        }
    )


@pytest.mark.e2e
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_data_product_from_a_file_is_tracked_declared_and_a_baked_use_case_builds(tmp_path: Path, suffix: str) -> None:
    run = init_repo(tmp_path / "repo")
    root = tmp_path / "repo"
    source = tmp_path / f"loans{suffix}"
    frame = loans()
    writers = {".csv": frame.to_csv, ".parquet": frame.to_parquet, ".xlsx": frame.to_excel}
    writers[suffix](source, index=False)

    code, output = run_factory(run, "new", "data-product", "--from", str(source), "--owner", "data@example.com")
    assert code == 0, output
    declared = yaml.safe_load((root / "conf/data/loans.yaml").read_text())
    columns = declared["schema"]["columns"]
    assert columns["loan_id"] == {"dtype": "int64", "min": 0, "unique": True}  # the sign, not the sample's max
    assert columns["grade"] == {"dtype": "string", "allowed": ["A", "B", "C"]}
    assert columns["defaulted"]["dtype"] == "bool"
    assert columns["income"]["nullable"] is True
    assert (root / f"data/raw/loans{suffix}.dvc").is_file()
    assert "loans" in yaml.safe_load((root / "dvc.yaml").read_text())["stages"]

    code, output = run_factory(
        run,
        "new",
        "use-case",
        "--name",
        "loan-default",
        "--task",
        "binary_classification",
        "--product",
        "loans",
        "--target",
        "defaulted",
        "--model",
        "logistic_regression",
        "--owner",
        "credit@example.com",
        "--no-input",
    )
    assert code == 0, output
    if suffix == ".xlsx":  # the baked use case builds with plain `dvc repro`, its product read from Excel
        run(sys.executable, "-m", "dvc", "repro", "use_cases/loan-default/dvc.yaml", check=True)
        assert (root / "use_cases/loan-default/artifacts/metrics.json").is_file()
    code, output = run_factory(run, "new", "data-product", "--from", str(source))
    assert code == 2 and "a name no data product has yet" in output


def test_data_product_refusals_write_nothing(project: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a table")
    (tmp_path / "empty.csv").write_text("a,b\n")
    before = snapshot(project)
    for source, name, expected in (
        (tmp_path / "notes.txt", "notes", "an existing .csv, .parquet, .xlsx or .duckdb file"),
        (tmp_path / "empty.csv", "empty", "a table with rows and columns"),
        (tmp_path / "missing.csv", "missing", "an existing .csv, .parquet, .xlsx or .duckdb file"),
        (tmp_path / "empty.csv", "wine", "a name no data product has yet"),
        (tmp_path / "empty.csv", "Bad Name", "a slug"),
    ):
        with pytest.raises(ConfigError, match=expected):
            new_data_product(project, source, name)
    assert snapshot(project) == before


def test_without_a_terminal_a_missing_answer_says_which_option_to_give(factory_cli: Runner) -> None:
    """stdin closed (CI): no prompt, no "Aborted!", but the option to pass, with exit 2."""
    done = factory_cli("new", "use-case", "--task", "regression")
    assert done.returncode == 2
    assert "there is no terminal to ask for name: give --name" in done.stderr and "--no-input" in done.stderr
    assert "Aborted" not in done.stdout + done.stderr
    done = factory_cli("new", "use-case", "--no-input")
    assert done.returncode == 2 and "a value is required with --no-input: give --name" in done.stderr


def test_the_task_is_proposed_from_the_target(factory_cli: Runner, project: Path) -> None:
    common = ["--product", "customers", "--owner", "sales@example.com", "--no-input"]
    for name, target, task, model in (
        ("value-model", "annual_value", "regression", "gradient_boosting_regressor"),
        ("plan-model", "plan", "multiclass_classification", "random_forest"),
        ("churn-model", "churned", "binary_classification", "random_forest"),
    ):
        done = factory_cli("new", "use-case", "--name", name, "--target", target, *common)
        assert done.returncode == 0, done.stderr
        config = yaml.safe_load((project / f"use_cases/{name}/config.yaml").read_text())
        assert config["task"] == task and {"/model@model": model} in config["defaults"], config


def test_infer_schema_names_where_data_and_declaration_disagree(factory_cli: Runner, project: Path) -> None:
    done = factory_cli("infer-schema", "customers")
    assert done.returncode == 0 and done.stdout.startswith("customers: the declared schema fits the data"), done.stderr
    product_file = project / "conf/data/customers.yaml"
    declared = yaml.safe_load(product_file.read_text())
    declared["schema"]["columns"]["age"]["max"] = 50
    declared["transforms"].append({"component": "rename", "params": {"columns": {"plan": "tariff"}}})
    product_file.write_text(yaml.safe_dump(declared, sort_keys=False))
    done = factory_cli("infer-schema", "customers")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("~ age: declared max 50.0, the data go up to") for line in lines), lines
    assert "- plan: declared, not in the data" in lines
    assert any(
        line.startswith("+ tariff: {'dtype': 'string', 'allowed': ['basic', 'plus', 'premium']}") for line in lines
    )
    assert "tariff:" in done.stdout.split("inferred from the data")[1]
    done = factory_cli("infer-schema", "loans")
    assert done.returncode == 2 and "expected a declared data product" in done.stderr


@pytest.mark.e2e
def test_data_product_from_a_duckdb_file_with_its_query(tmp_path: Path) -> None:
    import duckdb

    run = init_repo(tmp_path / "repo")
    root = tmp_path / "repo"
    source = tmp_path / "fleet.duckdb"
    connection = duckdb.connect(str(source))
    connection.execute(
        "CREATE TABLE ships AS SELECT range AS id, range * 1.5 AS price, 'v' || (range % 3) AS kind FROM range(40)"
    )
    connection.close()
    code, output = run_factory(run, "new", "data-product", "--from", str(source))
    assert code == 2 and "--query goes with a .duckdb file" in output
    query = "SELECT id, price, kind FROM ships ORDER BY id"
    code, output = run_factory(run, "new", "data-product", "--from", str(source), "--query", query)
    assert code == 0, output
    declared = yaml.safe_load((root / "conf/data/fleet.yaml").read_text())
    assert declared["source"] == {
        "component": "sql_query",
        "params": {"database": "data/raw/fleet.duckdb", "query": query},
    }
    assert declared["schema"]["columns"]["kind"] == {"dtype": "string", "allowed": ["v0", "v1", "v2"]}
    assert (root / "data/raw/fleet.duckdb.dvc").is_file()
