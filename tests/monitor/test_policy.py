"""The monitoring policy: defaults from conf/monitoring/, overrides per use case, errors, params.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from factory.compile import plan_compile
from factory.compose import composed_presets, load_project
from factory.errors import ConfigError
from factory.paths import ProjectPaths

NAME = "wine-cultivar"


def with_monitoring(project: Path, section: dict) -> ProjectPaths:
    config = project / "use_cases" / NAME / "config.yaml"
    config.write_text(config.read_text() + yaml.safe_dump({"monitoring": section}))
    return ProjectPaths(project)


def test_every_use_case_gets_the_default_policy(project: Path) -> None:
    paths = ProjectPaths(project)
    defaults = yaml.safe_load(paths.monitoring_defaults.read_text())
    for spec in load_project(paths).use_cases.values():
        assert spec.monitoring is not None
        assert spec.monitoring.model_dump(mode="json") == defaults


def test_overrides_merge_key_by_key(project: Path) -> None:
    paths = with_monitoring(
        project,
        {
            "dataset_drift_share": 0.3,
            "numeric": {"large": {"component": "psi", "params": {"bins": 5}}, "small": {"params": {"threshold": 0.01}}},
        },
    )
    policy = load_project(paths, [NAME]).use_cases[NAME].monitoring
    assert policy is not None
    assert policy.dataset_drift_share == 0.3 and policy.efficacy_tolerance == 0.05
    assert policy.numeric.small.component == "ks" and policy.numeric.small.params == {"threshold": 0.01}
    # A component changed brings its own params, filled in with its defaults (not the old test's).
    assert policy.numeric.large.component == "psi"
    assert policy.numeric.large.params == {"bins": 5, "floor": 0.0001, "threshold": 0.2}
    assert policy.categorical.large.component == "jensen_shannon"


@pytest.mark.parametrize(
    ("section", "key", "expected"),
    [
        ({"numeric": {"small": {"component": "chi_square"}}}, "monitoring.numeric.small.component", "numeric features"),
        ({"categorical": {"large": {"component": "kss"}}}, "monitoring.categorical.large.component", "'ks'"),
        ({"numeric": {"small": {"params": {"threshold": 2}}}}, "monitoring.numeric.small.params.threshold", "less"),
        ({"dataset_drift_share": 0}, "monitoring.dataset_drift_share", "greater than 0"),
        ({"null_share": 0.2}, "monitoring.null_share", "did you mean 'null_share_increase'"),
    ],
)
def test_bad_policies_name_the_key(project: Path, section: dict, key: str, expected: str) -> None:
    paths = with_monitoring(project, section)
    with pytest.raises(ConfigError) as caught:
        load_project(paths, [NAME])
    message = str(caught.value)
    assert f"use_cases/{NAME}/config.yaml" in message and key in message and expected in message


def test_policy_is_compiled_into_params_and_is_a_preset_of_every_use_case(project: Path) -> None:
    paths = with_monitoring(project, {"efficacy_tolerance": 0.02})
    params = next(f for f in plan_compile(paths, [NAME]) if f.path == paths.use_case(NAME).params_yaml)
    compiled = yaml.safe_load(params.content)["monitoring"]
    assert compiled["efficacy_tolerance"] == 0.02 and compiled["numeric"]["large"]["component"] == "wasserstein"
    assert paths.monitoring_defaults in composed_presets(paths, paths.use_case(NAME).config)
