"""`factory ci monitor`: every production model checked against its batch, as the scheduled workflow runs it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from factory.monitor.log import read_log
from tests.conftest import Runner, clone_built_examples, run_factory

pytestmark = [pytest.mark.e2e, pytest.mark.story]

NAME = "wine-cultivar"


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Runner]:
    """The built examples with wine-cultivar released to production (the only production model)."""
    base = tmp_path_factory.mktemp("ci-monitor")
    run = clone_built_examples(tmp_path_factory, base / "repo")
    run(sys.executable, "-m", "dvc", "remote", "add", "-d", "local", str(base / "dvc-remote"), check=True)
    run("git", "commit", "-q", "-am", "a DVC remote", check=True)
    code, output = run_factory(run, "release", NAME)
    assert code == 0, output
    return base / "repo", run


def test_scheduled_monitoring_of_every_production_model(released: tuple[Path, Runner], tmp_path: Path) -> None:
    root, run = released
    inputs = tmp_path / "batches"
    code, output = run_factory(run, "ci", "monitor", "--inputs", str(inputs))
    assert code == 2 and "expected a folder of batches" in output and "Traceback" not in output
    inputs.mkdir()

    code, output = run_factory(run, "ci", "monitor", "--inputs", str(inputs))
    assert code == 1, output  # a production model without a batch is not monitored: red
    assert "no batch" in output and f"no {NAME}.parquet or {NAME}.csv" in output
    assert "churn" not in output  # not in production: not monitored

    code, output = run_factory(
        run, "simulate", NAME, "--rows", "400", "--seed", "1", "--out", str(inputs / f"{NAME}.csv")
    )
    assert code == 0, output
    code, output = run_factory(run, "ci", "monitor", "--inputs", str(inputs))
    assert code == 0, output
    (record,) = read_log(root / f"use_cases/{NAME}/monitoring/log.jsonl")
    assert record.verdict == "ok" and record.version == "v1.0.0"
    assert record.efficacy is not None  # the batch holds the target column: efficacy is checked too

    (inputs / f"{NAME}.csv").unlink()
    shift = "covariate:alcohol,hue,proline,flavanoids,color_intensity,magnesium,ash@1"
    code, output = run_factory(
        run,
        "simulate",
        NAME,
        "--rows",
        "2000",
        "--seed",
        "2",
        "--shift",
        shift,
        "--out",
        str(inputs / f"{NAME}.parquet"),
    )
    assert code == 0, output
    code, output = run_factory(run, "ci", "monitor", "--inputs", str(inputs))
    assert code == 1, output
    assert "1 production model(s) need attention" in output and f"{NAME} v1.0.0: alert: dataset drift" in output
    assert [r.verdict for r in read_log(root / f"use_cases/{NAME}/monitoring/log.jsonl")] == ["ok", "alert"]

    (inputs / f"{NAME}.parquet").unlink()
    (inputs / f"{NAME}.csv").write_text("alcohol,hue\n13.1,1.0\n")
    code, output = run_factory(run, "ci", "monitor", "--inputs", str(inputs))
    assert code == 1, output
    assert f"{NAME} v1.0.0: error:" in output and "Traceback" not in output
    assert len(read_log(root / f"use_cases/{NAME}/monitoring/log.jsonl")) == 2  # a bad batch logs nothing
