"""Hyperparameter search: declared in config, checked against the model's params, reproducible."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from factory.compose import load_project
from factory.errors import ConfigError
from factory.paths import ProjectPaths
from factory.spec import Search
from factory.stages import run_stage
from factory.stages.search import candidates

WINE = "use_cases/wine-cultivar/config.yaml"


def with_search(project: Path, search: dict[str, Any]) -> None:
    config = yaml.safe_load((project / WINE).read_text())
    config["model"] = {"search": search}
    (project / WINE).write_text(yaml.safe_dump(config, sort_keys=False))


def search_problems(project: Path, search: dict[str, Any]) -> str:
    with_search(project, search)
    with pytest.raises(ConfigError) as caught:
        load_project(ProjectPaths(project), ["wine-cultivar"])
    assert caught.value.file == WINE
    return str(caught.value)


def test_grid_candidates_are_every_combination_in_a_fixed_order() -> None:
    search = Search(space={"max_depth": [2, 4], "min_samples_leaf": [1, 5]})
    assert candidates(search) == [
        {"max_depth": 2, "min_samples_leaf": 1},
        {"max_depth": 2, "min_samples_leaf": 5},
        {"max_depth": 4, "min_samples_leaf": 1},
        {"max_depth": 4, "min_samples_leaf": 5},
    ]


def test_random_candidates_are_seeded_within_their_ranges_and_plain_numbers() -> None:
    raw = {
        "method": "random",
        "n_iter": 6,
        "seed": 3,
        "space": {"C": {"distribution": "loguniform", "low": 0.01, "high": 100}, "max_iter": [200, 500]},
    }
    first, again = candidates(Search.model_validate(raw)), candidates(Search.model_validate(raw))
    assert first == again and len(first) == 6
    assert all(0.01 <= c["C"] <= 100 and type(c["C"]) is float and c["max_iter"] in (200, 500) for c in first)
    other_seed = candidates(Search.model_validate({**raw, "seed": 4}))
    assert other_seed != first
    integers = candidates(
        Search.model_validate({**raw, "space": {"n": {"distribution": "randint", "low": 1, "high": 3}}})
    )
    assert {c["n"] for c in integers} <= {1, 2, 3} and all(type(c["n"]) is int for c in integers)


def test_search_errors_name_the_key_and_what_was_expected(project: Path) -> None:
    message = search_problems(project, {"space": {"c": [1.0]}})
    assert "model.search.space.c: expected a param of logistic_regression (did you mean 'C'?)" in message
    message = search_problems(project, {"space": {"C": [1.0, -1.0]}})
    assert "model.search.space.C.1: expected" in message and "-1.0" in message
    message = search_problems(project, {"space": {"C": {"distribution": "uniform", "low": 0.1, "high": 1}}})
    assert "model.search.space.C: expected a list of values (ranges need method: random)" in message
    message = search_problems(project, {"space": {"C": list(range(1, 40)), "max_iter": list(range(100, 120))}})
    assert "model.search.space: expected at most 500 grid candidates; got 780" in message
    message = search_problems(project, {"space": {"C": [1.0]}, "metric": "rmse"})
    assert "model.search.metric: expected a metric for multiclass_classification" in message
    message = search_problems(
        project, {"method": "random", "space": {"C": {"distribution": "loguniform", "low": 0, "high": 1}}}
    )
    assert "model.search.space.C" in message and "low > 0" in message


def test_search_picks_the_best_candidate_reproducibly(project: Path) -> None:
    run_stage("data-product", "wine", project)
    run_stage("prepare", "wine-cultivar", project)
    paths = ProjectPaths(project).use_case("wine-cultivar")
    run_stage("train", "wine-cultivar", project)
    first_search, first_model = paths.search.read_bytes(), paths.model.read_bytes()
    report = json.loads(first_search)
    assert report["method"] == "grid" and report["scoring"] == "log_loss" and report["candidates"] == 4
    means = {result["params"]["C"]: result["mean"] for result in report["results"]}
    assert report["best_score"] == min(means.values())  # log loss: lower is better
    assert report["best_params"] == {"C": min(means, key=lambda c: means[c])}
    run_stage("train", "wine-cultivar", project)
    assert paths.search.read_bytes() == first_search and paths.model.read_bytes() == first_model


def test_runtime_needs_some_jobs(project: Path) -> None:
    config = yaml.safe_load((project / WINE).read_text())
    config["runtime"] = {"n_jobs": 0}
    (project / WINE).write_text(yaml.safe_dump(config, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        load_project(ProjectPaths(project), ["wine-cultivar"])
    assert "runtime: expected n_jobs of 1 or more, or -1 for all; got 0" in str(caught.value)


def test_more_folds_than_the_rows_allow_is_a_config_error(project: Path) -> None:
    import pandas as pd

    from factory.artifacts.params import load_use_case_params
    from factory.stages import search as search_stage
    from factory.stages.train import build_pipeline

    run_stage("data-product", "wine", project)
    run_stage("prepare", "wine-cultivar", project)
    paths = ProjectPaths(project).use_case("wine-cultivar")
    params = load_use_case_params(paths)
    few = pd.read_parquet(paths.train_data).groupby("cultivar").head(2)  # two rows per class, five folds
    with pytest.raises(ConfigError) as caught:
        search_stage.run(params, few, lambda candidate: build_pipeline(params, candidate))
    message = str(caught.value)
    assert message.startswith("use_cases/wine-cultivar/params.yaml: invalid configuration")
    assert "model.search.cv: expected at most as many folds as the 6 training rows" in message
