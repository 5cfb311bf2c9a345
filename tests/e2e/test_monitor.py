"""End to end: release an example, simulate batches from it and monitor them through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from factory.monitor.log import read_log
from tests.conftest import BIN, clone_built_examples, project_env
from tests.test_cli_inprocess import run_main

pytestmark = [pytest.mark.e2e, pytest.mark.story]

NAME = "wine-cultivar"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built examples, with a DVC remote in tmp committed, nothing released yet."""
    base = tmp_path_factory.mktemp("monitor")
    run = clone_built_examples(tmp_path_factory, base / "work")
    run(sys.executable, "-m", "dvc", "remote", "add", "-d", "local", str(base / "dvc-remote"), check=True)
    run("git", "commit", "-q", "-am", "a DVC remote for the release", check=True)
    return base / "work"


@pytest.fixture
def cli(repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """`factory ...` in this process, in the repository, as the tests' Git user."""
    for key, value in project_env(repo).items():
        if key.startswith(("GIT_", "DVC_")):
            monkeypatch.setenv(key, value)

    def run(*args: str) -> tuple[int, str]:
        code, out, err = run_main(monkeypatch, capsys, repo, *args)
        return code, out + err

    return run


def test_release_simulate_monitor(repo: Path, cli, tmp_path: Path) -> None:
    log = repo / f"use_cases/{NAME}/monitoring/log.jsonl"
    reports = repo / f"use_cases/{NAME}/monitoring/reports"
    batch = tmp_path / "batch.csv"

    code, output = cli("simulate", NAME, "--out", str(batch))
    assert code == 2 and "no version is in production" in output and f"factory release {NAME}" in output

    code, output = cli("release", NAME)
    assert code == 0, output

    # An unshifted batch: no alert, one log line, a JSON and an HTML report.
    # The README's demo, seeds included.
    code, output = cli("simulate", NAME, "--rows", "400", "--seed", "1", "--out", str(batch))
    assert code == 0 and "wrote 400 row(s) from wine-cultivar v1.0.0 (no shift)" in output
    code, output = cli("monitor", NAME, "--input", str(batch), "--labels", "cultivar")
    assert code == 0, output
    (record,) = read_log(log)
    assert record.verdict == "ok" and record.version == "v1.0.0" and record.rows == 400
    assert record.efficacy is not None and not record.efficacy.degraded
    report = json.loads((repo / record.report).read_text())
    assert report["small_sample"] and report["features"][0]["test"] == "ks" and report["metrics"]["accuracy"] > 0.9
    page = (repo / record.report).with_suffix(".html").read_text()
    assert "wine-cultivar v1.0.0" in page and "http" not in page.replace("<!DOCTYPE html>", "")

    # Covariate shift on a large batch: dataset drift, exit 1 from a real process, plots of drifted features.
    shifted = tmp_path / "shifted.parquet"
    features = "alcohol,hue,proline,flavanoids,color_intensity,magnesium,ash"
    code, output = cli(
        "simulate", NAME, "--rows", "2000", "--seed", "2", "--shift", f"covariate:{features}@1", "--out", str(shifted)
    )
    assert code == 0, output
    done = subprocess.run(
        [str(BIN / "factory"), "monitor", NAME, "--input", str(shifted), "--out", str(tmp_path / "reports")],
        cwd=repo,
        env=project_env(repo),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ALERT" in done.stderr and "dataset drift" in done.stderr and "Traceback" not in done.stderr
    second = read_log(log)[-1]
    assert second.verdict == "alert" and second.dataset_drift and second.drifted_share > 0.5
    assert set(second.drifted_features) >= set(features.split(","))
    html = next((tmp_path / "reports").glob("*.html")).read_text()
    assert html.count("data:image/png;base64,") == len(second.drifted_features) + second.prediction_drift

    # Concept shift: the features do not move, the labels do: efficacy alert.
    code, output = cli("simulate", NAME, "--rows", "400", "--seed", "3", "--shift", "concept", "--out", str(batch))
    code, output = cli("monitor", NAME, "--input", str(batch), "--labels", "cultivar")
    assert code == 1 and "efficacy: accuracy" in output
    third = read_log(log)[-1]
    assert third.efficacy is not None and third.efficacy.degraded and not third.dataset_drift

    # Bad input: a clear message, exit 2, nothing logged and no report written.
    before, written = log.read_bytes(), sorted(reports.iterdir())
    rows = pd.read_csv(batch)
    rows.drop(columns=["alcohol"]).to_csv(tmp_path / "missing.csv", index=False)
    rows.assign(hue="pale").to_csv(tmp_path / "typed.csv", index=False)
    (tmp_path / "empty.csv").write_text("alcohol,hue\n")
    for bad, expected in (
        (["--input", str(tmp_path / "missing.csv")], "missing required column(s): 'alcohol'"),
        (["--input", str(tmp_path / "typed.csv")], "column hue"),
        (["--input", str(tmp_path / "empty.csv")], "the table has no rows"),
        (["--input", str(batch), "--labels", "label"], "--labels"),
        (["--input", str(batch), "--version", "v9.9.9"], "unknown version 'v9.9.9'"),
        (["--input", str(batch), "--stage", "canary"], "'canary' is not one of 'staging', 'production'"),
    ):
        code, output = cli("monitor", NAME, *bad)
        assert code == 2 and expected in output and "Traceback" not in output, output
    assert log.read_bytes() == before and sorted(reports.iterdir()) == written
    code, output = cli("simulate", NAME, "--shift", "nulls", "--out", str(batch))
    assert code == 2 and "nullable features of the use case (none)" in output


def test_a_tampered_reference_profile_is_refused(repo: Path, cli, tmp_path: Path) -> None:
    """The profile is checked against the release record like the model."""
    import yaml

    code, output = cli("release", NAME)  # a no-op when the test above released it
    assert code == 0, output

    lock = yaml.safe_load((repo / f"use_cases/{NAME}/dvc.lock").read_text())
    (profile,) = [out for out in lock["stages"]["evaluate"]["outs"] if out["path"].endswith("reference_profile.json")]
    cached = repo / ".dvc/cache/files/md5" / profile["md5"][:2] / profile["md5"][2:]
    original = cached.read_bytes()
    cached.chmod(0o644)
    code, output = cli("simulate", NAME, "--rows", "50", "--out", str(tmp_path / "batch.csv"))
    assert code == 0, output
    try:
        cached.write_bytes(original.replace(b'"rows"', b'"Rows"', 1))
        code, output = cli("monitor", NAME, "--input", str(tmp_path / "batch.csv"))
        assert code == 2 and "reference profile sha256" in output and "differs from the release record" in output
    finally:
        cached.write_bytes(original)
