"""The governance policy: the model card fields and the column tags each risk tier is held to.

It lives in `conf/governance/policy.yaml` and is validated like every other declaration
(`factory.compose.load_policy`). A project without the file requires nothing.
"""

from __future__ import annotations

from factory.compose import POLICY_FILE, Project, load_policy, load_project, raise_all
from factory.errors import ConfigError, FactoryError, Problem
from factory.paths import ProjectPaths
from factory.spec import Card, DataProductSpec, GovernancePolicy, TimeSplit, UseCaseSpec

__all__ = ["POLICY_FILE", "check_project", "load_policy", "missing_card_fields", "policy_problems"]


def missing_card_fields(spec: UseCaseSpec, policy: GovernancePolicy) -> list[str]:
    """The fields the policy requires of this use case's risk tier that its card leaves empty."""
    empty = set(spec.card.missing())
    return [name for name in policy.required(spec.risk_tier) if name in empty]


def column_tags(spec: UseCaseSpec, products: dict[str, DataProductSpec]) -> dict[str, list[str]]:
    """Each column of the use case's data products -> the tags its product declares for it."""
    tags: dict[str, list[str]] = {}
    for item in spec.data:
        product = products.get(item.product)
        if product is not None:
            for name, column in product.table_schema.columns.items():
                tags.setdefault(name, []).extend(tag for tag in column.tags if tag not in tags.get(name, []))
    return tags


def used_columns(spec: UseCaseSpec) -> list[tuple[str, str]]:
    """(key path, column) for each column the model learns from or is judged by: target, features, split."""
    used = [("target", spec.target)]
    for group in ("numeric", "categorical"):
        used += [(f"features.{group}.{index}", name) for index, name in enumerate(getattr(spec.features, group))]
    if isinstance(spec.split, TimeSplit):
        used.append(("split.column", spec.split.column))
    return used


def tag_problems(spec: UseCaseSpec, products: dict[str, DataProductSpec], policy: GovernancePolicy) -> list[Problem]:
    """Columns whose tags the policy bans for this risk tier, and `pii` columns in slices (reports show slices)."""
    tags = column_tags(spec, products)
    banned = policy.banned(spec.risk_tier)
    problems = []
    for key, column in used_columns(spec):
        hits = [tag for tag in tags.get(column, []) if tag in banned]
        if hits:
            problems.append(
                Problem(
                    key,
                    f"a column not tagged {' or '.join(hits)}: risk tier {spec.risk_tier} bans "
                    f"{', '.join(banned)} ({POLICY_FILE})",
                    repr(column),
                )
            )
    for index, column in enumerate(spec.evaluation.slices):
        if "pii" in tags.get(column, []):
            problems.append(
                Problem(
                    f"evaluation.slices.{index}",
                    "a column not tagged pii: slice values are shown in reports and cards",
                    repr(column),
                )
            )
    return problems


def policy_problems(
    spec: UseCaseSpec, policy: GovernancePolicy, products: dict[str, DataProductSpec] | None = None
) -> list[Problem]:
    """The required card fields left empty, and the banned columns used, worded like every config error."""
    problems = [
        Problem(
            f"card.{name}",
            f"a value: risk tier {spec.risk_tier} requires it ({POLICY_FILE}); {Card.model_fields[name].description}",
        )
        for name in missing_card_fields(spec, policy)
    ]
    return problems + tag_problems(spec, products or {}, policy)


def check_project(paths: ProjectPaths, names: list[str] | None = None) -> Project:
    """Validate the project like `load_project`, then hold each use case to the governance policy."""
    project = load_project(paths, names)
    policy = load_policy(paths.root)
    errors: list[FactoryError] = []
    for name, spec in project.use_cases.items():
        problems = policy_problems(spec, policy, project.products)
        if problems:
            errors.append(ConfigError(paths.rel(paths.use_case(name).config), problems))
    raise_all(errors)
    return project
