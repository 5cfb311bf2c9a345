"""The pull-request trust boundary, tried with the hostile-config corpus (`tests/security/corpus.py`).

Each case runs `factory check` and `factory compile` through the real command line entry
point, with a fake secret in the environment, and must end with exit 2 and one clear message:
no traceback, nothing written (beyond the composition cache), no file outside the project
touched, the secret in no output and no file, no code run, no process left. The honest odd
configs (`ACCEPTED`) must check and build cleanly, in a real Git + DVC repository.

Every case's verdict is recorded for the figures printed at the end of the test run
(`tests/conftest.py`, "hostile-config corpus").
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import BIN, CORPUS_RECORDS, REPO, make_runner, project_env
from tests.security.corpus import (
    ACCEPTED,
    BASE_CONFIG,
    BASE_PRODUCT,
    CASES,
    SECRET,
    SECRET_VARIABLE,
    Case,
    Probe,
    dump,
)

SECONDS_PER_COMMAND = 20  # a bound, not a timing: a command that takes longer has hung
PLANTED = (".git/config", ".dvc/config.local")


def _iris_csv() -> str:
    from sklearn.datasets import load_iris

    bunch = load_iris(as_frame=True)
    frame = bunch.data.rename(columns=lambda name: name.replace(" (cm)", "_cm").replace(" ", "_"))
    frame.insert(0, "sample_id", range(len(frame)))
    frame["species"] = [str(bunch.target_names[code]) for code in bunch.target]
    return frame.to_csv(index=False)


def make_template(target: Path) -> Path:
    """The small project the cases attack, with secrets where an attacker would look."""
    root = target / "project"
    for item in ("factory", "components", "conf"):
        shutil.copytree(REPO / item, root / item, ignore=shutil.ignore_patterns("__pycache__", "data"))
    (root / "conf/data").mkdir()
    (root / "conf/data/flowers.yaml").write_text(dump(BASE_PRODUCT), encoding="utf-8")
    (root / "use_cases/probe").mkdir(parents=True)
    (root / "use_cases/probe/config.yaml").write_text(dump(BASE_CONFIG), encoding="utf-8")
    (root / "data/raw").mkdir(parents=True)
    (root / "data/raw/flowers.csv").write_text(_iris_csv(), encoding="utf-8")
    for item in ("pyproject.toml", ".dvcignore", ".gto", ".gitignore"):
        shutil.copy2(REPO / item, root / item)
    (root / ".git").mkdir()
    (root / ".git/config").write_text(
        f'[remote "origin"]\n\turl = https://x-access-token:{SECRET}@github.com/org/repo.git\n', encoding="utf-8"
    )
    (root / ".dvc").mkdir()
    (root / ".dvc/config.local").write_text(
        f"['remote \"storage\"']\n    secret_access_key = {SECRET}\n", encoding="utf-8"
    )
    outside = target / "outside"
    (outside / "use-case").mkdir(parents=True)
    leak = {**BASE_CONFIG, "description": SECRET}
    leak.pop("defaults")
    (outside / "leak.yaml").write_text(dump(leak), encoding="utf-8")
    (outside / "use-case/config.yaml").write_text(dump(leak), encoding="utf-8")
    (outside / "secret.csv").write_text(f"token\n{SECRET}\n", encoding="utf-8")
    return root


def fingerprint(folder: Path) -> dict[str, str]:
    """Every entry under `folder` (links as links) with a hash of its content; caches left out."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if relative.startswith(".factory") or "__pycache__" in path.parts:
            continue
        if path.is_symlink():
            found[relative] = "link:" + os.readlink(path)
        elif path.is_file():
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def files_holding(folder: Path, secret: str) -> list[str]:
    """Files under `folder` whose bytes hold `secret`, the planted ones left out."""
    needle = secret.encode()
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
        and not path.is_symlink()
        and path.relative_to(folder).as_posix() not in PLANTED
        and needle in path.read_bytes()
    )


