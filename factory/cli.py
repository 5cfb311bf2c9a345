"""The `factory` command line: thin typer commands, each args -> one library call -> render.

Library modules are imported inside the commands so `factory --help` and every stage start
fast. Exit codes are decided in one place, `main`: 0 success, 1 a failed build or check,
2 bad input (any `FactoryError`), 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

app = typer.Typer(
    name="factory",
    help="Declare use cases in YAML, compile them to DVC pipelines, build them reproducibly.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it with rich costs a tenth of a second per call
)

new_app = typer.Typer(
    help="Scaffold a new use case, data product or component from the templates.", no_args_is_help=True
)
app.add_typer(new_app, name="new")

ci_app = typer.Typer(help="Steps of the CI/CD workflows.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(ci_app, name="ci")


def _paths() -> Any:
    from factory.io import find_root
    from factory.paths import ProjectPaths

    return ProjectPaths(find_root())


# Without a terminal (a CI log, a pipe) nothing is cut to fit 80 columns: a table is as wide as
# its cells and a path is whole.
UNBOUNDED_WIDTH = 10_000


def _declared_use_case(value: str | None) -> str | None:
    """A use case name given on the command line: one of the project's, or a usage error (exit 2)."""
    if value is not None:
        from factory.compose import use_case_names

        known = use_case_names(_paths())
        if value not in known:
            raise typer.BadParameter(f"{value!r} is not a use case of this project (one of: {', '.join(known)})")
    return value


def _declared_use_cases(values: list[str] | None) -> list[str] | None:
    for value in values or []:
        _declared_use_case(value)
    return values


StageName = Literal["staging", "production"]
RiskTier = Literal["low", "medium", "high"]
TaskName = Literal["binary_classification", "multiclass_classification", "regression"]
UseCaseName = Annotated[str, typer.Argument(help="use case name", callback=_declared_use_case)]
Names = Annotated[
    list[str] | None,
    typer.Argument(help="use case names (default: all)", show_default=False, callback=_declared_use_cases),
]


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else UNBOUNDED_WIDTH)


@app.command()
def check(names: Names = None) -> None:
    """Validate the data products and use case configs, and hold them to the governance policy."""
    from factory.governance.policy import check_project

    project = check_project(_paths(), names)
    _console().print(
        f"[green]ok[/]: {len(project.products)} data product(s) and {len(project.use_cases)} use case(s) are valid"
    )


@app.command("compile")
def compile_command(
    names: Names = None,
    check_only: Annotated[bool, typer.Option("--check", help="write nothing; fail if any file is stale")] = False,
) -> None:
    """Compile use cases into dvc.yaml and params.yaml (and the root data product pipeline)."""
    from factory.compile import check_compiled, plan_compile, write_files

    paths = _paths()
    if check_only:
        check_compiled(paths, names)
        _console().print("[green]ok[/]: generated files are up to date")
        return
    changed = write_files(plan_compile(paths, names))
    console = _console()
    for path in changed:
        console.print(f"wrote {paths.rel(path)}")
    console.print(f"[green]ok[/]: {len(changed)} file(s) changed")


@app.command()
def build(
    names: Names = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=64, help="use case pipelines to build at once")] = 1,
    fresh_processes: Annotated[
        bool, typer.Option("--fresh-processes", help="every stage in a new process, as `dvc repro` runs it (slower)")
    ] = False,
    frozen: Annotated[
        bool, typer.Option("--frozen", help="refuse stale generated files instead of compiling them (for CI)")
    ] = False,
) -> None:
    """Compile what is stale, then `dvc repro` the data products and each use case's pipeline."""
    from factory.build import plan_build, run_build
    from factory.render import build_progress, compiled_files, metrics_table

    console = _console()
    with plan_build(_paths(), names, jobs, fresh_processes, frozen) as plan:
        if plan.compiled:
            console.print(compiled_files(plan), markup=False)
        with build_progress(console, plan) as progress:
            report = run_build(plan, *progress)
    console.print(metrics_table(report))
    report.raise_for_failures()


