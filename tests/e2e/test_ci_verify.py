"""`factory ci verify`: a clean rebuild of HEAD must reproduce every output that dvc.lock records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import clone_built_examples, run_factory

pytestmark = pytest.mark.e2e


def test_verify_passes_for_seeded_models_and_names_an_unseeded_one(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path / "repo"
    run = clone_built_examples(tmp_path_factory, root)  # every example built and committed

    def build_and_commit(message: str) -> None:
        code, output = run_factory(run, "build", "churn")
        assert code == 0, output
        run("git", "add", "-A", check=True)
        run("git", "commit", "-q", "-m", message, check=True)

    code, output = run_factory(run, "ci", "verify", "churn")
    assert code == 0, output
    assert "byte-identical" in output

    # Plant non-determinism: the forest ignores its seed.
    component = root / "components/models/random_forest_classifier.py"
    text = component.read_text()
    assert "RandomForestClassifier(**params.model_dump())" in text
    component.write_text(
        text.replace(
            "RandomForestClassifier(**params.model_dump())",
            'RandomForestClassifier(**{**params.model_dump(), "random_state": None})',
        )
    )
    build_and_commit("unseeded forest")
    # ...and the committed build says it ran on other kernels: the message points at them too.
    lineage_file = root / "use_cases/churn/artifacts/lineage.json"
    lineage = json.loads(lineage_file.read_text())
    lineage["kernels"] = {"blas": [{"kernels": "SkylakeX", "threads": 2}], "numpy": "2.4.6", "numpy_loops": ["X86_V4"]}
    lineage_file.write_text(json.dumps(lineage))
    run("git", "commit", "-q", "-am", "a lineage from another machine", check=True)
    code, output = run_factory(run, "ci", "verify", "churn")
    assert code == 1, output
    assert "use_cases/churn/artifacts/model.skops" in output
    assert "not reproducible from HEAD" in output and "Traceback" not in output
    assert "use_cases/churn/artifacts/lineage.json: built with BLAS SkylakeX (2 threads); numpy loops X86_V4" in output