def child_pids() -> set[int]:
    """Processes whose parent is this one."""
    mine = str(os.getpid())
    found = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if status.read_text().rsplit(")", 1)[1].split()[1] == mine:
                found.add(int(status.parent.name))
    return found


def processes_holding(secret: str) -> list[int]:
    """Processes of this user whose environment holds `secret`, this one left out."""
    needle = secret.encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        pid = int(environ.parent.name)
        with contextlib.suppress(OSError):
            if pid != os.getpid() and needle in environ.read_bytes():
                found.append(pid)
    return found


@contextlib.contextmanager
def bounded(seconds: int) -> Iterator[None]:
    def expire(_number: int, _frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(*args: str) -> tuple[int, str]:
    """Run the `factory` entry point in this process; its exit code and everything it printed.

    An exception that escapes `main` is what a user would see as a traceback, so it is printed
    into the output as the interpreter would.
    """
    from factory.cli import main

    output = io.StringIO()
    code: Any = 0
    argv = sys.argv
    sys.argv = ["factory", *args]
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output), bounded(SECONDS_PER_COMMAND):
            main()
    except SystemExit as exc:
        code = exc.code
    except BaseException:
        output.write(traceback.format_exc())
        code = 1
    finally:
        sys.argv = argv
    return (code if isinstance(code, int) else 1), output.getvalue()


def probe_from(template: Path, target: Path) -> Probe:
    shutil.copytree(template.parent, target, symlinks=True)
    return Probe(root=target / "project", outside=target / "outside", marker=target / "code-ran")


def record(request: pytest.FixtureRequest, name: str, verdict: dict[str, Any]) -> None:
    folder = request.config.cache.mkdir(CORPUS_RECORDS)
    (folder / f"{name}.json").write_text(json.dumps(verdict), encoding="utf-8")


# Two halves, each a test file of its own, so the two workers of the test command share them.
PATH_CATEGORIES = ("path", "dot", "alias", "size", "bounds", "unicode")
CONFIG_CASES = [case for case in CASES if case.category not in PATH_CATEGORIES]
PATH_CASES = [case for case in CASES if case.category in PATH_CATEGORIES]


