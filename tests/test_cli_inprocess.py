"""The CLI entry point run in this process: exit codes, rendering and a real small build."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from factory.cli import main
from tests.conftest import REPO, copy_project, project_env


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cwd: Path, *args: str, columns: str = "200"
) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", ["factory", *args])
    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.delenv("FACTORY_STAGE_SERVER", raising=False)  # a stage runs here, where capsys sees its output
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_read_only_commands(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(monkeypatch, capsys, REPO, "check")
    assert code == 0 and "use case(s) are valid" in out
    code, out, _ = run_main(monkeypatch, capsys, REPO, "compile", "--check")
    assert code == 0 and "up to date" in out
    code, out, _ = run_main(monkeypatch, capsys, REPO, "components", "metric")
    assert code == 0 and "roc_auc" in out and "ridge" not in out
    code, out, _ = run_main(monkeypatch, capsys, REPO, "schema")
    assert code == 0 and json.loads(out)["title"] == "UseCaseSpec"
    code, _, err = run_main(monkeypatch, capsys, REPO, "components", "gadget")
    assert code == 2 and "'gadget' is not one of 'source'" in err


def test_without_a_terminal_nothing_is_cut_at_80_columns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CI log: tables as wide as their cells, paths whole, even where COLUMNS says 80."""
    code, out, _ = run_main(monkeypatch, capsys, REPO, "inventory", columns="80")
    assert code == 0
    for cell in ("retention-analytics@example.com", "marketing-science@example.com", "customer-usage"):
        assert cell in out, f"{cell!r} was cut:\n{out}"
    code, out, _ = run_main(monkeypatch, capsys, REPO, "components", "source", columns="80")
    assert code == 0 and "Load a scikit-learn bundled dataset (iris, wine, breast_cancer, diabetes) as a table." in out
    assert max(len(line) for line in out.splitlines()) > 80


def test_bad_input_exits_2_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = copy_project(tmp_path / "p")
    config = project / "use_cases/churn/config.yaml"
    config.write_text(config.read_text().replace("target: churned", "target: churn_flag"))
    code, _, err = run_main(monkeypatch, capsys, project, "check")
    assert code == 2
    assert "use_cases/churn/config.yaml: invalid configuration" in err
    assert "target: expected a column of the use case's data" in err
    assert "Traceback" not in err
    code, _, err = run_main(monkeypatch, capsys, project, "stage", "train", "../etc")
    assert code == 2 and "expected a slug" in err


@pytest.mark.e2e
def test_build_and_show_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = copy_project(tmp_path / "p")
    shutil.copy2(REPO / ".gitignore", project / ".gitignore")
    env = project_env(project)
    for command in (["git", "init", "-q"], [sys.executable, "-m", "dvc", "init", "-q"]):
        subprocess.run(command, cwd=project, env=env, check=True)
    for key, value in env.items():
        if key.startswith("GIT_") or key in ("PATH", "DVC_NO_ANALYTICS"):
            monkeypatch.setenv(key, value)
    code, out, err = run_main(monkeypatch, capsys, project, "build", "wine-cultivar")
    assert code == 0, out + err
    assert "wine-cultivar: built (prepare, train, evaluate, report)" in out
    assert "accuracy 0." in out
    code, out, _ = run_main(monkeypatch, capsys, project, "show", "wine-cultivar")
    assert code == 0 and "status: up to date" in out

    # A failing pipeline is reported with its output, exit code 1, and the others still run.
    (project / "factory/stages/prepare.py").write_text("raise SystemExit('prepare is broken')\n")
    monkeypatch.setenv("PYTHONPATH", str(project))
    code, out, err = run_main(monkeypatch, capsys, project, "build", "wine-cultivar")
    assert code == 1
    assert "wine-cultivar: FAILED at prepare" in out
    assert "(an earlier build's metrics are not shown)" in out and "accuracy 0." not in out
    assert "1 pipeline(s) failed: wine-cultivar" in err
    assert "generated files are stale" not in err
