"""Pipeline stages, one module each; DVC runs them as `factory stage <stage> <name>`.

A stage reads only the generated params.yaml (never the Hydra configs), so what ran is
exactly what was reviewed and recorded. Each stage module is imported only when it runs,
so a stage process pays only for the libraries it needs.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from factory.bounded_yaml import RECORD_LIMITS
from factory.config_guard import refuse_symlinked_folder
from factory.errors import ConfigError, FactoryError
from factory.io import read_yaml_mapping
from factory.paths import ProjectPaths, UseCasePaths
from factory.spec import PRODUCT_FOLDER, SLUG_PATTERN, DataProductSpec, UseCaseParams, parse_model

USE_CASE_STAGES = ("prepare", "train", "evaluate", "report")
STAGES = ("data-product", *USE_CASE_STAGES)


def read_params(file: Path, shown: str) -> dict[str, Any]:
    """Read a generated params.yaml, naming the fix when it is missing."""
    if not file.is_file():
        raise ConfigError.single(shown, "", "a compiled params file (run `factory compile`)", "no such file")
    return read_yaml_mapping(file, shown, RECORD_LIMITS)


def load_use_case_params(paths: UseCasePaths) -> UseCaseParams:
    """The resolved config of one use case, as compiled into its params.yaml."""
    shown = f"use_cases/{paths.name}/params.yaml"
    params, problems = parse_model(UseCaseParams, read_params(paths.params_yaml, shown))
    if problems:
        raise ConfigError(shown, problems)
    assert isinstance(params, UseCaseParams)
    return params


def load_product_params(paths: ProjectPaths) -> dict[str, DataProductSpec]:
    """Every data product, as compiled into the root params.yaml."""
    raw = read_params(paths.params_yaml, "params.yaml").get("products") or {}
    products = {}
    for name, value in raw.items():
        product, problems = parse_model(DataProductSpec, value)
        if problems:
            raise ConfigError(f"params.yaml (products.{name})", problems)
        products[name] = product
    return products


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
