"""`factory ci report`: what a pull request changes, per affected use case, as Markdown.

For each use case that `plan_ci` names: its metrics against the merge base and against the
version in production (the release record in that version's tag message), the release gates
as `factory release` would evaluate them now, a summary of the data products it reads (the
row and null counts a product's stage writes only after the product passed its schema), the
data dependencies added, removed or changed since the base, and the paths of its plots.
Everything is read from committed files and tags: nothing is built or released.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from factory.artifacts.params import load_use_case_params
from factory.ci.plan import plan_ci
from factory.gitrepo import file_at, git
from factory.paths import ProjectPaths
from factory.release import registry_state
from factory.release.gates import evaluate_gates
from factory.release.records import GateResult
from factory.release.workflow import greater_is_better


@dataclass(frozen=True)
class MetricRow:
    """One metric now, at the base and in production (None where there is no figure)."""

    metric: str
    head: float | None
    base: float | None
    production: float | None
    greater_is_better: bool


@dataclass(frozen=True)
class DataRow:
    """One data product a use case reads (or read at the base), and what changed about it."""

    product: str
    dependency: str  # new, removed or unchanged in the use case's `data` list
    declaration: str  # new, changed or unchanged conf/data/<product>.yaml
    data: str  # new, changed, unchanged or not built: the product's md5 in the root dvc.lock
    stats: dict[str, Any] | None
    base_rows: int | None


@dataclass(frozen=True)
class UseCaseReport:
    """Everything the comment says about one affected use case."""

    name: str
    because: list[str]
    new: bool
    built: bool
    stage: str
    risk_tier: str
    primary_metric: str
    production: str | None
    metrics: list[MetricRow]
    gates: list[GateResult]
    data: list[DataRow]
    plots: list[str]

    @property
    def gates_passed(self) -> bool:
        """Whether every gate would pass now."""
        return all(gate.passed for gate in self.gates)


@dataclass(frozen=True)
class CiReport:
    """The report of a change: the base it is compared with and the affected use cases."""

    base: str
    merge_base: str
    use_cases: list[UseCaseReport]


def report_markdown(root: Path, base: str) -> str:
    """The pull request comment for the changes from `base` to HEAD."""
    return to_markdown(build_report(root, base))


def build_report(root: Path, base: str) -> CiReport:
    """Collect the figures of every use case affected by the changes from `base` to HEAD."""
    planned = plan_ci(root, base)
    merge_base = git(root, "merge-base", base, "HEAD")
    paths = ProjectPaths(root)
    return CiReport(
        base=base,
        merge_base=merge_base,
        use_cases=[report_use_case(paths, item.name, item.because, merge_base) for item in planned],
    )


def report_use_case(paths: ProjectPaths, name: str, because: list[str], merge_base: str) -> UseCaseReport:
    """One use case's figures: HEAD's committed build against `merge_base` and production."""
    use_case = paths.use_case(name)
    params = load_use_case_params(use_case)
    head = _read_json(use_case.metrics)
    base = _json_at(paths.root, merge_base, paths.rel(use_case.metrics)) or {}
    champion = _production(paths.root, name)
    production = champion.record.metrics if champion and champion.record else None
    metrics = [
        MetricRow(
            metric=metric,
            head=(head or {}).get(metric),
            base=base.get(metric),
            production=None if production is None else production.get(metric),
            greater_is_better=greater_is_better(metric),
        )
        for metric in params.evaluation.all_metrics
    ]
    gates = (
        evaluate_gates(params.release, params.evaluation.primary_metric, head, production, greater_is_better)
        if head is not None
        else []
    )
    return UseCaseReport(
        name=name,
        because=because,
        new=file_at(paths.root, merge_base, paths.rel(use_case.config)) is None,
        built=head is not None,
        stage=params.release.stage,
        risk_tier=params.risk_tier,
        primary_metric=params.evaluation.primary_metric,
        production=champion.version if champion else None,
        metrics=metrics,
        gates=gates,
        data=_data_rows(paths, name, [item.product for item in params.data], params.products, merge_base),
        plots=_plot_images(paths, name),
    )


def _production(root: Path, name: str) -> registry_state.VersionInfo | None:
    held = registry_state.holders(root, name).get("production")
    return registry_state.find_version(root, name, held) if held else None


def _data_rows(
    paths: ProjectPaths, name: str, products: list[str], outputs: dict[str, str], merge_base: str
) -> list[DataRow]:
    """Each product the use case reads now, then each it read at the base and no longer does."""
    base_params = _yaml_at(paths.root, merge_base, paths.rel(paths.use_case(name).params_yaml)) or {}
    base_products = [str(item.get("product")) for item in base_params.get("data", [])]
    head_md5 = _product_md5s(yaml.safe_load(_read_text(paths.dvc_lock) or "{}"))
    base_md5 = _product_md5s(_yaml_at(paths.root, merge_base, paths.rel(paths.dvc_lock)))
    rows = []
    for product in products:
        declaration = paths.rel(paths.product_config(product))
        base_declaration = file_at(paths.root, merge_base, declaration)
        stats_file = paths.product_stats(outputs[product])
        base_stats = _json_at(paths.root, merge_base, paths.rel(stats_file)) or {}
        rows.append(
            DataRow(
                product=product,
                dependency="unchanged" if product in base_products else "new",
                declaration=_compare(base_declaration, _read_text(paths.root / declaration)),
                data="not built" if product not in head_md5 else _compare(base_md5.get(product), head_md5[product]),
                stats=_read_json(stats_file),
                base_rows=base_stats.get("rows"),
            )
        )
    for product in base_products:
        if product not in products:
            rows.append(DataRow(product, "removed", "-", "-", None, None))
    return rows


def _compare(base: object, head: object) -> str:
    if base is None:
        return "new"
    return "unchanged" if base == head else "changed"


def _product_md5s(lock: Any) -> dict[str, str]:
    """Product name -> md5 of its Parquet output, from a root dvc.lock (its stages are the products)."""
    stages = (lock or {}).get("stages", {}) if isinstance(lock, dict) else {}
    return {
        product: str(out.get("md5"))
        for product, stage in stages.items()
        for out in stage.get("outs", [])
        if str(out.get("path", "")).endswith(".parquet")
    }


def _plot_images(paths: ProjectPaths, name: str) -> list[str]:
    """The image files the use case's pipeline declares as plots, relative to the project root."""
    use_case = paths.use_case(name)
    pipeline = yaml.safe_load(_read_text(use_case.dvc_yaml) or "{}") or {}
    return [paths.rel(use_case.folder / plot) for plot in pipeline.get("plots", []) if isinstance(plot, str)]


