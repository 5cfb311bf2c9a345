"""Rich renderings for the CLI: progress, tables, resolved configs and schemas. No logic lives here."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from rich.console import Console, Group
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from factory import registry
from factory.build import BuildPlan, BuildReport, BuildTarget, TargetResult
from factory.ci.monitor import CiMonitorReport
from factory.ci.plan import PlannedUseCase
from factory.ci.release import CiReleaseReport
from factory.errors import ConfigError, FactoryError
from factory.governance.audit import AuditReport
from factory.governance.inventory import InventoryRow
from factory.governance.lineage import FileHash, Lineage, ProductLineage
from factory.governance.readiness import SECTIONS, Readiness, readiness_json
from factory.io import canonical_json
from factory.monitor.drift import drift_figures
from factory.monitor.workflow import MonitorOutcome, SimulationSummary
from factory.release.explain import Explanation
from factory.release.registry_state import VersionInfo
from factory.release.workflow import ReleaseOutcome, gate_rows
from factory.spec import DataProductSpec, UseCaseSpec, json_schema


@contextmanager
def build_progress(
    console: Console, plan: BuildPlan
) -> Iterator[tuple[Callable[[BuildTarget], None], Callable[[TargetResult], None]]]:
    """A progress line per pipeline; yields the start and done callbacks for `run_build`.

    Without a terminal, one plain line per pipeline as it finishes: no spinner, nothing redrawn.
    """
    if not console.is_terminal:

        def finished(result: TargetResult) -> None:
            console.print(f"{result.target.label}: {outcome(result, plain=True)} {result.seconds:.1f} s")

        yield (lambda _target: None), finished
        return
    progress = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=False
    )
    tasks: dict[str, TaskID] = {
        t.label: progress.add_task(f"[dim]{t.label}: waiting", total=1, start=False) for t in plan.targets
    }

    def on_start(target: BuildTarget) -> None:
        progress.start_task(tasks[target.label])
        progress.update(tasks[target.label], description=f"{target.label}: dvc repro")

    def on_done(result: TargetResult) -> None:
        progress.update(
            tasks[result.target.label], completed=1, description=f"{result.target.label}: {outcome(result)}"
        )
        progress.stop_task(tasks[result.target.label])

    with progress:
        yield on_start, on_done


def compiled_files(plan: BuildPlan) -> str:
    """The generated files a build compiled before it ran, one per line."""
    listing = "\n".join(f"  {plan.paths.rel(path)}" for path in plan.compiled)
    return f"compiled {len(plan.compiled)} stale or missing file(s) first:\n{listing}"


def outcome(result: TargetResult, plain: bool = False) -> str:
    """What happened to one pipeline, in words: built (and how), failed at which stage, or why it was not built."""
    if result.not_built_because:
        text = f"not built: {result.not_built_because}"
        return text if plain else f"[yellow]{text}[/]"
    if result.ok:
        return f"built ({_stages_done(result)})" if plain else f"[green]built[/] ({_stages_done(result)})"
    where = ", ".join(stage.rsplit(":", 1)[-1] for stage in result.stages_failed) or "before any stage"
    done = f"; {_stages_done(result)} before it" if result.stages_run or result.stages_restored else ""
    text = f"FAILED at {where}{done}"
    return text if plain else f"[red]{text}[/]"


def _stages_done(result: TargetResult) -> str:
    """What a pipeline's reproduction did: the stages that ran, those DVC restored, or nothing."""
    ran = ", ".join(stage.rsplit(":", 1)[-1] for stage in result.stages_run)
    restored = ", ".join(stage.rsplit(":", 1)[-1] for stage in result.stages_restored)
    if restored:
        ran = f"{ran}; " if ran else ""
        return f"{ran}restored from DVC's run cache: {restored}"
    return ran or "up to date, nothing ran"


def metrics_table(report: BuildReport) -> Table:
    """One row per use case: its status, primary metric and the other metrics."""
    table = Table(title="Use cases")
    for column in ("use case", "status", "primary metric", "other metrics"):
        table.add_column(column, no_wrap=column != "other metrics")
    failed = {result.target.label: result for result in report.failed}
    for name, metrics in report.metrics.items():
        spec = report.specs[name]
        primary = spec.evaluation.primary_metric
        if name in failed:  # the metrics on disk are an earlier build's: not shown as this one's
            status = outcome(failed[name]).replace("FAILED", "failed")
            table.add_row(name, status, f"{primary} -", "(an earlier build's metrics are not shown)")
            continue
        status = "[green]built[/]" if metrics else "[yellow]not built[/]"
        others = ", ".join(f"{key} {_figure(metrics.get(key))}" for key in spec.evaluation.all_metrics[1:])
        table.add_row(name, status, f"{primary} {_figure(metrics.get(primary))}", others)
    notes = [
        proposal
        for name, metrics in report.metrics.items()
        if name not in failed and (proposal := gate_proposal(report.specs[name], metrics))
    ]
    notes += [
        f"{name}: quality {finding.line()}"
        for name in report.metrics
        if name not in failed
        for finding in report.quality.get(name, [])
    ]
    if notes:
        table.caption = "\n".join(notes)
    return table


