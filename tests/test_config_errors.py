"""Bad configs give one clear message naming the file, the key and what was expected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from factory.compose import load_project
from factory.errors import ConfigError, ErrorGroup
from factory.paths import ProjectPaths
from tests.conftest import Runner, snapshot


def churn_config(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / "use_cases/churn/config.yaml").read_text())


def write_churn(project: Path, config: dict[str, Any]) -> None:
    (project / "use_cases/churn/config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def problems_for(project: Path, change: Any) -> str:
    config = churn_config(project)
    change(config)
    write_churn(project, config)
    with pytest.raises(ConfigError) as caught:
        load_project(ProjectPaths(project), ["churn"])
    assert caught.value.file == "use_cases/churn/config.yaml"
    return str(caught.value)


def test_the_examples_are_valid(project: Path) -> None:
    loaded = load_project(ProjectPaths(project))
    assert sorted(loaded.use_cases) == ["churn", "customer-value", "shuttle-prices", "wine-cultivar"]
    assert sorted(loaded.products) == [
        "customer-usage",
        "customers",
        "shuttle-companies",
        "shuttle-reviews",
        "shuttles",
        "wine",
    ]
    churn = loaded.use_cases["churn"]
    # The preset from conf/model/ is composed in and its defaults are filled in.
    assert churn.model.component == "random_forest_classifier"
    assert churn.model.params["n_estimators"] == 200
    assert "max_depth" in churn.model.params


def test_unknown_key_suggests_the_right_one(project: Path) -> None:
    message = problems_for(project, lambda c: c.update(evaluaton=c["evaluation"]))
    assert "evaluaton: expected no such key (did you mean 'evaluation'?)" in message


def test_wrong_type_names_key_expected_and_got(project: Path) -> None:
    message = problems_for(project, lambda c: c["split"].update(test_size="a quarter"))
    assert "split.random.test_size" in message or "split.test_size" in message
    assert "'a quarter'" in message


def test_unknown_component_lists_known_ones(project: Path) -> None:
    message = problems_for(project, lambda c: c.update(model={"component": "xgboost"}))
    assert "model.component: expected a registered model component" in message
    assert "random_forest_classifier" in message and "got 'xgboost'" in message


def test_unknown_component_param(project: Path) -> None:
    message = problems_for(
        project, lambda c: c.update(model={"component": "random_forest_classifier", "params": {"n_trees": 10}})
    )
    assert "model.params.n_trees: expected no such key" in message
    assert "n_estimators" in message


def test_component_param_out_of_range(project: Path) -> None:
    message = problems_for(
        project, lambda c: c.update(model={"component": "random_forest_classifier", "params": {"n_estimators": -3}})
    )
    assert "model.params.n_estimators" in message and "got -3" in message


def test_model_for_the_wrong_task(project: Path) -> None:
    message = problems_for(project, lambda c: c.update(model={"component": "ridge"}))
    assert "model.component: expected a model for binary_classification" in message


def test_missing_data_product(project: Path) -> None:
    message = problems_for(project, lambda c: c["data"][1].update(product="web-sessions"))
    assert "data.1.product: expected a data product declared in conf/data/" in message
    assert "'web-sessions'" in message


def test_target_and_feature_not_in_data(project: Path) -> None:
    def change(config: dict[str, Any]) -> None:
        config["target"] = "churn"
        config["features"]["numeric"].append("tenure")

    message = problems_for(project, change)
    assert "target: expected a column of the use case's data (did you mean 'churned'?); got 'churn'" in message
    assert "features.numeric.10: expected a column of the use case's data" in message


def test_metric_for_the_wrong_task_and_gate_on_unknown_metric(project: Path) -> None:
    def change(config: dict[str, Any]) -> None:
        config["evaluation"]["metrics"] = ["rmse"]
        config["release"]["gates"]["precision"] = {"min": 0.5}

    message = problems_for(project, change)
    assert "evaluation.metrics: expected a metric for binary_classification" in message
    assert "release.gates.precision: expected a metric listed under evaluation" in message


def test_name_must_match_folder(project: Path) -> None:
    message = problems_for(project, lambda c: c.update(name="other"))
    assert "name: expected the same name as its file or folder ('churn'); got 'other'" in message


def test_missing_preset(project: Path) -> None:
    message = problems_for(project, lambda c: c.update(defaults=[{"/model@model": "xgboost"}, "_self_"]))
    assert "defaults.0: expected an existing preset in conf/model/" in message
    assert "random_forest" in message


def test_every_bad_file_is_reported(project: Path) -> None:
    for name in ("churn", "wine-cultivar"):
        file = project / "use_cases" / name / "config.yaml"
        file.write_text(file.read_text().replace("risk_tier:", "risk:"))
    with pytest.raises(ErrorGroup) as caught:
        load_project(ProjectPaths(project))
    assert "use_cases/churn/config.yaml" in str(caught.value)
    assert "use_cases/wine-cultivar/config.yaml" in str(caught.value)


def test_bad_data_product(project: Path) -> None:
    file = project / "conf/data/customers.yaml"
    file.write_text(file.read_text().replace("component: parse_currency", "component: parse_curency"))
    with pytest.raises(ConfigError) as caught:
        load_project(ProjectPaths(project))
    assert caught.value.file == "conf/data/customers.yaml"
    assert "transforms.1.component: expected a registered transform component (did you mean 'parse_currency'?)" in str(
        caught.value
    )


@pytest.mark.parametrize("name", ["../x", "Churn", "churn/../../etc", "x-"])
def test_path_like_names_are_refused_before_any_path_is_built(factory_cli: Runner, project: Path, name: str) -> None:
    before = snapshot(project)
    done = factory_cli("compile", name)
    assert done.returncode == 2  # a usage error: the name is checked before anything else happens
    assert f"Invalid value for 'names': {name!r} is not a use case of this project" in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(project) == before


def test_cli_reports_bad_config_with_exit_2_and_writes_nothing(factory_cli: Runner, project: Path) -> None:
    config = churn_config(project)
    config["model"] = {"component": "random_forest_classifier", "params": {"n_estimators": "many"}}
    write_churn(project, config)
    before = snapshot(project)
    for command in (["check"], ["compile"], ["build"]):
        done = factory_cli(*command)
        assert done.returncode == 2, command
        assert "use_cases/churn/config.yaml: invalid configuration" in done.stderr
        assert "model.params.n_estimators" in done.stderr
        assert "Traceback" not in done.stderr
    assert snapshot(project) == before


def test_duplicate_key_names_the_file_and_line(project: Path) -> None:
    config = project / "use_cases/churn/config.yaml"
    config.write_text(config.read_text() + "target: churned\n")
    with pytest.raises(ConfigError) as caught:
        load_project(ProjectPaths(project), ["churn"])
    message = str(caught.value)
    assert message.startswith("use_cases/churn/config.yaml: invalid configuration")
    assert "target: expected each key once per mapping; got target again at line" in message


def test_a_component_name_registered_twice_is_refused_by_check(factory_cli: Runner, project: Path) -> None:
    """Stages import only the component modules they run, so check is where a duplicate is caught."""
    ridge = project / "components/models/ridge.py"
    (project / "components/models/ridge_again.py").write_text(ridge.read_text())
    done = factory_cli("check")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "component module components.models.ridge_again cannot be imported" in done.stderr
    assert "model component 'ridge' is registered twice" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_target_must_suit_the_task(project: Path) -> None:
    original = churn_config(project)

    def binary_on_three_classes(config: dict[str, Any]) -> None:
        config["target"] = "plan"
        config["features"]["categorical"].remove("plan")

    message = problems_for(project, binary_on_three_classes)
    assert (
        "target: expected exactly two classes for binary_classification (or a boolean); got 3: basic, plus" in message
    )

    def multiclass_on_a_boolean(config: dict[str, Any]) -> None:
        config["task"] = "multiclass_classification"
        config["evaluation"] = {"primary_metric": "accuracy"}
        config["release"] = {"gates": {"accuracy": {"min": 0.5}}}

    write_churn(project, original)
    message = problems_for(project, multiclass_on_a_boolean)
    assert "target: expected at least three classes for multiclass_classification" in message
    assert "got 2: True, False" in message

    def regression_on_text(config: dict[str, Any]) -> None:
        config.update(task="regression", target="region", model={"component": "linear_regression"})
        config["features"]["categorical"].remove("region")
        config["evaluation"] = {"primary_metric": "r2", "slices": []}
        config["release"] = {"gates": {}}
        config["split"] = {"test_size": 0.2}

    write_churn(project, original)
    message = problems_for(project, regression_on_text)
    assert "target: expected a numeric column for regression; got 'region' of dtype string" in message
    assert "split.stratify" not in message  # the default follows the task


def test_the_split_stratifies_by_default_for_classification_only(project: Path) -> None:
    config_file = project / "use_cases/customer-value/config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["split"] = {"test_size": 0.25, "seed": 1}  # a random split, `stratify` left out
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    loaded = load_project(ProjectPaths(project))
    assert loaded.use_cases["churn"].split.stratify is True
    assert loaded.use_cases["customer-value"].split.stratify is False