def _read_text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _read_json(path: Path) -> dict[str, Any] | None:
    text = _read_text(path)
    return None if text is None else json.loads(text)


def _json_at(root: Path, revision: str, path: str) -> dict[str, Any] | None:
    text = file_at(root, revision, path)
    return None if text is None else json.loads(text)


def _yaml_at(root: Path, revision: str, path: str) -> Any:
    text = file_at(root, revision, path)
    return None if text is None else yaml.safe_load(text)


# ---------------------------------------------------------------- Markdown


def to_markdown(report: CiReport) -> str:
    """The report as GitHub-flavoured Markdown: a summary table, then a section per use case."""
    lines = [
        f"## Model factory: {len(report.use_cases)} use case(s) affected",
        "",
        f"Compared with `{report.merge_base[:10]}` (the merge base with `{report.base}`); "
        "production figures come from the release record of the version in production.",
        "",
    ]
    if not report.use_cases:
        return "\n".join([*lines, "No use case is affected by this change: nothing to rebuild or release.", ""])
    lines += _table(
        ["use case", "change", "primary metric", "vs base", "vs production", "gates"],
        [_summary_row(item) for item in report.use_cases],
    )
    for item in report.use_cases:
        lines += ["", *_section(item)]
    return "\n".join(lines) + "\n"