def gate_proposal(spec: UseCaseSpec, metrics: dict[str, Any]) -> str:
    """For a use case with no absolute gate on its primary metric: one, from this build's value."""
    primary = spec.evaluation.primary_metric
    value = metrics.get(primary)
    if primary in spec.release.gates or not isinstance(value, int | float):
        return ""
    if registry.get("metric", primary).greater_is_better:
        bound, side = math.floor((value - 0.02) * 100) / 100, "min"
    else:
        bound, side = math.ceil(value * 1.1 * 100) / 100, "max"
    return (
        f"{spec.name} has no absolute gate on {primary}: from this build, consider "
        f"`release: {{gates: {{{primary}: {{{side}: {bound}}}}}}}` in use_cases/{spec.name}/config.yaml"
    )


def _figure(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def resolved_config(spec: UseCaseSpec) -> str:
    """The use case as the compiler sees it, in YAML."""
    return yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False, width=120)


def components_table(kind: str | None) -> Table:
    """The component catalogue, optionally one kind."""
    if kind is not None and kind not in registry.KINDS:
        raise FactoryError(f"unknown component kind {kind!r}; expected one of: {', '.join(registry.KINDS)}")
    table = Table(title="Components", show_lines=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("name", no_wrap=True)
    table.add_column("params")
    table.add_column("description")
    for component in registry.components(kind):
        table.add_row(component.kind, component.name, _params_text(component), component.summary)
    return table


def _params_text(component: registry.Component) -> str:
    lines = []
    for name, field in component.params_model.model_fields.items():
        default = "required" if field.is_required() else f"= {field.get_default(call_default_factory=True)!r}"
        lines.append(f"{name} {default}")
    return "\n".join(lines) or "(none)"


def json_schema_text(of: str) -> str:
    """The JSON Schema of a use case or data product config."""
    models: dict[str, Any] = {"use-case": UseCaseSpec, "data-product": DataProductSpec}
    if of not in models:
        raise FactoryError(f"unknown schema {of!r}; expected one of: {', '.join(models)}")
    return json.dumps(json_schema(models[of]), indent=2, sort_keys=True) + "\n"


def release_report(outcome: ReleaseOutcome, dry_run: bool) -> Table:
    """The gates of a release with their figures, and what was done."""
    plan = outcome.plan
    if plan.is_noop:
        verdict = f"already released: {plan.record.version} holds {plan.stage}; " + (
            f"completed its move: {', '.join(outcome.created_tags)}"
            if outcome.created_tags
            else "nothing new was created"
        )
    elif not plan.passed:
        verdict = "[red]not released[/]: gates failed" + (" or approval missing" if plan.approval_required else "")
    elif dry_run:
        verdict = f"dry run: would release {plan.record.version} to {plan.stage}"
    else:
        verdict = f"[green]released[/] {plan.record.version} to {plan.stage}: {', '.join(outcome.created_tags)}"
    champion = plan.champion.version if plan.champion else "none"
    table = Table(title=f"{plan.name} -> {plan.stage} (production now: {champion})", caption=verdict)
    for column in ("metric", "gate", "figures", "verdict"):
        table.add_column(column)
    for metric, kind, figures, verdict_text in gate_rows(plan.record.gates):
        colour = "green" if verdict_text == "pass" else "red"
        table.add_row(metric, kind, figures, f"[{colour}]{verdict_text}[/]")
    if plan.approval_required:
        approved = f"by {plan.approval.approved_by}" if plan.approval else "missing"
        table.add_row("approval", "risk tier high", approved, "[green]pass[/]" if plan.approval else "[red]FAIL[/]")
    return table


def releases_table(found: dict[str, list[VersionInfo]]) -> Table:
    """One row per released version."""
    table = Table(title="Releases")
    for column in ("use case", "version", "stages", "released", "by", "gates", "commit"):
        table.add_column(column, no_wrap=column != "by")
    for name, versions in found.items():
        for info in versions:
            gates = (
                "n/a"
                if info.record is None
                else (f"{sum(g.passed for g in info.record.gates)}/{len(info.record.gates)} passed")
            )
            table.add_row(
                name,
                info.version,
                ", ".join(info.stages) or "-",
                info.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                info.author,
                gates,
                info.commit[:10],
            )
    return table


def ci_plan_text(planned: list[PlannedUseCase], output: str) -> str:
    """A CI plan as a list of names, JSON with the reasons, or a GitHub Actions matrix."""
    if output == "list":
        return "".join(f"{item.name}\n" for item in planned)
    if output == "json":
        return json.dumps([{"use_case": p.name, "because": p.because} for p in planned], indent=2) + "\n"
    if output == "matrix":
        return json.dumps({"include": [{"use_case": p.name} for p in planned]}) + "\n"
    raise FactoryError(f"unknown format {output!r}; expected one of: list, json, matrix")


def ci_release_table(report: CiReleaseReport) -> Table:
    """One row per affected use case: the stage, the version and what happened to it."""
    if not report.results:
        caption = f"no use case is affected by the changes since {report.base}: nothing to release"
    elif report.created_anything:
        caption = "released what the policies allow; tags and models are pushed"
    else:
        caption = "nothing new: every affected use case is already released or held back"
    table = Table(title="Releases of this change", caption=caption)
    for column in ("use case", "stage", "version", "outcome", "detail"):
        table.add_column(column, no_wrap=column != "detail")
    colours = {"released": "green", "already released": "dim", "held by gates": "yellow", "failed": "red"}
    for result in report.results:
        outcome = f"[{colours[result.outcome]}]{result.outcome}[/]"
        table.add_row(result.name, result.stage or "-", result.version or "-", outcome, Text(result.detail))
    return table


def ci_monitor_table(report: CiMonitorReport) -> Table:
    """One row per production use case: the version checked, the verdict and its reasons."""
    caption = f"batches from {report.inputs}" if report.checks else "no use case has a version in production"
    table = Table(title="Monitoring of the production models", caption=caption)
    for column in ("use case", "version", "verdict", "detail", "report"):
        table.add_column(column, no_wrap=column in ("use case", "version", "verdict"))
    colours = {"ok": "green", "alert": "red", "error": "red", "no batch": "yellow"}
    for check in report.checks:
        verdict = f"[{colours[check.outcome]}]{check.outcome}[/]"
        table.add_row(check.name, check.version, verdict, Text(check.detail), Text(check.report or "-"))
    return table


def monitoring_report(outcome: MonitorOutcome) -> Table:
    """Every column checked, with its test and verdict; the caption gives the overall verdict."""
    record = outcome.record
    verdict = "[red]ALERT[/]: " + "; ".join(outcome.reasons) if outcome.alert else "[green]ok[/]: no alert"
    caption = f"{verdict}\nreport: {outcome.report_html}\nlog: {outcome.log}"
    title = f"{record.use_case} {record.version}: {record.rows} rows, {len(record.drifted_features)} feature(s) drifted"
    table = Table(title=title, caption=caption)
    for heading in ("column", "test", "measured", "drift when", "null share", "verdict"):
        table.add_column(heading)
    for column in [*outcome.drift.features, outcome.drift.prediction]:
        measured, drift_when = drift_figures(column.test, column.statistic, column.threshold)
        table.add_row(
            column.name,
            column.test,
            measured,
            drift_when,
            f"{column.reference_null_share:.3f} -> {column.current_null_share:.3f}",
            "[red]DRIFT[/]" if column.drifted else "[green]ok[/]",
        )
    if record.efficacy is not None:
        efficacy = record.efficacy
        table.add_row(
            f"efficacy ({efficacy.metric})",
            f"baseline {efficacy.baseline:.4f}",
            f"{efficacy.current:.4f}",
            f"tolerance {efficacy.tolerance}",
            "",
            "[red]DEGRADED[/]" if efficacy.degraded else "[green]ok[/]",
        )
    return table


# How many differing inputs the lineage view names before it counts the rest.
DIFFERING_SHOWN = 10


def lineage_json(found: Lineage) -> str:
    """A lineage as indented JSON."""
    return canonical_json(found.to_dict())


def lineage_tree(found: Lineage) -> Tree:
    """A lineage as a tree: model, data back to raw files, code, packages."""
    title = f"[bold]{found.use_case}[/] " + (f"{found.version} (tag {found.tag})" if found.version else "working tree")
    tree = Tree(title)
    for line in provenance_lines(found):
        tree.add(line)
    tree.add(f"config sha256 {found.config_sha256}")
    tree.add(f"model sha256 {found.model_sha256}, md5 {found.model_md5}")
    if found.record is not None:
        tree.add(f"released by {found.record['released_by']}; record model sha256 {found.record['model_sha256']}")
    data = tree.add("data products")
    for product in found.products:
        _product_branch(data, product)
    _files_branch(tree.add("component sources"), found.components)
    _files_branch(tree.add("stage code"), found.stage_code)
    tree.add("packages: " + ", ".join(f"{name} {version}" for name, version in found.packages.items()))
    return tree


def provenance_lines(found: Lineage) -> list[str]:
    """Which commit a build is of: its recorded inputs compared with the version's commit, or HEAD."""
    check, ran_on = found.inputs, found.commit or "unknown"
    if check is None or check.commit is None:
        dirty = " [yellow](with uncommitted changes)[/]" if found.dirty else ""
        why = check.problem if check is not None and check.problem else "no commit to compare with"
        return [f"built at commit {ran_on}{dirty}", f"inputs: not compared ({why})"]
    total = check.matched + len(check.differing)
    against = f"commit {check.commit}" + (" (the version's)" if found.version else " (HEAD)")
    if check.clean:
        lines = [f"built from {against}: all {total} recorded inputs match it"]
        if ran_on != check.commit:
            lines.append(f"the build ran on commit {ran_on}, before its results were committed")
        return lines
    shown = ", ".join(check.differing[:DIFFERING_SHOWN])
    more = f" and {len(check.differing) - DIFFERING_SHOWN} more" if len(check.differing) > DIFFERING_SHOWN else ""
    colour, advice = ("red", "") if found.version else ("yellow", "; commit them before a release")
    return [
        f"built at commit {ran_on}",
        f"[{colour}]{len(check.differing)} of {total} recorded inputs differ from {against}: "
        f"{escape(shown)}{more}{advice}[/]",
    ]


def _product_branch(parent: Tree, product: ProductLineage) -> None:
    branch = parent.add(f"[bold]{product.name}[/] {product.path} md5 {product.md5}")
    params = ", ".join(f"{k}={v}" for k, v in sorted(product.source.get("params", {}).items()))
    branch.add(escape(f"source {product.source.get('component', '?')}({params})"))
    if product.transforms:
        branch.add("transforms " + " → ".join(product.transforms))
    _files_branch(branch.add("raw files"), product.raw_files, empty="none: generated by its source")
    _files_branch(branch.add("code"), product.code)
    for upstream in product.upstream:
        _product_branch(branch.add("joins"), upstream)


def _files_branch(parent: Tree, files: list[FileHash], empty: str = "none") -> None:
    if not files:
        parent.add(empty)
    for file in files:
        parent.add(f"{file.path} md5 {file.md5}")


INVENTORY_COLUMNS = (
    "name",
    "owner",
    "risk_tier",
    "task",
    "status",
    "production_version",
    "production_since",
    "production_age_days",
    "stale",
    "data_products",
    "features",
    "primary_metric",
    "metric_now",
    "metric_production",
    "monitoring",
)


def output_format(chosen: dict[str, bool]) -> str:
    """The one output format flag given (e.g. {"json": True, "csv": False}), or "table" for none."""
    formats = [name for name, flag in chosen.items() if flag]
    if len(formats) > 1:
        flags = ", ".join(f"--{name}" for name in chosen)
        raise ConfigError.single("factory inventory", "format", f"at most one of {flags}", ", ".join(formats))
    return formats[0] if formats else "table"


def inventory_output(rows: list[InventoryRow], output: str) -> Table | str:
    """The inventory as a rich table, or as "json", "csv" or "markdown" text."""
    if output == "json":
        return canonical_json([row.to_dict() for row in rows])
    cells = [{column: _inventory_cell(row, column) for column in INVENTORY_COLUMNS} for row in rows]
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=INVENTORY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(cells)
        return buffer.getvalue()
    if output == "markdown":
        lines = ["| " + " | ".join(INVENTORY_COLUMNS) + " |", "|" + " --- |" * len(INVENTORY_COLUMNS)]
        lines += ["| " + " | ".join(cell[c].replace("|", "\\|") for c in INVENTORY_COLUMNS) + " |" for cell in cells]
        return "\n".join(lines) + "\n"
    table = Table(title=f"Inventory ({len(rows)} use case(s))")
    for column in (
        "use case",
        "owner",
        "risk",
        "status",
        "production",
        "data products",
        "primary metric",
        "monitoring",
    ):
        table.add_column(column)
    for row, cell in zip(rows, cells, strict=True):
        since = f" since {row.production_since[:10]}" if row.production_since else ""
        if row.production_age_days is not None:
            since += f"\n{row.production_age_days} days old" + (" [red]STALE[/red]" if row.stale else "")
        table.add_row(
            row.name,
            row.owner,
            row.risk_tier,
            row.status,
            f"{row.production_version or '-'}{since}",
            cell["data_products"].replace("; ", "\n"),
            f"{row.primary_metric} {cell['metric_now'] or 'n/a'} (production {cell['metric_production'] or 'n/a'})",
            cell["monitoring"] or "-",
        )
    return table


def simulation_summary(summary: SimulationSummary) -> str:
    """One line: how many rows, from which version, with which shifts, written where."""
    shifts = ", ".join(
        f"{shift.kind}{':' + ','.join(shift.features) if shift.features else ''}@{shift.strength:g}"
        for shift in summary.shifts
    )
    return (
        f"wrote {summary.rows} row(s) from {summary.name} {summary.version} "
        f"({shifts or 'no shift'}) -> {summary.output}"
    )


def _inventory_cell(row: InventoryRow, column: str) -> str:
    value = getattr(row, column)
    if column == "data_products":
        return "; ".join(f"{name} {(md5 or 'not built')[:12]}" for name, md5 in value.items())
    if column == "features":
        return ", ".join(value)
    if column == "monitoring":
        return "" if value is None else f"{value['verdict']} at {value['checked_at']} ({value['version'] or 'build'})"
    if isinstance(value, float):
        return _figure(value)
    return "" if value is None else str(value)


def audit_table(report: AuditReport) -> Table | Text:
    """Every governance gap with its fix; one line when there is none."""
    if not report.gaps:
        return Text.assemble(("ok", "green"), f": no governance gaps in {len(report.use_cases)} use case(s)")
    table = Table(title="Governance audit", caption=f"{len(report.gaps)} gap(s)", show_lines=True)
    for column in ("use case", "check", "problem", "fix"):
        table.add_column(column, no_wrap=column == "use case")
    for gap in report.gaps:  # config text may hold brackets that rich would read as markup
        table.add_row(*(escape(text) for text in (gap.use_case, gap.check, gap.problem, gap.fix)))
    return table


def readiness_output(results: list[Readiness], as_json: bool) -> str | Group | Table:
    """JSON; or, for one use case, each test with its score, evidence and fix; for several, a table of scores."""
    if as_json:
        return json.dumps(readiness_json(results), indent=2) + "\n"
    if len(results) != 1:
        table = Table(
            title="ML Test Score (the final score is the lowest section's)",
            caption="`factory readiness NAME` shows each test, what it found and how to earn it",
        )
        for column in ("use case", *SECTIONS, "final"):
            table.add_column(column, justify="left" if column == "use case" else "right")
        for result in results:
            sections = result.section_scores()
            table.add_row(result.use_case, *(f"{sections[name]:g}" for name in SECTIONS), f"{result.final:g}")
        return table
    (result,) = results
    table = Table(
        title=f"{result.use_case}: ML Test Score {result.final:g} (the lowest section's)",
        caption=" | ".join(f"{name} {score:g}" for name, score in result.section_scores().items()),
    )
    for column in ("test", "score", "evidence", "to earn it"):
        table.add_column(column, no_wrap=column == "score")
    for test in result.tests:
        table.add_row(
            f"{test.id} {test.title}",
            Text(f"{test.score:g}", style="green" if test.score else "red"),
            escape(test.evidence),
            escape(test.fix),
        )
    return Group(table)


def explanation_output(found: Explanation, as_json: bool) -> str | Tree:
    """A row's way through the pipeline as a tree (or JSON): inputs, each step, the output, contributions."""
    if as_json:
        return json.dumps(dataclasses.asdict(found), indent=2, default=str) + "\n"
    tree = Tree(escape(f"{found.name} {found.version}, row {found.row}"))
    inputs = tree.add("input")
    for column, value in found.inputs.items():
        inputs.add(escape(f"{column} = {value!r}"))
    for step in found.steps:
        branch = tree.add(escape(f"{step.group}: {step.step}"))
        for column, value in step.values.items():
            branch.add(escape(f"{column} = {value!r}"))
    output = tree.add(escape(f"prediction: {found.prediction!r}"))
    for label, probability in (found.probabilities or {}).items():
        output.add(escape(f"P({label}) = {probability:.4f}"))
    shown = tree.add(escape(f"largest contributions ({found.contribution_kind})"))
    for feature, contribution in found.contributions or []:
        shown.add(escape(f"{feature}: {contribution:+.4f}"))
    return tree
