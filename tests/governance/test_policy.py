"""The governance policy: required card fields per risk tier, enforced by `factory check`."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
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


# ---------------------------------------------------------------- column tags


def test_a_banned_column_tag_is_refused_by_check_and_audit(project: Path) -> None:
    from factory.governance.audit import audit

    # churn (medium) learns from age, which customers tags protected: allowed at medium, banned at high.
    edit_config(project, "churn", {"risk_tier": "high"}, [])
    config = yaml.safe_load((project / "use_cases/churn/config.yaml").read_text())
    config["card"].update({key: "set" for key in ("intended_users", "factors", "ethical_considerations")})
    (project / "use_cases/churn/config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        check_project(ProjectPaths(project))
    message = str(caught.value)
    assert message.startswith("use_cases/churn/config.yaml: invalid configuration")
    assert "features.numeric.0: expected a column not tagged protected: risk tier high bans pii, deprecated" in message
    assert "got 'age'" in message
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)  # the audit also reads the release tags
    gaps = [gap for gap in audit(project, now=datetime.now(UTC)).gaps if gap.check == "banned column"]
    assert [gap.use_case for gap in gaps] == ["churn"] and "drop 'age' from features.numeric.0" in gaps[0].fix
    # The policy switched off for the tier: the same config passes.
    policy = yaml.safe_load((project / POLICY_FILE).read_text())
    policy["banned_column_tags"]["high"] = []
    (project / POLICY_FILE).write_text(yaml.safe_dump(policy))
    check_project(ProjectPaths(project))


def test_a_pii_column_is_never_a_feature_or_a_slice(project: Path) -> None:
    edit_config(project, "customer-value", {"evaluation": {"primary_metric": "r2", "slices": ["customer_id"]}}, [])
    config = yaml.safe_load((project / "use_cases/customer-value/config.yaml").read_text())
    config["features"]["numeric"].append("customer_id")
    (project / "use_cases/customer-value/config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        check_project(ProjectPaths(project))
    message = str(caught.value)
    assert "features.numeric.5: expected a column not tagged pii" in message
    assert "evaluation.slices.0: expected a column not tagged pii: slice values are shown in reports" in message


def test_an_unknown_column_tag_names_the_file_and_the_choices(project: Path) -> None:
    from factory.compose import load_products

    file = project / "conf/data/customers.yaml"
    file.write_text(file.read_text().replace("tags: [protected]", "tags: [secret]"))
    with pytest.raises(ConfigError) as caught:
        load_products(ProjectPaths(project))
    message = str(caught.value)
    assert message.startswith("conf/data/customers.yaml: invalid configuration")
    assert "schema.columns.age.tags.0" in message and "'pii', 'protected' or 'deprecated'" in message