def _summary_row(item: UseCaseReport) -> list[str]:
    primary = next(row for row in item.metrics if row.metric == item.primary_metric)
    return [
        f"`{item.name}`",
        "new" if item.new else "changed",
        f"{primary.metric} {_figure(primary.head)}",
        "new" if item.new else _delta(primary.head, primary.base, primary.greater_is_better),
        _delta(primary.head, primary.production, primary.greater_is_better) if item.production else "none yet",
        _gates_verdict(item),
    ]


def _gates_verdict(item: UseCaseReport) -> str:
    if not item.built:
        return "not built"
    failed = sum(not gate.passed for gate in item.gates)
    return (
        f"pass ({len(item.gates)}/{len(item.gates)})"
        if not failed
        else f"**FAIL** ({failed} of {len(item.gates)} failed)"
    )


def _section(item: UseCaseReport) -> list[str]:
    title = f"### `{item.name}`" + (" (new)" if item.new else "")
    because = ", ".join(f"`{file}`" for file in item.because[:8]) + (" ..." if len(item.because) > 8 else "")
    lines = [title, "", f"Affected by: {because}", ""]
    if not item.built:
        lines += [f"**Not built**: run `factory build {item.name}` and commit `dvc.lock` and the metrics.", ""]
    production = f"production ({item.production})" if item.production else "production (none yet)"
    lines += _table(
        ["metric", "this change", "base", "vs base", production, "vs production"],
        [
            [
                f"{row.metric} ({'higher' if row.greater_is_better else 'lower'} is better)",
                _figure(row.head),
                "new" if item.new else _figure(row.base),
                "" if item.new else _delta(row.head, row.base, row.greater_is_better),
                _figure(row.production),
                _delta(row.head, row.production, row.greater_is_better),
            ]
            for row in item.metrics
        ],
    )
    lines += ["", f"**Release gates preview** (policy: release to `{item.stage}`): {_gates_verdict(item)}", ""]
    if item.gates:
        lines += _table(
            ["metric", "gate", "figures", "verdict"],
            [[g.metric, g.kind, g.detail, "pass" if g.passed else "**FAIL**"] for g in item.gates],
        )
    elif item.built:
        lines.append("No gates are declared.")
    if item.stage == "production" and item.risk_tier == "high":
        lines += ["", f"Risk tier high: production needs an approval in `use_cases/{item.name}/approvals.yaml`."]
    lines += ["", "**Data** (a product's row and null counts are written only after it passed its declared schema)", ""]
    lines += _table(
        ["product", "dependency", "declaration", "data (dvc.lock)", "rows", "columns", "nulls"],
        [_data_row(row) for row in item.data],
    )
    if item.plots:
        lines += ["", "**Plots**: " + ", ".join(f"`{plot}`" for plot in item.plots)]
        lines.append(
            f"(present after `factory build {item.name}`; `dvc plots show use_cases/{item.name}/dvc.yaml` renders all)"
        )
    return lines


def _data_row(row: DataRow) -> list[str]:
    if row.stats is None:
        rows = columns = nulls = "-"
    else:
        rows = str(row.stats.get("rows", "-"))
        if row.base_rows is not None and row.base_rows != row.stats.get("rows"):
            rows += f" (base {row.base_rows})"
        columns = str(row.stats.get("columns", "-"))
        per_column = row.stats.get("nulls", {})
        with_nulls = sorted(column for column, count in per_column.items() if count)
        nulls = str(sum(per_column.values())) + (f" in {', '.join(with_nulls)}" if with_nulls else "")
    return [f"`{row.product}`", row.dependency, row.declaration, row.data, rows, columns, nulls]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _delta(head: float | None, other: float | None, greater_is_better: bool) -> str:
    """The change from `other` to `head`, and whether it is better or worse."""
    if head is None or other is None:
        return "n/a"
    change = head - other
    if abs(change) < 5e-7:  # metrics are rounded to 6 decimals
        return "same"
    better = (change > 0) == greater_is_better
    return f"{change:+.4f} ({'better' if better else 'worse'})"
