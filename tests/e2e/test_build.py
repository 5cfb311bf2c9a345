"""End to end: real Git, real DVC, real `factory build` of the examples in a temporary repository."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from factory import kernels
from factory.ci.verify import locked_outputs
from tests.conftest import BIN, REPO, Runner, clone_built_examples, init_repo, project_env
from tests.conftest import run_factory as factory

pytestmark = [pytest.mark.e2e, pytest.mark.story]

USE_CASES = ("churn", "customer-value", "shuttle-prices", "wine-cultivar")
PIPELINES = ("dvc.yaml", *(f"use_cases/{name}/dvc.yaml" for name in USE_CASES))


def repro(run: Runner) -> set[str]:
    """Run `dvc repro` on every pipeline; return the stages that ran."""
    done = run(sys.executable, "-m", "dvc", "repro", *PIPELINES, check=True)
    return set(re.findall(r"Running stage '([^']+)'", done.stdout + done.stderr))


def digests(root: Path) -> dict[str, str]:
    """sha256 of every build output: data products, models, metrics, plots."""
    files = [*sorted((root / "data/products").glob("*")), *sorted((root / "use_cases").glob("*/artifacts/**/*"))]
    return {
        str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in files
        if f.is_file() and f.name not in ("lineage.json", "model_card.md", "model_card.html")
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Runner, str]:
    root = tmp_path_factory.mktemp("built") / "repo"
    run = clone_built_examples(tmp_path_factory, root)  # a clean build of the examples, committed
    code, output = factory(run, "build")  # nothing left to run: the summary table alone
    assert code == 0, output
    FIRST_BUILD.update(digests(root))
    return root, run, output


FIRST_BUILD: dict[str, str] = {}


def test_build_makes_every_output_and_a_metrics_table(built: tuple[Path, Runner, str]) -> None:
    root, _, output = built
    for name in USE_CASES:
        artifacts = root / "use_cases" / name / "artifacts"
        for file in (
            "model.skops",
            "metrics.json",
            "slice_metrics.json",
            "model_card.md",
            "model_card.html",
            "lineage.json",
            "train.parquet",
            "test.parquet",
        ):
            assert (artifacts / file).is_file(), f"{name}: {file}"
        assert list((artifacts / "plots").glob("*.png")), name
        assert name in output
    assert "roc_auc" in output and "r2" in output and "accuracy" in output
    card = (root / "use_cases/churn/artifacts/model_card.md").read_text()
    assert "| roc_auc |" in card and ">= 0.7" in card and "**Metrics by `region`**" in card
    lineage = yaml.safe_load((root / "use_cases/churn/artifacts/lineage.json").read_text())
    assert re.fullmatch(r"[0-9a-f]{40}", lineage["git"]["commit"])
    assert lineage["data_products"]["customers"]["md5"]
    assert "../../components/models/random_forest_classifier.py" in lineage["stages"]["train"]
    if kernels._has_avx2():  # the stages, run in the stage server's children, computed with the pinned kernels
        assert lineage["kernels"]["blas"] == [{"kernels": "Haswell", "threads": 1}]
        assert "X86_V4" not in lineage["kernels"]["numpy_loops"]
        assert "- **Numeric kernels:** BLAS Haswell (1 thread); numpy loops" in card


def test_metrics_are_sensible(built: tuple[Path, Runner, str]) -> None:
    root, _, _ = built
    churn = yaml.safe_load((root / "use_cases/churn/artifacts/metrics.json").read_text())
    value = yaml.safe_load((root / "use_cases/customer-value/artifacts/metrics.json").read_text())
    wine = yaml.safe_load((root / "use_cases/wine-cultivar/artifacts/metrics.json").read_text())
    assert 0.7 < churn["roc_auc"] <= 1.0
    assert value["r2"] > 0.3
    assert wine["accuracy"] > 0.85


def test_rebuilds_are_incremental_and_precise(built: tuple[Path, Runner, str]) -> None:
    root, run, _ = built
    assert repro(run) == set(), "a second build with nothing changed must run nothing"

    config = root / "use_cases/churn/config.yaml"
    config.write_text(
        config.read_text().replace("  - _self_\n", "  - _self_\n\nmodel:\n  params:\n    n_estimators: 50\n", 1)
    )
    code, output = factory(run, "compile")
    assert code == 0, output
    assert repro(run) == {f"use_cases/churn/dvc.yaml:{stage}" for stage in ("train", "evaluate", "report")}

    # A component's source file changes: only the use case using it reruns, and since the
    # model comes out byte-identical, DVC stops after training.
    component = root / "components/models/logistic_regression.py"
    component.write_text(component.read_text() + "\n# reviewed\n")
    assert repro(run) == {"use_cases/wine-cultivar/dvc.yaml:train"}

    # A shared data product changes: both use cases that read it rerun, the wine one does not.
    product = root / "conf/data/customers.yaml"
    product.write_text(product.read_text().replace("seed: 7\n    table: profile", "seed: 8\n    table: profile"))
    code, output = factory(run, "compile")
    assert code == 0, output
    ran = repro(run)
    assert "customers" in ran and "wine" not in ran
    assert {s.split("/")[1] for s in ran if s.startswith("use_cases/")} == {"churn", "customer-value"}


def test_two_clean_builds_are_byte_identical(built: tuple[Path, Runner, str], tmp_path: Path) -> None:
    """The second build runs two pipelines at once (`-j 2`), every stage in a new process (no
    stage server): same bytes as the first, sequential one, whose stages ran in the server's children."""
    assert any(name.endswith("model.skops") for name in FIRST_BUILD)
    root = tmp_path / "again"
    init_repo(root)
    done = subprocess.run(  # the two smaller use cases: a search and a time split, side by side
        [str(BIN / "factory"), "build", "-j", "2", "--fresh-processes", "wine-cultivar", "customer-value"],
        cwd=root,
        env=project_env(root),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    again = digests(root)
    assert any(name.endswith("wine-cultivar/artifacts/model.skops") for name in again)
    assert again == {name: digest for name, digest in FIRST_BUILD.items() if name in again}
    assert len(again) == len(
        [n for n in FIRST_BUILD if not any(other in n for other in ("churn", "customer-usage", "shuttle"))]
    )


@pytest.mark.skipif(not kernels._has_avx2(), reason="the records were built with the AVX2 loops (factory.kernels)")
def test_a_fresh_build_reproduces_the_records_committed_in_this_repository(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """What `factory ci verify` checks on a runner: the committed dvc.lock files were written
    on another machine, whose CPU and core count may differ from this one's."""
    root = tmp_path / "repo"
    clone_built_examples(tmp_path_factory, root)  # the clean build, before any test changed it
    for lock in ("dvc.lock", *(f"use_cases/{name}/dvc.lock" for name in USE_CASES)):
        committed = locked_outputs(REPO / lock, REPO)
        assert committed, f"{lock} has no build records in this repository"
        rebuilt = locked_outputs(root / lock, root)
        differ = sorted(path for path in committed.keys() | rebuilt.keys() if committed.get(path) != rebuilt.get(path))
        assert not differ, f"{lock}: a fresh build gives other bytes for {differ} (stale records: run `factory build`)"


def test_schema_violation_fails_before_training(tmp_path: Path) -> None:
    """A product that breaks its schema fails the use cases that read it, unbuilt; the others build."""
    run = init_repo(tmp_path)
    product = tmp_path / "conf/data/wine.yaml"
    product.write_text(
        product.read_text().replace("alcohol: {dtype: float64, min: 0}", "alcohol: {dtype: float64, min: 0, max: 13}")
    )
    code, output = factory(run, "compile")
    assert code == 0, output
    code, output = factory(run, "build", "-j", "2")
    assert code == 1
    assert "data product 'wine': data does not match its declared schema" in output
    assert "column alcohol: check less_than_or_equal_to(13" in output
    assert "2 pipeline(s) failed: data products, wine-cultivar" in output
    assert "--- wine-cultivar ---\nnot built: data product(s) wine failed (see data products)" in output
    assert "wine-cultivar: not built: data product(s) wine failed" in output  # its progress line says why
    assert "churn: built (prepare, train, evaluate, report)" in output
    assert "Traceback" not in output
    assert not (tmp_path / "use_cases/wine-cultivar/artifacts/model.skops").exists()
    assert not (tmp_path / "data/products/wine.parquet").exists()
    assert (tmp_path / "data/products/customers.parquet").is_file()
    assert (tmp_path / "use_cases/customer-value/artifacts/model.skops").is_file()


NO_ROWS = """\
transforms:
  - component: filter_rows
    params:
      conditions: [{column: alcohol, op: lt, value: 0}]
"""


def test_a_failed_pipeline_does_not_stop_the_others(tmp_path: Path) -> None:
    """One DVC process builds one pipeline after the other: wine-cultivar's failure is its own."""
    run = init_repo(tmp_path)
    wine = tmp_path / "conf/data/wine.yaml"
    wine.write_text(wine.read_text().replace("schema:\n", NO_ROWS + "schema:\n"))
    code, output = factory(run, "compile")
    assert code == 0, output
    code, output = factory(run, "build", "churn", "wine-cultivar")
    assert code == 1, output
    assert "1 pipeline(s) failed: wine-cultivar" in output
    assert "--- wine-cultivar ---" in output and "no rows with a value for the target" in output
    assert "churn: built (prepare, train, evaluate, report)" in output
    assert "Traceback" not in output
    assert (tmp_path / "use_cases/churn/artifacts/model.skops").is_file()
    assert not (tmp_path / "use_cases/wine-cultivar/artifacts/model.skops").exists()


def test_ctrl_c_stops_the_build_and_starts_nothing_more(tmp_path: Path) -> None:
    """Ctrl-C reaches the build, its DVC processes and the stage running: all of them stop."""
    import os
    import signal
    import time

    init_repo(tmp_path)
    build = subprocess.Popen(
        [str(BIN / "factory"), "build", "-j", "2"],
        cwd=tmp_path,
        env=project_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a process group of its own, as a terminal gives a command
    )
    deadline = time.monotonic() + 120
    while not (tmp_path / "use_cases/churn/artifacts/train.parquet").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # churn's train stage is running: DVC waits for it, and the stage gets the signal
    os.killpg(build.pid, signal.SIGINT)
    output, _ = build.communicate(timeout=60)
    assert build.returncode == 130, output
    assert "Traceback" not in output
    # churn and customer-value started first (-j 2); wine-cultivar waited in the queue, dropped
    assert not (tmp_path / "use_cases/wine-cultivar/artifacts/train.parquet").exists(), output
    time.sleep(0.5)
    for process in Path("/proc").glob("[0-9]*"):
        try:
            left = process.joinpath("cwd").resolve() == tmp_path.resolve()
        except OSError:
            continue
        assert not left, f"{process.joinpath('cmdline').read_bytes()!r} still runs in the project"
