"""The model inventory: one row per use case, and the queries that find a risk's blast radius.

Every figure comes from the repository: the validated configs, the build records in Git
(`dvc.lock`, `metrics.json`), the release tags, and the monitoring log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from factory import registry
from factory.compose import Project, load_project
from factory.errors import ConfigError
from factory.governance.staleness import current_time, production_age
from factory.io import read_json_object
from factory.monitor.log import MonitoringRecord, latest_record
from factory.paths import ProjectPaths
from factory.release import registry_state
from factory.release.gates import evaluate_gates
from factory.spec import RISK_TIERS, TimeSplit, UseCaseSpec

STATUSES = ("not built", "built", "gates failing", "released", "in production", "degraded")


@dataclass(frozen=True)
class Release:
    """One released version, as the inventory and dashboard show it."""

    version: str
    stages: list[str]
    released_at: str
    released_by: str
    commit: str
    gates_passed: bool | None
    model_sha256: str | None
    metrics: dict[str, Any]


@dataclass(frozen=True)
class StageChange:
    """One stage assignment or unassignment."""

    version: str
    stage: str
    assigned: bool
    at: str
    by: str


@dataclass
class InventoryRow:
    """What governance needs to know about one use case."""

    name: str
    description: str
    owner: str
    risk_tier: str
    task: str
    status: str
    production_version: str | None
    production_since: str | None
    production_age_days: int | None
    max_age_days: int | None
    stale: bool
    staging_version: str | None
    data_products: dict[str, str | None]
    upstream_products: list[str]
    features: list[str]
    columns: list[str]
    components: list[str]
    primary_metric: str
    metric_now: float | None
    metric_production: float | None
    gates_passed: bool | None
    monitoring: dict[str, Any] | None
    releases: list[Release] = field(default_factory=list)
    stage_changes: list[StageChange] = field(default_factory=list)

    def to_dict(self, with_history: bool = False) -> dict[str, Any]:
        """A JSON-ready mapping; the release history only when asked for."""
        value = asdict(self)
        if not with_history:
            value.pop("releases")
            value.pop("stage_changes")
        return value


@dataclass(frozen=True)
class InventoryQuery:
    """Filters over the inventory; every given filter must match."""

    depends_on: tuple[str, ...] = ()
    component: str | None = None
    owner: str | None = None
    risk_tier: str | None = None


def build_inventory(root: Path, query: InventoryQuery | None = None, now: datetime | None = None) -> list[InventoryRow]:
    """One row per use case, in name order; only the use cases matching `query` when one is given.

    Production versions' ages are measured at `now` (timezone-aware; the current time when None).
    """
    project = load_project(ProjectPaths(root))
    moment = current_time(now)
    return [_row(project, spec, moment) for spec in select_use_cases(project, query or InventoryQuery())]


def select_use_cases(project: Project, query: InventoryQuery) -> list[UseCaseSpec]:
    """The use cases that match every filter of `query`, from their declarations alone."""
    checks = [_dependency_check(item, project) for item in query.depends_on]
    if query.risk_tier is not None and query.risk_tier not in RISK_TIERS:
        raise ConfigError.single(
            "factory inventory", "--risk-tier", f"one of {', '.join(RISK_TIERS)}", repr(query.risk_tier)
        )
    if query.component is not None and not any(query.component in registry.names(kind) for kind in registry.KINDS):
        raise ConfigError.single(
            "factory inventory",
            "--component",
            "a registered component (see `factory components`)",
            repr(query.component),
        )
    return [
        spec
        for spec in project.use_cases.values()
        if all(check(spec) for check in checks)
        and (query.component is None or query.component in used_components(project, spec))
        and (query.owner is None or spec.owner.lower() == query.owner.lower())
        and (query.risk_tier is None or spec.risk_tier == query.risk_tier)
    ]


def _dependency_check(item: str, project: Project) -> Callable[[UseCaseSpec], bool]:
    kind, _, value = item.partition(":")
    if kind == "data" and value:
        if value not in project.products:
            raise ConfigError.single(
                "factory inventory",
                "--depends-on",
                f"a declared data product (one of: {', '.join(sorted(project.products))})",
                repr(value),
            )
        return lambda spec: value in _products_read(project, spec)
    if kind == "column" and value:
        return lambda spec: value in _columns(spec)
    raise ConfigError.single("factory inventory", "--depends-on", "data:<product> or column:<name>", repr(item))


# ---------------------------------------------------------------- one row


def _row(project: Project, spec: UseCaseSpec, now: datetime) -> InventoryRow:
    root = project.paths.root
    use_case = project.paths.use_case(spec.name)
    metrics = read_json_object(use_case.metrics) if use_case.dvc_lock.is_file() else {}
    versions = registry_state.versions(root, spec.name)
    events = registry_state.stage_events(root, spec.name)
    holders = {stage: info.version for info in versions for stage in info.stages}
    production = next((v for v in versions if v.version == holders.get("production")), None)
    champion = production.record.metrics if production and production.record else None
    gates = (
        evaluate_gates(
            spec.release,
            spec.evaluation.primary_metric,
            metrics,
            champion,
            lambda metric: registry.get("metric", metric).greater_is_better,
        )
        if metrics
        else None
    )
    monitoring = latest_record(use_case.monitoring_log)
    primary = spec.evaluation.primary_metric
    age = production_age(spec, production, now)
    return InventoryRow(
        name=spec.name,
        description=spec.description,
        owner=spec.owner,
        risk_tier=spec.risk_tier,
        task=spec.task,
        status=_status(metrics, gates, versions, production, monitoring),
        production_version=production.version if production else None,
        production_since=_assigned_at(events, "production", production.version) if production else None,
        production_age_days=age.days if age else None,
        max_age_days=spec.monitoring.max_age_days if spec.monitoring else None,
        stale=bool(age and age.stale),
        staging_version=holders.get("staging"),
        data_products=_product_hashes(project, spec),
        upstream_products=_upstream(project, [item.product for item in spec.data]),
        features=spec.features.columns,
        columns=_columns(spec),
        components=used_components(project, spec),
        primary_metric=primary,
        metric_now=metrics.get(primary),
        metric_production=champion.get(primary) if champion else None,
        gates_passed=None if gates is None else all(gate.passed for gate in gates),
        monitoring=monitoring.model_dump(mode="json") if monitoring else None,
        releases=[
            Release(
                version=info.version,
                stages=info.stages,
                released_at=_iso(info.created_at),
                released_by=info.author,
                commit=info.commit,
                gates_passed=info.record.passed if info.record else None,
                model_sha256=info.record.model_sha256 if info.record else None,
                metrics=info.record.metrics if info.record else {},
            )
            for info in versions
        ],
        stage_changes=[StageChange(e.version, e.stage, e.assigned, _iso(e.at), e.author) for e in reversed(events)],
    )


def _status(
    metrics: dict[str, Any],
    gates: list[Any] | None,
    versions: list[registry_state.VersionInfo],
    production: registry_state.VersionInfo | None,
    monitoring: MonitoringRecord | None,
) -> str:
    if production is not None:
        return "degraded" if is_degraded(monitoring, production.version) else "in production"
    if versions:
        return "released"
    if not metrics:
        return "not built"
    return "built" if gates is None or all(gate.passed for gate in gates) else "gates failing"


def is_degraded(record: MonitoringRecord | None, version: str) -> bool:
    """Whether the latest monitoring check of the production version raised an alert."""
    if record is None or record.version != version:
        return False
    return record.verdict == "alert" or bool(record.efficacy and record.efficacy.degraded)


def _assigned_at(events: list[registry_state.StageEvent], stage: str, version: str) -> str | None:
    times = [e.at for e in events if e.stage == stage and e.version == version and e.assigned]
    return _iso(times[-1]) if times else None


def _product_hashes(project: Project, spec: UseCaseSpec) -> dict[str, str | None]:
    """Each product the use case reads, with the md5 its last build consumed (from its dvc.lock)."""
    import yaml

    use_case = project.paths.use_case(spec.name)
    lock = yaml.safe_load(use_case.dvc_lock.read_text(encoding="utf-8")) if use_case.dvc_lock.is_file() else {}
    consumed = {
        dep["path"]: dep.get("md5") for dep in (lock or {}).get("stages", {}).get("prepare", {}).get("deps", [])
    }
    return {
        item.product: consumed.get(use_case.rel(project.paths.root / project.products[item.product].output_path))
        for item in spec.data
    }


def _products_read(project: Project, spec: UseCaseSpec) -> list[str]:
    """The products a use case reads, and those joined into them."""
    direct = [item.product for item in spec.data]
    return direct + _upstream(project, direct)


def _upstream(project: Project, names: list[str]) -> list[str]:
    """Products joined into the given ones, transitively (not the given ones themselves)."""
    found: list[str] = []
    pending = list(names)
    while pending:
        product = project.products[pending.pop()]
        for ref in product.transforms:
            component = registry.get("transform", ref.component)
            for other in component.products_read(component.parse_params(ref.params)):
                if other not in found and other not in names:
                    found.append(other)
                    pending.append(other)
    return sorted(found)


def _columns(spec: UseCaseSpec) -> list[str]:
    """Every column the use case reads: target, features, slices, split column, join keys."""
    columns = [spec.target, *spec.features.columns, *spec.evaluation.slices]
    if isinstance(spec.split, TimeSplit):
        columns.append(spec.split.column)
    columns += [key for item in spec.data for key in (*item.left_keys, *item.right_keys)]
    return sorted(set(columns))


def used_components(project: Project, spec: UseCaseSpec) -> list[str]:
    """Every registered component the use case runs, its data products' included."""
    names = {spec.model.component, *spec.evaluation.all_metrics}
    if spec.features.numeric:
        names |= {step.component for step in spec.features.numeric_steps}
    if spec.features.categorical:
        names |= {step.component for step in spec.features.categorical_steps}
    for product_name in _products_read(project, spec):
        product = project.products[product_name]
        names |= {product.source.component, *(ref.component for ref in product.transforms)}
    return sorted(names)


def _iso(moment: datetime) -> str:
    return moment.isoformat()
