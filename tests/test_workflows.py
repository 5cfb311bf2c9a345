"""The GitHub workflows: valid YAML, well-formed jobs, and every `factory` command they run exists.

Every file in `.github/workflows/` (and every local action in `.github/actions/`) is read, so a
workflow added later is covered without touching this test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from factory.cli import app
from tests.conftest import REPO

GITHUB = REPO / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.y*ml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.y*ml"))
# `factory` as a command (start of a line, or after a separator or `$(`), then its bare words:
# the subcommand path and positional arguments, up to the first option, variable or quote.
INVOCATION = re.compile(r"(?:^|[\s;&|(`])factory((?:[ \t]+[a-z][a-z0-9-]*)*)", re.MULTILINE)


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path}: expected a mapping"
    return document


def run_scripts(node: Any) -> list[str]:
    """The `run:` script of every step, anywhere in a workflow or action."""
    if isinstance(node, list):
        return [script for item in node for script in run_scripts(item)]
    if not isinstance(node, dict):
        return []
    found = [node["run"]] if isinstance(node.get("run"), str) else []
    return found + [script for value in node.values() for script in run_scripts(value)]


def factory_commands(script: str) -> list[tuple[str, ...]]:
    """The words after each `factory` invocation in a shell script (comments and continuations handled)."""
    joined = script.replace("\\\n", " ")
    code = "\n".join(line for line in joined.splitlines() if not line.lstrip().startswith("#"))
    return [tuple(match.split()) for match in INVOCATION.findall(code)]


def help_exit_code(words: tuple[str, ...]) -> int:
    return CliRunner().invoke(app, [*words, "--help"]).exit_code


def all_commands() -> dict[tuple[str, ...], list[str]]:
    commands: dict[tuple[str, ...], list[str]] = {}
    for path in [*WORKFLOWS, *ACTIONS]:
        for script in run_scripts(load(path)):
            for words in factory_commands(script):
                commands.setdefault(words, []).append(path.name)
    return commands


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_is_well_formed(path: Path) -> None:
    workflow = load(path)
    assert workflow.get("on", workflow.get(True)), f"{path.name}: no trigger (`on:`)"  # YAML 1.1 reads `on` as true
    jobs = workflow["jobs"]
    assert jobs, f"{path.name}: no jobs"
    for name, job in jobs.items():
        assert job.get("runs-on"), f"{path.name}: job {name} has no runs-on"
        needs = job.get("needs", [])
        for needed in [needs] if isinstance(needs, str) else needs:
            assert needed in jobs, f"{path.name}: job {name} needs unknown job {needed}"
        assert job["steps"], f"{path.name}: job {name} has no steps"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"{path.name}: job {name}: a step needs `uses` or `run`"
            if str(step.get("uses", "")).startswith("./"):
                assert (REPO / step["uses"]).is_dir(), f"{path.name}: local action {step['uses']} is missing"


def test_every_factory_command_in_the_workflows_exists() -> None:
    commands = all_commands()
    called = {words[:2] if words[:1] == ("ci",) else words[:1] for words in commands}
    # What the GitOps workflows must do, each a factory command.
    assert {("check",), ("compile",), ("build",), ("ci", "plan"), ("ci", "verify"), ("ci", "report")} <= called
    assert ("ci", "release") in called
    for words, files in sorted(commands.items()):
        assert help_exit_code(words) == 0, f"`factory {' '.join(words)}` in {', '.join(files)} is not a command"


def test_the_check_catches_a_command_that_does_not_exist() -> None:
    script = 'names=$(factory ci plan --base "$BASE")\nfactory ci publish --base x \\\n  --out y\n# factory gone\n'
    assert factory_commands(script) == [("ci", "plan"), ("ci", "publish")]
    assert help_exit_code(("ci", "plan")) == 0
    assert help_exit_code(("ci", "publish")) != 0
    assert help_exit_code(("chek",)) != 0
