"""Training and search on a real Dask cluster give the same model as a local run."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import Runner, clone_built_examples
from tests.conftest import run_factory as factory

pytestmark = [pytest.mark.e2e, pytest.mark.story]

ARTIFACTS = Path("use_cases/wine-cultivar/artifacts")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real local Dask cluster: a scheduler and two single-threaded worker processes (their files in tmp)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        protocol="tcp",
        dashboard_address=None,
        local_directory=str(tmp_path_factory.mktemp("dask")),
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Runner]:
    root = tmp_path_factory.mktemp("runtime") / "repo"
    return root, clone_built_examples(tmp_path_factory, root)


def set_runtime(root: Path, runtime: dict[str, object]) -> None:
    config = root / "use_cases/wine-cultivar/config.yaml"
    text = config.read_text().split("\nruntime:")[0]
    config.write_text(text + "\n" + yaml.safe_dump({"runtime": runtime}))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_dask_training_and_search_match_the_local_run(
    built: tuple[Path, Runner], cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, run = built
    monkeypatch.setenv("FACTORY_DASK_ADDRESS", cluster)
    local_model, local_search = digest(root / ARTIFACTS / "model.skops"), digest(root / ARTIFACTS / "search.json")
    (root / ARTIFACTS / "model.skops").unlink()
    (root / ARTIFACTS / "search.json").unlink()

    set_runtime(root, {"engine": "dask", "n_jobs": -1})
    code, output = factory(run, "compile", "wine-cultivar")
    assert code == 0, output
    code, output = factory(run, "stage", "train", "wine-cultivar")
    assert code == 0, output

    assert digest(root / ARTIFACTS / "model.skops") == local_model
    assert digest(root / ARTIFACTS / "search.json") == local_search
    # the runtime is not a train param: switching engines does not invalidate the model
    status = run("dvc", "status", "use_cases/wine-cultivar/dvc.yaml", check=True).stdout
    assert "train" not in status, status


def test_a_use_case_cannot_name_the_scheduler(built: tuple[Path, Runner], cluster: str) -> None:
    """Where to run is the operator's: a scheduler unpickles into the build, so a config never picks one."""
    root, run = built
    set_runtime(root, {"engine": "dask", "address": cluster})
    code, output = factory(run, "check", "wine-cultivar")
    assert code == 2, output
    assert "runtime: expected no runtime.address: the operator sets the Dask scheduler" in output
    assert "FACTORY_DASK_ADDRESS" in output and "Traceback" not in output


def test_dask_without_an_address_or_reachable_scheduler_is_a_clear_error(
    built: tuple[Path, Runner], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, run = built
    monkeypatch.delenv("FACTORY_DASK_ADDRESS", raising=False)
    set_runtime(root, {"engine": "dask"})
    assert factory(run, "compile", "wine-cultivar")[0] == 0
    code, output = factory(run, "stage", "train", "wine-cultivar")
    assert code == 1, output
    assert "use_cases/wine-cultivar/params.yaml" in output and "no cluster is set" in output
    assert "FACTORY_DASK_ADDRESS" in output and "Traceback" not in output

    monkeypatch.setenv("FACTORY_DASK_ADDRESS", "scheduler-without-a-port")
    code, output = factory(run, "stage", "train", "wine-cultivar")
    assert code == 1, output
    assert "FACTORY_DASK_ADDRESS: expected a scheduler address such as 'tcp://host:8786'" in output
    assert "Traceback" not in output

    monkeypatch.setenv("FACTORY_DASK_ADDRESS", "tcp://127.0.0.1:9")
    code, output = factory(run, "stage", "train", "wine-cultivar")
    assert code == 1, output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in output and "Traceback" not in output
