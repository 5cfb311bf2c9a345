"""Shared fixtures: copies of this project in temporary folders, run as a user would run them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECT_ITEMS = (
    "factory",
    "components",
    "conf",
    "use_cases",
    "data/raw",  # the shuttle-prices example's raw files, small and in Git
    "dvc.yaml",
    "params.yaml",
    "pyproject.toml",
    ".dvcignore",
    ".gto",
    ".gitignore",
)
BIN = Path(sys.executable).parent


def copy_project(target: Path) -> Path:
    """Copy the project's sources and configs (no build outputs, no caches) into `target`."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        # a use case's build outputs and lock, and caches; factory/artifacts is code
        outputs = {"artifacts", "dvc.lock"} if Path(folder).parent.name == "use_cases" else set()
        return {name for name in names if name in outputs or name in ("__pycache__", ".gitignore")}

    for item in PROJECT_ITEMS:
        source = REPO / item
        if source.is_dir():
            shutil.copytree(source, target / item, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, target / item)
    return target


def project_env(root: Path) -> dict[str, str]:
    """Environment that runs the copy's own `factory` and `components` code, offline and quiet."""
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(root),
            "PATH": os.pathsep.join([str(BIN), env.get("PATH", "")]),
            "DVC_NO_ANALYTICS": "1",
            "COLUMNS": "200",
            "GIT_AUTHOR_NAME": "Factory Tests",
            "GIT_AUTHOR_EMAIL": "tests@example.com",
            "GIT_COMMITTER_NAME": "Factory Tests",
            "GIT_COMMITTER_EMAIL": "tests@example.com",
        }
    )
    return env


Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.hookimpl(trylast=True)  # after pytest-randomly shuffled them: its order is kept within each group
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """End-to-end tests first; the steps of a story in the order they are written.

    The test command hands whole files to two workers in collection order; a long end-to-end
    file handed out last would run alone while the other worker idles. A module marked
    `story` is one sequence on a shared repository (release, then refuse, then roll back...):
    its tests keep the places the shuffle gave them, filled in the order they are written.
    """
    stories: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if item.get_closest_marker("story") is not None:
            stories.setdefault(item.nodeid.split("::")[0], []).append(index)
    for places in stories.values():
        steps = sorted((items[place] for place in places), key=lambda item: item.location[1])
        for place, step in zip(places, steps, strict=True):
            items[place] = step
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


def make_runner(root: Path) -> Runner:
    """A function that runs a command in `root` with `project_env`, capturing text output."""

    def run(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(list(args), cwd=root, env=project_env(root), capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    return run


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the project (configs, code, generated files), without Git."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def factory_cli(project: Path) -> Runner:
    """Run `factory ...` in the copied project."""
    runner = make_runner(project)
    return lambda *args, check=False: runner(str(BIN / "factory"), *args, check=check)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its bytes, to prove a failed command wrote nothing."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".factory" not in p.parts  # caches are not outputs
    }


def init_repo(root: Path, dvc_remote: Path | None = None) -> Runner:
    """A Git + DVC repository holding a copy of the project, committed on `main`."""
    copy_project(root)
    run = make_runner(root)
    run("git", "init", "-q", "-b", "main", check=True)
    run(sys.executable, "-m", "dvc", "init", "-q", check=True)
    run(sys.executable, "-m", "dvc", "config", "core.analytics", "false", check=True)
    if dvc_remote is not None:
        run(sys.executable, "-m", "dvc", "remote", "add", "-d", "local", str(dvc_remote), check=True)
    run("git", "add", "-A", check=True)
    run("git", "commit", "-q", "-m", "project", check=True)
    return run


def run_factory(run: Runner, *args: str) -> tuple[int, str]:
    """Run `factory <args>` with `run`; return the exit code and all output."""
    done = run(str(BIN / "factory"), *args)
    return done.returncode, done.stdout + done.stderr


def clone_built_examples(tmp_path_factory: pytest.TempPathFactory, target: Path) -> Runner:
    """A copy of a Git + DVC repository of the project with every example built and committed.

    The examples are built once per test run (shared by the xdist workers through a lock) and
    each caller gets its own copy, so a test may change anything in it.
    """
    from filelock import FileLock

    # xdist workers each get a folder under the run's base folder; share that one. Without
    # xdist the base folder is the run's own: its parent outlives the code that built it.
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    template = shared / "built-examples"
    with FileLock(str(shared / "built-examples.lock")):
        if not (template / ".built").is_file():
            shutil.rmtree(template, ignore_errors=True)
            run = init_repo(template)
            code, output = run_factory(run, "build")
            assert code == 0, output
            run("git", "add", "-A", check=True)
            run("git", "commit", "-q", "-m", "build the examples", check=True)
            (template / ".built").write_text("")
    shutil.copytree(template, target, symlinks=True, ignore=shutil.ignore_patterns(".built"))
    return make_runner(target)


CORPUS_RECORDS = "security-corpus"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Forget the hostile-config verdicts of an earlier run (in the controller, before any worker starts)."""
    cache = getattr(session.config, "cache", None)
    if cache is not None and not hasattr(session.config, "workerinput"):
        shutil.rmtree(cache.mkdir(CORPUS_RECORDS), ignore_errors=True)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the figures of the hostile-config corpus (tests/security/), when it ran."""
    from tests.security.test_hostile_configs import corpus_figures

    cache = getattr(config, "cache", None)
    figures = corpus_figures(cache.mkdir(CORPUS_RECORDS)) if cache is not None else None
    if figures:
        terminalreporter.section("hostile-config corpus")
        for line in figures.splitlines():
            terminalreporter.write_line(line)
