"""The command line as a user runs it: exit codes, messages, catalogue and schema."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Runner


def test_help_lists_the_commands(factory_cli: Runner) -> None:
    done = factory_cli("--help", check=True)
    for command in ("check", "compile", "build", "show", "components", "schema", "stage"):
        assert command in done.stdout


def test_check_passes_on_the_examples(factory_cli: Runner) -> None:
    done = factory_cli("check", check=True)
    assert "6 data product(s) and 4 use case(s) are valid" in done.stdout


def test_components_lists_every_kind_with_params_and_docs(factory_cli: Runner) -> None:
    done = factory_cli("components", check=True)
    for name in ("synthetic_customers", "parse_currency", "one_hot_encoder", "random_forest_classifier", "roc_auc"):
        assert name in done.stdout
    models = factory_cli("components", "model", check=True).stdout
    assert "ridge" in models and "parse_currency" not in models
    assert "n_estimators" in models
    done = factory_cli("components", "widget")
    assert (
        done.returncode == 2 and "Invalid value for 'kind'" in done.stderr and "'widget' is not one of" in done.stderr
    )


def test_schema_is_json_schema_with_registered_names(factory_cli: Runner) -> None:
    schema = json.loads(factory_cli("schema", check=True).stdout)
    assert schema["title"] == "UseCaseSpec"
    assert "random_forest_classifier" in schema["$defs"]["ModelRef"]["properties"]["component"]["enum"]
    assert "roc_auc" in schema["$defs"]["Evaluation"]["properties"]["primary_metric"]["enum"]
    product = json.loads(factory_cli("schema", "--of", "data-product", check=True).stdout)
    assert "schema" in product["properties"]
    assert factory_cli("schema", "--of", "pipeline").returncode == 2


def test_show_prints_resolved_config_and_status(factory_cli: Runner) -> None:
    done = factory_cli("show", "churn", check=True)
    assert "component: random_forest_classifier" in done.stdout
    assert "n_estimators: 200" in done.stdout
    assert "status: not built" in done.stdout


def test_outside_a_project_is_a_clean_error(factory_cli: Runner, project: Path, tmp_path: Path) -> None:
    import subprocess

    from tests.conftest import BIN, project_env

    done = subprocess.run(
        [str(BIN / "factory"), "check"],
        cwd=tmp_path,
        env=project_env(project),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "not inside a model factory project" in done.stderr
    assert "Traceback" not in done.stderr


def test_usage_errors_exit_2(factory_cli: Runner) -> None:
    done = factory_cli("compile", "--nope")
    assert done.returncode == 2
    assert "No such option" in done.stderr


def test_bad_arguments_are_usage_errors_naming_the_choices(factory_cli: Runner) -> None:
    """A wrong name or choice on the command line is a usage error (exit 2), not an "invalid configuration"."""
    for args, expected in (
        (["show", "nope"], "'nope' is not a use case of this project (one of: churn, customer-value, shuttle-prices"),
        (["build", "churn", "nope"], "Invalid value for 'names': 'nope' is not a use case"),
        (["inventory", "--risk-tier", "extreme"], "'extreme' is not one of 'low', 'medium', 'high'"),
        (
            ["promote", "churn", "--version", "v1.0.0", "--stage", "prod"],
            "'prod' is not one of 'staging', 'production'",
        ),
    ):
        done = factory_cli(*args)
        assert done.returncode == 2, args
        assert expected in done.stderr and "invalid configuration" not in done.stderr, done.stderr
        assert done.stderr.startswith("Usage: factory "), done.stderr


def test_every_validator_words_its_error_as_an_expectation(project: Path) -> None:
    from factory.compose import load_project
    from factory.errors import ConfigError
    from factory.paths import ProjectPaths

    product = project / "conf/data/customers.yaml"
    product.write_text(product.read_text().replace("max: 100,", "max: 10,").replace("min: 18,", "min: 18.0,"))
    config = project / "use_cases/customer-value/config.yaml"
    config.write_text(config.read_text().replace("categorical: [region, plan]", "categorical: [region, plan, age]"))
    try:
        load_project(ProjectPaths(project))
    except ConfigError as exc:
        message = str(exc)
    else:
        raise AssertionError("the broken configs were accepted")
    assert "schema.columns.age: expected min <= max; got min=18.0, max=10.0" in message


def test_a_build_proposes_an_absolute_gate_where_a_use_case_has_none() -> None:
    from factory.render import gate_proposal
    from factory.spec import Evaluation, Release, UseCaseSpec

    spec = UseCaseSpec.model_construct(
        name="plan-advisor", evaluation=Evaluation(primary_metric="accuracy"), release=Release()
    )
    assert gate_proposal(spec, {"accuracy": 0.8733}) == (
        "plan-advisor has no absolute gate on accuracy: from this build, consider "
        "`release: {gates: {accuracy: {min: 0.85}}}` in use_cases/plan-advisor/config.yaml"
    )
    regression = spec.model_copy(update={"evaluation": Evaluation(primary_metric="rmse")})
    assert "{rmse: {max: 461.96}}" in gate_proposal(regression, {"rmse": 419.96})  # 10% above, for an error
    assert gate_proposal(spec, {}) == ""
