"""The governance policy: which model card fields each risk tier must fill in.

It lives in `conf/governance/policy.yaml` and is validated like every other declaration.
A project without the file requires nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from factory.compose import Project, load_project, raise_all
from factory.errors import ConfigError, FactoryError, Problem
from factory.io import read_yaml_mapping
from factory.paths import ProjectPaths
from factory.spec import Card, RiskTier, StrictModel, UseCaseSpec, parse_model

POLICY_FILE = "conf/governance/policy.yaml"


def _card_field(name: str) -> str:
    if name not in Card.model_fields:
        raise ValueError(f"a field of the use case's `card:` section ({', '.join(Card.model_fields)})")
    return name


CardField = Annotated[str, AfterValidator(_card_field)]


class GovernancePolicy(StrictModel):
    """Rules every use case is held to, by risk tier."""

    required_card_fields: dict[RiskTier, list[CardField]] = Field(
        default_factory=dict, description="risk tier -> the `card:` fields its use cases must fill in"
    )

    def required(self, tier: str) -> list[str]:
        """The card fields a use case of risk tier `tier` must fill in."""
        return list(self.required_card_fields.get(tier, []))  # type: ignore[call-overload]


def load_policy(root: Path) -> GovernancePolicy:
    """The project's governance policy; the empty policy when the file does not exist."""
    file = root / POLICY_FILE
    if not file.is_file():
        return GovernancePolicy()
    policy, problems = parse_model(GovernancePolicy, read_yaml_mapping(file, POLICY_FILE))
    if problems:
        raise ConfigError(POLICY_FILE, problems)
    assert isinstance(policy, GovernancePolicy)
    return policy


def missing_card_fields(spec: UseCaseSpec, policy: GovernancePolicy) -> list[str]:
    """The fields the policy requires of this use case's risk tier that its card leaves empty."""
    empty = set(spec.card.missing())
    return [name for name in policy.required(spec.risk_tier) if name in empty]


def policy_problems(spec: UseCaseSpec, policy: GovernancePolicy) -> list[Problem]:
    """One problem per required card field that is missing, worded like every config error."""
    return [
        Problem(
            f"card.{name}",
            f"a value: risk tier {spec.risk_tier} requires it ({POLICY_FILE}); {Card.model_fields[name].description}",
        )
        for name in missing_card_fields(spec, policy)
    ]


def check_project(paths: ProjectPaths, names: list[str] | None = None) -> Project:
    """Validate the project like `load_project`, then hold each use case to the governance policy."""
    project = load_project(paths, names)
    policy = load_policy(paths.root)
    errors: list[FactoryError] = []
    for name, spec in project.use_cases.items():
        problems = policy_problems(spec, policy)
        if problems:
            errors.append(ConfigError(paths.rel(paths.use_case(name).config), problems))
    raise_all(errors)
    return project
