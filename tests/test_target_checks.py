"""The target's values against the task, checked on the prepared table before the split."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from factory.artifacts.params import load_use_case_params
from factory.datacheck import rows_per_class, target_problem
from factory.paths import ProjectPaths
from factory.spec import RandomSplit, Search, TimeSplit, UseCaseParams


@pytest.fixture
def churn(project: Path) -> UseCaseParams:
    return load_use_case_params(ProjectPaths(project).use_case("churn"))


def with_task(params: UseCaseParams, task: str) -> UseCaseParams:
    return params.model_copy(update={"task": task})


def test_a_fitting_target_passes(churn: UseCaseParams) -> None:
    assert target_problem(pd.Series([True, False] * 20), churn) is None
    assert target_problem(pd.Series(["a", "b", "c"] * 10), with_task(churn, "multiclass_classification")) is None
    assert target_problem(pd.Series([1.5, 2.0, 3.0]), with_task(churn, "regression")) is None


@pytest.mark.parametrize(
    ("task", "values", "message"),
    [
        (
            "binary_classification",
            ["a"] * 30,
            "expected exactly two classes for binary_classification (or a boolean); found 1: 'a' (30 rows)",
        ),
        ("binary_classification", ["a", "b", "c"] * 10, "found 3: 'a' (10 rows), 'b' (10 rows), 'c' (10 rows)"),
        ("multiclass_classification", [True, False] * 10, "expected at least three classes for multiclass"),
        ("regression", ["12.5", "7"] * 5, "expected a numeric column for regression; got dtype str"),
        ("regression", [True, False] * 5, "expected a numeric column for regression; got dtype bool"),
    ],
)
def test_a_target_that_does_not_suit_the_task_is_named(
    churn: UseCaseParams, task: str, values: list[object], message: str
) -> None:
    problem = target_problem(pd.Series(values), with_task(churn, task))
    assert problem is not None and message in problem


def test_a_class_too_rare_for_the_split_and_the_folds(churn: UseCaseParams) -> None:
    values = pd.Series(["yes"] * 50 + ["no"] * 40 + ["maybe"])
    problem = target_problem(values, with_task(churn, "multiclass_classification"))
    assert problem == "expected at least 2 rows of each class for the split and the folds; got 'maybe' (1)"
    searched = churn.model.model_copy(update={"search": Search(space={"n_estimators": [10, 20]}, cv=5)})
    params = churn.model_copy(update={"model": searched, "split": RandomSplit(test_size=0.2, stratify=True)})
    assert rows_per_class(params) == 7  # 5 folds of the 80% training share: ceil(5 / 0.8)
    time_split = params.model_copy(update={"split": TimeSplit(kind="time", column="signup_date")})
    assert rows_per_class(time_split) == 1


def test_long_labels_are_masked(churn: UseCaseParams) -> None:
    secret = "4111-1111-1111-1111 belongs to someone"
    problem = target_problem(pd.Series([secret] * 5), churn)
    assert problem is not None and secret not in problem and "'411'... (38 characters) (5 rows)" in problem