@pytest.mark.parametrize("case", CONFIG_CASES, ids=[case.id for case in CONFIG_CASES])
def test_hostile_config_is_refused_cleanly(
    case: Case, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    refused_cleanly(case, template, tmp_path, monkeypatch, request)


def refused_cleanly(
    case: Case, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Run check and compile on the case; assert one clear refusal and nothing else; record the verdict."""
    probe = probe_from(template, tmp_path / "case")
    case.edit(probe)
    project_before, outside_before = fingerprint(probe.root), fingerprint(probe.outside)
    children_before = child_pids()
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    monkeypatch.chdir(probe.root)

    results = {command: run_cli(command) for command in ("check", "compile")}

    outputs = "\n".join(output for _, output in results.values())
    verdict = {
        "category": case.category,
        "clear_error": all(
            code == 2 and output.startswith("error: ") and "expected" in output and "Traceback" not in output
            for code, output in results.values()
        ),
        "traceback": "Traceback" in outputs,
        "written": sorted(set(fingerprint(probe.root).items()) ^ set(project_before.items())),
        "written_outside": fingerprint(probe.outside) != outside_before,
        "leaked": SECRET in outputs or bool(files_holding(probe.root, SECRET)),
        "code_ran": probe.marker.exists(),
        "processes_left": sorted(child_pids() - children_before),
    }
    record(request, case.id, verdict)
    assert verdict["clear_error"], outputs
    assert not verdict["traceback"], outputs
    assert not verdict["written"], verdict["written"]
    assert not verdict["written_outside"]
    assert not verdict["leaked"], (outputs, files_holding(probe.root, SECRET))
    assert not verdict["code_ran"]
    assert not verdict["processes_left"]


@pytest.mark.e2e
def test_honest_configs_with_odd_text_check_and_build_cleanly(
    template: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Plain references, emoji, CJK and right-to-left text are honest: checked, built, nothing leaked."""
    probe = probe_from(template, tmp_path / "accepted")
    root = probe.root
    shutil.rmtree(root / ".git")
    shutil.rmtree(root / ".dvc")
    for name, overrides in ACCEPTED.items():
        folder = root / "use_cases" / name
        folder.mkdir()
        (folder / "config.yaml").write_text(dump({**BASE_CONFIG, **overrides}), encoding="utf-8")
    shutil.rmtree(root / "use_cases/probe")
    run = make_runner(root)
    run("git", "init", "-q", "-b", "main", check=True)
    run(sys.executable, "-m", "dvc", "init", "-q", check=True)
    run("git", "add", "-A", check=True)
    run("git", "commit", "-q", "-m", "project", check=True)
    outside_before = fingerprint(probe.outside)
    temporary = tmp_path / "tmp"  # the build's temporary folder: nothing may be left in it
    temporary.mkdir()
    env = {**project_env(root), SECRET_VARIABLE: SECRET, "TMPDIR": str(temporary)}

    outputs = []
    for command in (["check"], ["compile"], ["build"]):
        done = subprocess.run(
            [str(BIN / "factory"), *command], cwd=root, env=env, capture_output=True, text=True, timeout=600
        )
        outputs.append(done.stdout + done.stderr)
        assert done.returncode == 0, outputs[-1]
    params = yaml.safe_load((root / "use_cases/probe-reference/params.yaml").read_text(encoding="utf-8"))
    assert params["description"] == "Predicts species from sepal_length_cm and three more."
    card = (root / "use_cases/probe-unicode/artifacts/model_card.md").read_text(encoding="utf-8")
    assert "鸢尾花分类" in card and "🌸" in card and "أي نوع" in card

    verdict = {
        "category": "accepted",
        "built": len(ACCEPTED),
        "traceback": any("Traceback" in output for output in outputs),
        "written_outside": fingerprint(probe.outside) != outside_before,
        "leaked": any(SECRET in output for output in outputs) or bool(files_holding(root, SECRET)),
        "processes_left": processes_holding(SECRET),
        "code_ran": probe.marker.exists(),
    }
    record(request, "accepted", verdict)
    assert not verdict["traceback"] and not verdict["written_outside"] and not verdict["leaked"]
    assert not verdict["processes_left"], "a process the build started still runs with its environment"
    assert list(temporary.iterdir()) == [], "the build left files in its temporary folder"


def corpus_figures(folder: Path) -> str | None:
    """The figures of the corpus from the verdicts recorded in this run (None when none ran)."""
    verdicts = [json.loads(file.read_text(encoding="utf-8")) for file in sorted(folder.glob("*.json"))]
    hostile = [v for v in verdicts if v["category"] != "accepted"]
    if not verdicts:
        return None
    accepted = next((v for v in verdicts if v["category"] == "accepted"), None)
    lines = [
        f"tried: {len(hostile)} hostile configs in {len({v['category'] for v in hostile})} categories"
        + (f", and {accepted['built']} honest odd ones" if accepted else ""),
        f"clear errors (exit 2, one message): {sum(v['clear_error'] for v in hostile)}",
        f"tracebacks: {sum(v['traceback'] for v in verdicts)}",
        f"written outside their place: {sum(bool(v.get('written')) or v['written_outside'] for v in verdicts)}",
        f"secrets leaked: {sum(v['leaked'] for v in verdicts)}",
        f"code executed: {sum(v['code_ran'] for v in verdicts)}",
        f"processes left: {sum(bool(v['processes_left']) for v in verdicts)}",
    ]
    if accepted:
        lines.append(f"honest odd configs built cleanly: {accepted['built']}")
    return "\n".join(lines)
