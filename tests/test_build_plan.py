"""The build's plan: which `dvc repro` runs, with which targets, covering which stages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from factory.build import PRODUCTS_LABEL, plan_build
from factory.compile import USE_CASE_STAGES
from factory.errors import StaleError
from factory.paths import ProjectPaths


def test_a_whole_project_build_names_each_pipeline_file_once(project: Path) -> None:
    plan = plan_build(ProjectPaths(project))
    plan.close()
    products, *use_cases = plan.targets
    assert products.label == PRODUCTS_LABEL and products.dvc_targets == ("dvc.yaml",)
    assert products.stages == tuple(
        f"dvc.yaml:{name}"
        for name in ("customer-usage", "customers", "shuttle-companies", "shuttle-reviews", "shuttles", "wine")
    )
    assert [target.label for target in use_cases] == ["churn", "customer-value", "shuttle-prices", "wine-cultivar"]
    for target in use_cases:
        pipeline = f"use_cases/{target.label}/dvc.yaml"
        assert target.dvc_targets == (pipeline,)
        assert target.stages == tuple(f"{pipeline}:{stage}" for stage in USE_CASE_STAGES)
        # `dvc repro --single-item <file>` runs a file's stages in the order the file lists them
        listed = yaml.safe_load((project / pipeline).read_text())["stages"]
        assert tuple(listed) == USE_CASE_STAGES


def test_a_build_of_named_use_cases_builds_only_their_products(project: Path) -> None:
    plan = plan_build(ProjectPaths(project), ["wine-cultivar"])
    plan.close()
    assert [(target.label, target.dvc_targets) for target in plan.targets] == [
        (PRODUCTS_LABEL, ("dvc.yaml:wine",)),
        ("wine-cultivar", ("use_cases/wine-cultivar/dvc.yaml",)),
    ]


def test_a_build_compiles_what_is_stale_and_frozen_refuses_it(project: Path) -> None:
    """As `uv`, `cargo` and `npm ci`: a build brings its generated files up to date; `--frozen` (CI) refuses."""
    config = project / "use_cases/wine-cultivar/config.yaml"
    config.write_text(config.read_text().replace("seed: 11", "seed: 12", 1))
    params = project / "use_cases/wine-cultivar/params.yaml"
    before = params.read_text()
    with pytest.raises(StaleError, match=r"use_cases/wine-cultivar/params.yaml"):
        plan_build(ProjectPaths(project), ["wine-cultivar"], frozen=True)
    assert params.read_text() == before
    with plan_build(ProjectPaths(project), ["wine-cultivar"]) as plan:
        assert [ProjectPaths(project).rel(path) for path in plan.compiled] == ["use_cases/wine-cultivar/params.yaml"]
    assert "seed: 12" in params.read_text()
    with plan_build(ProjectPaths(project), ["wine-cultivar"], frozen=True) as plan:
        assert plan.compiled == ()
