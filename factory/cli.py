"""The `factory` command line: thin typer commands, each args -> one library call -> render.

Library modules are imported inside the commands so `factory --help` and every stage start
fast. Exit codes are decided in one place, `main`: 0 success, 1 a failed build or check,
2 bad input (any `FactoryError`), 130 interrupted.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

app = typer.Typer(
    name="factory",
    help="Declare use cases in YAML, compile them to DVC pipelines, build them reproducibly.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Names = Annotated[list[str] | None, typer.Argument(help="use case names (default: all)", show_default=False)]


def _paths() -> Any:
    from factory.io import find_root
    from factory.paths import ProjectPaths

    return ProjectPaths(find_root())


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


@app.command()
def check(names: Names = None) -> None:
    """Validate the data products and use case configs; print every problem found."""
    from factory.compose import load_project

    project = load_project(_paths(), names)
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
def build(names: Names = None) -> None:
    """Check the compiled files, then `dvc repro` the data products and each use case's pipeline."""
    from factory.build import plan_build, run_build
    from factory.render import build_progress, metrics_table

    plan = plan_build(_paths(), names)
    console = _console()
    with build_progress(console, plan) as (on_start, on_done):
        report = run_build(plan, on_start, on_done)
    console.print(metrics_table(report))
    report.raise_for_failures()


@app.command()
def show(name: Annotated[str, typer.Argument(help="use case name")]) -> None:
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
    kind: Annotated[str | None, typer.Argument(help="source, transform, feature, model or metric")] = None,
) -> None:
    """List the registered components with their params and docs."""
    from factory.render import components_table

    _console().print(components_table(kind))


@app.command()
def schema(
    of: Annotated[str, typer.Option("--of", help="use-case or data-product")] = "use-case",
) -> None:
    """Print the JSON Schema of a use case (or data product) config, for editor completion."""
    from factory.render import json_schema_text

    sys.stdout.write(json_schema_text(of))


@app.command(hidden=False)
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
    """Entry point: run the app and map errors to exit codes in one place.

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