@app.command()
def show(name: UseCaseName) -> None:
    """Print a use case's resolved config and its build status."""
    from factory.build import pipeline_status
    from factory.compose import load_project
    from factory.render import resolved_config

    paths = _paths()
    project = load_project(paths, [name])
    console = _console()
    console.print(resolved_config(project.use_cases[name]), markup=False)
    console.print(f"status: {pipeline_status(paths, name)}")


@app.command()
def components(
    kind: Annotated[
        Literal["source", "transform", "feature", "model", "metric", "drift"] | None,
        typer.Argument(
            help="source, transform, feature, model, metric or drift",
        ),
    ] = None,
) -> None:
    """List the registered components with their params and docs."""
    from factory.render import components_table

    _console().print(components_table(kind))


@app.command()
def schema(
    of: Annotated[
        Literal["use-case", "data-product"],
        typer.Option("--of", help="use-case or data-product"),
    ] = "use-case",
) -> None:
    """Print the JSON Schema of a use case (or data product) config, for editor completion."""
    from factory.render import json_schema_text

    sys.stdout.write(json_schema_text(of))


@app.command("infer-schema")
def infer_schema(
    name: Annotated[str, typer.Argument(help="data product name")],
) -> None:
    """Build a data product in memory and print how its data differ from its declared schema."""
    import yaml

    from factory.scaffold import built_product, infer_columns, schema_differences

    frame, product = built_product(_paths().root, name)
    differences = schema_differences(frame, product.table_schema)
    sys.stdout.write(
        (f"{name}: the declared schema fits the data\n" if not differences else "\n".join(differences) + "\n")
        + "\ninferred from the data (numbers bounded by their sign only):\n"
        + yaml.safe_dump({"schema": {"columns": infer_columns(frame)}}, sort_keys=False, allow_unicode=True, width=120)
    )


