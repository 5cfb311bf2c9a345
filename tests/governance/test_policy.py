"""The governance policy: required card fields per risk tier, enforced by `factory check`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from factory.errors import ConfigError, ErrorGroup
from factory.governance.policy import POLICY_FILE, check_project, load_policy
from factory.paths import ProjectPaths


def edit_config(project: Path, name: str, change: dict[str, object], drop_card: list[str]) -> None:
    file = project / "use_cases" / name / "config.yaml"
    config = yaml.safe_load(file.read_text())
    config.update(change)
    for field in drop_card:
        config["card"].pop(field)
    file.write_text(yaml.safe_dump(config, sort_keys=False))


def test_examples_satisfy_the_policy(project: Path) -> None:
    policy = load_policy(project)
    assert policy.required("high")[-1] == "caveats_and_recommendations" and policy.required("low") == []
    assert set(check_project(ProjectPaths(project)).use_cases) == {
        "churn",
        "customer-value",
        "shuttle-prices",
        "wine-cultivar",
    }


def test_high_risk_with_a_missing_field_fails_naming_file_and_key(project: Path) -> None:
    edit_config(project, "wine-cultivar", {"risk_tier": "high"}, ["ethical_considerations"])
    with pytest.raises(ConfigError) as caught:
        check_project(ProjectPaths(project))
    message = str(caught.value)
    assert message.startswith("use_cases/wine-cultivar/config.yaml: invalid configuration")
    assert f"card.ethical_considerations: expected a value: risk tier high requires it ({POLICY_FILE})" in message
    # The same config at low risk is fine: the low tier requires nothing.
    edit_config(project, "wine-cultivar", {"risk_tier": "low"}, [])
    check_project(ProjectPaths(project))


def test_every_failing_use_case_is_reported(project: Path) -> None:
    edit_config(project, "churn", {}, ["out_of_scope_uses"])  # medium requires it
    edit_config(project, "wine-cultivar", {"risk_tier": "high"}, ["factors", "intended_users"])
    with pytest.raises(ErrorGroup) as caught:
        check_project(ProjectPaths(project))
    message = str(caught.value)
    assert "use_cases/churn/config.yaml" in message and "card.out_of_scope_uses" in message
    assert "card.intended_users" in message and "card.factors" in message


def test_a_bad_policy_names_its_file_and_key(project: Path) -> None:
    (project / POLICY_FILE).write_text("required_card_fields:\n  high: [intended_use, purpose]\n  extreme: []\n")
    with pytest.raises(ConfigError) as caught:
        load_policy(project)
    message = str(caught.value)
    assert message.startswith(f"{POLICY_FILE}: invalid configuration")
    assert "purpose" in message and "required_card_fields.extreme" in message


def test_no_policy_file_requires_nothing(project: Path) -> None:
    (project / POLICY_FILE).unlink()
    assert load_policy(project).required("high") == []
