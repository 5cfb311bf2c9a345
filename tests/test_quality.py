"""Data-quality tests on the prepared rows: what each finds, what the policy makes of it, the stage's refusal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from factory.artifacts.params import load_use_case_params
from factory.artifacts.quality import errors, quality_findings, read_findings, write_findings
from factory.compose import load_project
from factory.errors import DataValidationError
from factory.paths import ProjectPaths
from factory.spec import Quality, UseCaseParams
from factory.stages import run_stage


@pytest.fixture
def churn(project: Path) -> UseCaseParams:
    return load_use_case_params(ProjectPaths(project).use_case("churn"))


def table(rows: int, seed: int) -> pd.DataFrame:
    """Rows shaped like churn's prepared table: noisy features, a target they predict only partly."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.uniform(18, 90, rows),
            "tenure_months": rng.integers(0, 72, rows).astype("float64"),
            "monthly_charges": rng.uniform(10, 200, rows),
            "discount": rng.uniform(0, 0.3, rows),
            "support_calls": rng.integers(0, 9, rows).astype("float64"),
            "paperless_billing": rng.integers(0, 2, rows).astype("float64"),
            "avg_monthly_minutes": rng.uniform(0, 900, rows),
            "data_gb": rng.uniform(0, 50, rows),
            "dropped_calls": rng.integers(0, 20, rows).astype("float64"),
            "days_since_last_login": rng.integers(0, 90, rows).astype("float64"),
            "region": rng.choice(["north", "south", "east", "west"], rows),
            "plan": rng.choice(["basic", "plus", "premium"], rows),
        }
    )
    frame["churned"] = (frame["support_calls"] + rng.normal(0, 3, rows)) > 5
    return frame


def with_policy(params: UseCaseParams, **changes: str | float) -> UseCaseParams:
    assert params.quality is not None
    return params.model_copy(update={"quality": params.quality.model_copy(update=changes)})


def test_honest_rows_raise_nothing(churn: UseCaseParams) -> None:
    assert quality_findings(table(400, 1), table(100, 2), churn) == []


def test_each_test_finds_its_problem(churn: UseCaseParams) -> None:
    train, test = table(400, 1), table(100, 2)
    train["discount"] = 0.1  # constant
    train.loc[train.index[:300], "data_gb"] = np.nan  # 75% missing
    train["tenure_months"] = np.arange(400) * 0.5  # unique per row, but a float measures, it does not name
    train["support_calls"] = np.arange(400)  # an integer unique per row: an id
    for frame in (train, test):
        frame["dropped_calls"] = frame["churned"].astype("float64") * 7  # the target in disguise
    found = {(f.test, f.feature): f for f in quality_findings(train, test, churn)}
    assert found[("constant_feature", "discount")].detail == "1 distinct value(s) in 400 training rows"
    assert found[("mostly_missing", "data_gb")].detail == "missing in 75% of the training rows (over 50%)"
    assert ("identifier_feature", "support_calls") in found and ("identifier_feature", "tenure_months") not in found
    leak = found[("leaking_feature", "dropped_calls")]
    assert leak.action == "error" and leak.detail.startswith("alone scores 1.0000 on the test rows")
    assert [f.test for f in errors(list(found.values()))] == ["leaking_feature"]
    quiet = with_policy(churn, leaking_feature="off", constant_feature="error", train_test_overlap="off")
    tests = {(f.test, f.action) for f in quality_findings(train, test, quiet)}
    assert ("constant_feature", "error") in tests and not {t for t, _ in tests} & {
        "leaking_feature",
        "train_test_overlap",
    }


def test_rows_in_both_sets_are_counted(churn: UseCaseParams) -> None:
    train, test = table(400, 1), table(100, 2)
    test = pd.concat([train.iloc[:5], test.iloc[5:]], ignore_index=True)
    (found,) = quality_findings(train, test, churn)
    assert found.line() == "warn: train_test_overlap: 5 of the 100 test rows are also training rows"


def test_a_rare_class_cannot_be_told_to_leak(churn: UseCaseParams) -> None:
    train, test = table(400, 1), table(100, 2)
    for frame in (train, test):
        frame["churned"] = False
        frame.loc[frame.index[0], "churned"] = True  # the most frequent class alone is 99% right
    assert not [f for f in quality_findings(train, test, churn) if f.test == "leaking_feature"]


def test_findings_round_trip_through_quality_json(churn: UseCaseParams, tmp_path: Path) -> None:
    train = table(400, 1).assign(discount=0.1)
    findings = quality_findings(train, table(100, 2), churn)
    write_findings(tmp_path / "quality.json", findings, churn.quality)
    assert read_findings(tmp_path / "quality.json") == findings
    assert read_findings(tmp_path / "missing.json") == []


def test_the_policy_merges_defaults_and_a_use_case_override(project: Path) -> None:
    config = project / "use_cases/churn/config.yaml"
    config.write_text(config.read_text() + "quality:\n  leaking_feature: warn\n  missing_share: 0.8\n")
    spec = load_project(ProjectPaths(project), ["churn"]).use_cases["churn"]
    assert spec.quality == Quality(
        constant_feature="warn",
        mostly_missing="warn",
        missing_share=0.8,
        identifier_feature="warn",
        leaking_feature="warn",
        leakage_score=0.99,
        train_test_overlap="warn",
        uninformative_feature="warn",
        importance_repeats=5,
        numerical_stability="error",
    )


def test_a_leaking_feature_stops_prepare_and_writes_nothing(project: Path) -> None:
    config_file = project / "use_cases/churn/config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["prepare"] = [
        {"component": "derive_column", "params": {"column": "churn_flag", "op": "multiply", "inputs": ["churned", 1]}}
    ]
    config["features"]["numeric"].append("churn_flag")
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    from factory.compile import compiled

    compiled(ProjectPaths(project))
    for product in ("customers", "customer-usage"):
        run_stage("data-product", product, project)
    with pytest.raises(DataValidationError) as caught:
        run_stage("prepare", "churn", project)
    message = str(caught.value)
    assert message.startswith("use_cases/churn/config.yaml: data-quality test(s) failed")
    assert "error: leaking_feature: feature 'churn_flag': alone scores 1.0000" in message
    paths = ProjectPaths(project).use_case("churn")
    assert not paths.train_data.exists() and not paths.quality.exists()


def test_an_unquoted_off_is_off(project: Path) -> None:
    """YAML 1.1 reads `off` as false; the quality policy takes it as the `off` it was written as."""
    from factory.compose import load_products, load_use_case

    config = project / "use_cases/churn/config.yaml"
    config.write_text(config.read_text() + "quality:\n  constant_feature: off\n")
    paths = ProjectPaths(project)
    spec = load_use_case(paths, "churn", load_products(paths))
    assert spec.quality is not None and spec.quality.constant_feature == "off"