@app.command()
def release(
    name: UseCaseName,
    stage: Annotated[StageName | None, typer.Option(help="staging or production (default: the policy's)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="evaluate the gates, create nothing")] = False,
) -> None:
    """Check a built use case against its gates and production; on pass, tag a version and a stage."""
    from factory.release.workflow import release as run_release
    from factory.render import release_report

    outcome = run_release(_paths().root, name, stage, dry_run)
    _console().print(release_report(outcome, dry_run))
    outcome.raise_for_failure()


@app.command()
def promote(
    name: UseCaseName,
    version: Annotated[str, typer.Option(help="version to promote, e.g. v1.2.0")],
    stage: Annotated[StageName, typer.Option(help="staging or production")],
) -> None:
    """Assign a stage to an existing version."""
    from factory.release.workflow import promote as run_promote

    tags = run_promote(_paths().root, name, version, stage)
    _console().print(f"{name} {version} is in {stage}" + (f" (tags: {', '.join(tags)})" if tags else " already"))


@app.command()
def rollback(
    name: UseCaseName,
    stage: Annotated[StageName, typer.Option(help="the stage to roll back")] = "production",
) -> None:
    """Give a stage back to the version that held it before; history is kept."""
    from factory.release.workflow import rollback as run_rollback

    version, tags = run_rollback(_paths().root, name, stage)
    _console().print(f"{name}: {stage} is {version} again (tags: {', '.join(tags)})")


@app.command()
def releases(
    name: Annotated[
        str | None, typer.Argument(help="use case name (default: all)", callback=_declared_use_case)
    ] = None,
) -> None:
    """List released versions: stages, when, by whom, gate results."""
    from factory.release.workflow import releases as list_releases
    from factory.render import releases_table

    _console().print(releases_table(list_releases(_paths().root, name)))


@app.command()
def score(
    name: UseCaseName,
    input_path: Annotated[Path, typer.Option("--input", help="CSV or Parquet file to score")],
    output_path: Annotated[Path, typer.Option("--output", help="where to write predictions (.csv or .parquet)")],
    stage: Annotated[StageName | None, typer.Option(help="use the version in this stage (default production)")] = None,
    version: Annotated[str | None, typer.Option(help="use this version instead of a stage")] = None,
) -> None:
    """Score a table with a released model, fetched from the DVC remote and verified."""
    from factory.release.scoring import score as run_score

    summary = run_score(_paths().root, name, input_path.resolve(), output_path.resolve(), stage, version)
    _console().print(f"scored {summary.rows} row(s) with {summary.name} {summary.version} -> {summary.output}")


@app.command()
def explain(
    name: UseCaseName,
    input_path: Annotated[Path, typer.Option("--input", help="CSV or Parquet file holding the row")],
    row: Annotated[int, typer.Option(min=0, help="the row to explain, counted from 0")] = 0,
    stage: Annotated[StageName | None, typer.Option(help="use the version in this stage (default production)")] = None,
    version: Annotated[str | None, typer.Option(help="use this version instead of a stage")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show one row through every step of a released model: each feature step, the output, the largest contributions."""
    from factory.release.explain import explain as run_explain
    from factory.render import explanation_output

    found = run_explain(_paths().root, name, input_path.resolve(), row, stage, version)
    output = explanation_output(found, as_json)
    if isinstance(output, str):
        sys.stdout.write(output)
    else:
        _console().print(output)


@app.command()
def serve(
    names: Names = None,
    stage: Annotated[StageName, typer.Option(help="serve the version holding this stage")] = "production",
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
    poll_seconds: Annotated[
        float, typer.Option(min=0, help="look for moved stages this often (0: only on POST /admin/reload)")
    ] = 30.0,
    fetch: Annotated[bool, typer.Option(help="git fetch the tags from origin before each look")] = True,
    max_rows: Annotated[int, typer.Option(min=1, max=1_000_000, help="records per request, at most")] = 1_000,
    max_body_kib: Annotated[int, typer.Option(min=1, max=1_048_576, help="request body size, at most")] = 1_024,
    capture: Annotated[
        Path | None, typer.Option(help="write sampled scored rows here, one folder per use case, for monitoring")
    ] = None,
    capture_rate: Annotated[float, typer.Option(min=0.0, max=1.0, help="share of rows captured")] = 0.1,
    capture_roll_rows: Annotated[int, typer.Option(min=1, help="rows per captured file, at most")] = 10_000,
    capture_roll_seconds: Annotated[
        float, typer.Option(min=1, help="age of a captured file's first row, at most")
    ] = 60.0,
) -> None:
    """Serve released models over HTTP: predict, health, models and metrics; swapped when a stage moves."""
    from factory.errors import FactoryError

    try:
        from factory.serve.app import ServeLimits
        from factory.serve.capture import CaptureSettings
        from factory.serve.service import ServeOptions
        from factory.serve.service import serve as run_serve
    except ModuleNotFoundError as exc:
        raise FactoryError(
            f"serving needs the serve extra ({exc.name} is missing): pip install -e '.[serve]'"
        ) from None
    options = ServeOptions(
        stage=stage,
        host=host,
        port=port,
        poll_seconds=poll_seconds,
        fetch_tags=fetch,
        limits=ServeLimits(max_body_bytes=max_body_kib * 1024, max_rows=max_rows),
        capture=CaptureSettings(
            folder=capture.resolve(), rate=capture_rate, roll_rows=capture_roll_rows, roll_seconds=capture_roll_seconds
        )
        if capture is not None
        else None,
    )
    run_serve(_paths().root, names, options)


@app.command()
def monitor(
    name: UseCaseName,
    input_path: Annotated[Path, typer.Option("--input", help="CSV or Parquet batch of production data")],
    labels: Annotated[str | None, typer.Option(help="column holding the true outcome: also check efficacy")] = None,
    stage: Annotated[
        StageName | None, typer.Option(help="check the version in this stage (default production)")
    ] = None,
    version: Annotated[str | None, typer.Option(help="check this version instead of a stage")] = None,
    out: Annotated[
        Path | None, typer.Option(help="folder for the reports (default use_cases/NAME/monitoring/reports)")
    ] = None,
) -> None:
    """Check a batch for drift (and, with labels, efficacy) against a released model; exit 1 on an alert."""
    from factory.monitor.workflow import monitor as run_monitor
    from factory.render import monitoring_report

    outcome = run_monitor(
        _paths().root, name, input_path.resolve(), labels, stage, version, out.resolve() if out else None
    )
    _console().print(monitoring_report(outcome))
    outcome.raise_for_alert()


@app.command()
def simulate(
    name: UseCaseName,
    output: Annotated[Path, typer.Option("--out", help="where to write the batch (.csv or .parquet)")],
    rows: Annotated[int, typer.Option(help="rows in the batch")] = 1000,
    seed: Annotated[int, typer.Option(help="random seed: the same seed gives the same batch")] = 0,
    shift: Annotated[
        list[str] | None,
        typer.Option(help="KIND[:FEATURE,...][@STRENGTH], KIND covariate, label, concept or nulls; repeatable"),
    ] = None,
    stage: Annotated[
        StageName | None,
        typer.Option(help="draw from the version in this stage (default production)"),
    ] = None,
    version: Annotated[str | None, typer.Option(help="draw from this version instead of a stage")] = None,
) -> None:
    """Write a batch drawn from a released version's evaluation rows, optionally shifted (demo and tests)."""
    from factory.monitor.workflow import simulate as run_simulate
    from factory.render import simulation_summary

    summary = run_simulate(_paths().root, name, rows, seed, shift or [], output.resolve(), stage, version)
    _console().print(simulation_summary(summary), markup=False)


@app.command()
def lineage(
    name: UseCaseName,
    version: Annotated[str | None, typer.Option(help="a released version, read from Git at its tag")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Where a model came from: commit, config hash, data back to raw sources, code, packages."""
    from factory.governance.lineage import trace
    from factory.render import lineage_json, lineage_tree

    found = trace(_paths().root, name, version)
    if as_json:
        sys.stdout.write(lineage_json(found))
    else:
        _console().print(lineage_tree(found))


@app.command()
def inventory(
    depends_on: Annotated[
        list[str] | None, typer.Option("--depends-on", help="data:<product> or column:<name> (repeatable)")
    ] = None,
    component: Annotated[str | None, typer.Option(help="only use cases that run this component")] = None,
    owner: Annotated[str | None, typer.Option(help="only use cases of this owner (e-mail)")] = None,
    risk_tier: Annotated[RiskTier | None, typer.Option("--risk-tier", help="low, medium or high")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="print CSV")] = False,
    as_markdown: Annotated[bool, typer.Option("--markdown", help="print a Markdown table")] = False,
) -> None:
    """One row per use case: owner, risk, status, production version, data, metrics, monitoring."""
    from factory.governance.inventory import InventoryQuery, build_inventory
    from factory.render import inventory_output, output_format

    chosen = output_format({"json": as_json, "csv": as_csv, "markdown": as_markdown})
    query = InventoryQuery(tuple(depends_on or ()), component, owner, risk_tier)
    rows = build_inventory(_paths().root, query, now=datetime.now(UTC))
    output = inventory_output(rows, chosen)
    if isinstance(output, str):
        sys.stdout.write(output)
    else:
        _console().print(output)


@app.command()
def audit() -> None:
    """Check every use case for governance gaps; exit 1 listing each gap and its fix."""
    from factory.governance.audit import audit as run_audit
    from factory.render import audit_table

    report = run_audit(_paths().root, now=datetime.now(UTC))
    _console().print(audit_table(report))
    report.raise_for_gaps()


@app.command()
def readiness(
    names: Names = None,
    minimum: Annotated[
        float | None, typer.Option("--min", help="exit 1 when a use case's final score is below this")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Score each use case on the ML Test Score's 28 tests, from what its checks ran and recorded."""
    from factory.governance.readiness import raise_below
    from factory.governance.readiness import readiness as score
    from factory.render import readiness_output

    results = score(_paths().root, names, now=datetime.now(UTC))
    output = readiness_output(results, as_json)
    if isinstance(output, str):
        sys.stdout.write(output)
    else:
        _console().print(output)
    raise_below(results, minimum)


@app.command()
def dashboard(
    out: Annotated[Path, typer.Option(help="folder to write the site into")] = Path("build/dashboard"),
) -> None:
    """Write the governance dashboard: a static HTML site of KPIs, the inventory and each use case."""
    from factory.governance.dashboard import write_dashboard

    paths = _paths()
    folder = out if out.is_absolute() else Path.cwd() / out
    pages = write_dashboard(paths.root, folder, now=datetime.now(UTC))
    _console().print(f"wrote {len(pages)} page(s); open {pages[0]}", markup=False)


def _report_written(paths: Any, written: list[Path], next_step: str) -> None:
    """List the files a scaffolding command wrote, then what to do next."""
    console = _console()
    for path in written:
        console.print(f"wrote {paths.rel(path)}", markup=False)
    console.print(f"next: {next_step}", markup=False)


def _ask(value: str | None, question: str, default: str | None, no_input: bool) -> str:
    """The option's value, else a prompt (or its default with --no-input); with no terminal to ask, a usage error."""
    if value is not None:
        return value
    option = "--" + question.replace("_", "-")
    if no_input:
        if default is None:
            raise typer.BadParameter(f"a value is required with --no-input: give {option}")
        return default
    if not sys.stdin.isatty():
        raise typer.BadParameter(
            f"there is no terminal to ask for {question}: give {option} (and the other options), "
            "or --no-input to take the defaults"
        )
    return str(typer.prompt(question, default=default))


@new_app.command("use-case")
def new_use_case(
    name: Annotated[str | None, typer.Option(help="slug, e.g. late-payers")] = None,
    task: Annotated[
        TaskName | None, typer.Option(help="binary_classification, multiclass_classification, regression")
    ] = None,
    product: Annotated[str | None, typer.Option(help="data product from conf/data/")] = None,
    target: Annotated[str | None, typer.Option(help="the column to predict")] = None,
    model: Annotated[str | None, typer.Option(help="model preset from conf/model/")] = None,
    owner: Annotated[str | None, typer.Option(help="owner's e-mail")] = None,
    risk_tier: Annotated[RiskTier | None, typer.Option(help="low, medium or high")] = None,
    description: Annotated[str | None, typer.Option(help="one sentence: what and for whom")] = None,
    no_input: Annotated[bool, typer.Option("--no-input", help="never prompt; use options and defaults")] = False,
) -> None:
    """Create use_cases/<name>/config.yaml from the template, validate and compile it."""
    from factory.scaffold import DEFAULT_MODEL, UseCaseAnswers, proposed_task
    from factory.scaffold import new_use_case as scaffold_use_case

    paths = _paths()
    name = _ask(name, "name", None, no_input)
    product = _ask(product, "product", None, no_input)
    target = _ask(target, "target", None, no_input)
    # The task the target's declared schema suggests (two classes, more, or numbers), unless given.
    chosen_task = _ask(task, "task", proposed_task(paths, product, target), no_input)
    answers = UseCaseAnswers(
        name=name,
        task=chosen_task,
        product=product,
        target=target,
        model=_ask(model, "model", DEFAULT_MODEL.get(chosen_task, "random_forest"), no_input),
        owner=_ask(owner, "owner", None, no_input),
        risk_tier=_ask(risk_tier, "risk_tier", "low", no_input),
        description=_ask(description, "description", "", no_input),
    )
    written = scaffold_use_case(paths.root, answers)
    _report_written(paths, written, f"review use_cases/{answers.name}/config.yaml, then `factory build {answers.name}`")


@new_app.command("data-product")
def new_data_product(
    source: Annotated[Path, typer.Option("--from", help="a .csv, .parquet, .xlsx or .duckdb file")],
    name: Annotated[str | None, typer.Option(help="product name (default: from the file name)")] = None,
    owner: Annotated[str | None, typer.Option(help="owner's e-mail")] = None,
    query: Annotated[str | None, typer.Option(help="the SQL query, for a .duckdb file")] = None,
) -> None:
    """Add a raw file to DVC, infer its schema and declare it in conf/data/<name>.yaml."""
    import re as regex

    from factory.scaffold import new_data_product as scaffold_product

    if (source.suffix == ".duckdb") != (query is not None):
        raise typer.BadParameter("--query goes with a .duckdb file, and a .duckdb file needs one", param_hint="--query")
    paths = _paths()
    product = name or regex.sub(r"[^a-z0-9]+", "-", source.stem.lower()).strip("-")
    written = scaffold_product(paths.root, source.resolve(), product, owner, query)
    _report_written(paths, written, f"review conf/data/{product}.yaml, then use `product: {product}` in a use case")


@new_app.command("component")
def new_component(
    kind: Annotated[str, typer.Argument(help="source, transform, feature, model or metric")],
    name: Annotated[str, typer.Argument(help="component name, e.g. winsorize")],
) -> None:
    """Create components/<kind>s/<name>.py and its test, both passing as generated."""
    from factory.scaffold import new_component as scaffold_component

    paths = _paths()
    written = scaffold_component(paths.root, kind, name)
    _report_written(paths, written, f"write the component, then `pytest tests/components/test_{name}.py`")


@ci_app.command("plan")
def ci_plan(
    base: Annotated[str, typer.Option(help="the revision to compare HEAD with, e.g. origin/main")],
    output: Annotated[
        Literal["list", "json", "matrix"],
        typer.Option(
            "--format",
            help="list, json or matrix (GitHub Actions)",
        ),
    ] = "list",
) -> None:
    """The use cases affected by the changes from BASE to HEAD."""
    from factory.ci.plan import plan_ci
    from factory.render import ci_plan_text

    sys.stdout.write(ci_plan_text(plan_ci(_paths().root, base), output))


@ci_app.command("verify")
def ci_verify(names: Names = None) -> None:
    """Rebuild from a clean clone of HEAD; fail naming each output not byte-identical to dvc.lock."""
    from factory.ci.verify import check_reproducible

    check_reproducible(_paths().root, names)
    _console().print("[green]ok[/]: every output rebuilt byte-identical to dvc.lock")


@ci_app.command("report")
def ci_report(
    base: Annotated[str, typer.Option(help="the revision to compare HEAD with, e.g. origin/main")],
    out: Annotated[Path | None, typer.Option("--out", help="write the Markdown to this file")] = None,
) -> None:
    """Markdown for the pull request: metrics vs base and production, gates, data, plots."""
    from factory.ci.report import report_markdown
    from factory.io import atomic_write_text

    text = report_markdown(_paths().root, base)
    if out is None:
        sys.stdout.write(text)
        return
    atomic_write_text(out, text)
    _console().print(f"wrote {out}", markup=False)


@ci_app.command("release")
def ci_release(
    base: Annotated[str, typer.Option(help="the revision main was at before this change, e.g. HEAD~1")],
) -> None:
    """Release every use case affected since BASE per its policy; exit 1 if a required release failed."""
    from factory.ci.release import release_affected
    from factory.render import ci_release_table

    report = release_affected(_paths().root, base)
    _console().print(ci_release_table(report))
    report.raise_for_failures()


@ci_app.command("monitor")
def ci_monitor(
    inputs: Annotated[Path, typer.Option(help="folder of this period's batches, one <use case>.parquet or .csv each")],
) -> None:
    """Monitor every production model against its batch in INPUTS; exit 1 on any alert or bad batch."""
    from factory.ci.monitor import ci_monitor as run_ci_monitor
    from factory.render import ci_monitor_table

    report = run_ci_monitor(_paths().root, inputs.resolve())
    _console().print(ci_monitor_table(report))
    report.raise_for_alerts()


@app.command()
def stage(
    stage_name: Annotated[str, typer.Argument(metavar="STAGE", help="data-product, prepare, train, evaluate, report")],
    name: Annotated[str, typer.Argument(help="use case (or data product) name")],
) -> None:
    """Run one pipeline stage (called by DVC from the generated dvc.yaml)."""
    import logging

    from factory.stages import run_stage

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    run_stage(stage_name, name, _paths().root)


def main() -> None:
    """Entry point: refuse a system the factory does not run on, hand a stage to its build's server, or `run`."""
    if os.name != "posix":
        sys.stderr.write("error: the factory runs on POSIX systems (Linux, macOS); on Windows, use WSL\n")
        sys.exit(2)
    if sys.argv[1:2] == ["stage"]:
        from factory import stage_server

        # A stage ends with what started it, even when that is killed; a build's server may run it.
        stage_server.die_with_parent()
        if (code := stage_server.run_in_server(sys.argv, "factory.cli:run")) is not None:
            sys.exit(code)
    run()


def run() -> None:
    """Run the app and map errors to exit codes in one place.

    Click itself handles usage errors (exit 2) and `--help`; factory errors are printed as one
    message without a traceback and exit with their own code.
    """
    from factory.errors import FactoryError

    try:
        app()
    except FactoryError as exc:
        from rich.text import Text

        _console(stderr=True).print(Text.assemble(("error", "bold red"), f": {exc}"), soft_wrap=True)
        sys.exit(exc.exit_code)
