"""Pipeline stages, one module each; DVC runs them as `factory stage <stage> <name>`.

A stage reads only the generated params.yaml (never the Hydra configs), so what ran is
exactly what was reviewed and recorded. Each stage module is imported only when it runs,
so a stage process pays only for the libraries it needs.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from factory.artifacts.params import load_product_params, load_use_case_params
from factory.compile import USE_CASE_STAGES
from factory.config_guard import refuse_symlinked_folder
from factory.errors import ConfigError, FactoryError
from factory.paths import ProjectPaths
from factory.spec import PRODUCT_FOLDER, SLUG_PATTERN

STAGES = ("data-product", *USE_CASE_STAGES)


def run_stage(stage: str, name: str, root: Path) -> None:
    """Run one stage of one use case (or of one data product) in the project at `root`."""
    if stage not in STAGES:
        raise FactoryError(f"unknown stage {stage!r}; expected one of: {', '.join(STAGES)}")
    if not re.fullmatch(SLUG_PATTERN, name):
        raise ConfigError.single(
            "factory stage", "name", "a slug of lower-case letters, digits and hyphens", repr(name)
        )
    module = importlib.import_module(f"factory.stages.{stage.replace('-', '_')}")
    project = ProjectPaths(root)
    refuse_symlinked_folder(
        root, root / PRODUCT_FOLDER if stage == "data-product" else project.use_case(name).artifacts
    )
    if stage == "data-product":
        products = load_product_params(project)
        if name not in products:
            raise ConfigError.single(
                "params.yaml",
                f"products.{name}",
                f"a compiled data product (one of: {', '.join(sorted(products))})",
                repr(name),
            )
        module.run(products[name], products, project)
        return
    use_case = project.use_case(name)
    module.run(load_use_case_params(use_case), use_case)
