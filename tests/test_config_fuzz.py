"""Random invalid configs always give a clean ConfigError that names the file, and write nothing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factory.compile import plan_compile, write_files
from factory.errors import ConfigError
from factory.paths import ProjectPaths
from tests.conftest import REPO, copy_project, snapshot

BASE = yaml.safe_load((REPO / "use_cases/churn/config.yaml").read_text())

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def key_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            paths += key_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += key_paths(item, (*prefix, index))
    return paths


PATHS = [p for p in key_paths(BASE) if p[0] != "defaults"]


def mutate(config: dict[str, Any], path: tuple[Any, ...], value: Any, action: str) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    parent = changed
    for part in path[:-1]:
        parent = parent[part]
    if action == "replace":
        parent[path[-1]] = value
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[f"{path[-1]}_extra"] = value
    return changed


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("fuzz"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), value=junk, action=st.sampled_from(["replace", "delete", "add"]))
def test_mutated_configs_fail_cleanly_and_write_nothing(
    fuzz_project: Path, path: tuple[Any, ...], value: Any, action: str
) -> None:
    config_file = fuzz_project / "use_cases/churn/config.yaml"
    original = config_file.read_text()
    config_file.write_text(yaml.safe_dump(mutate(BASE, path, value, action), sort_keys=False))
    before = snapshot(fuzz_project)
    try:
        write_files(plan_compile(ProjectPaths(fuzz_project), ["churn"]))
    except ConfigError as exc:
        assert exc.file == "use_cases/churn/config.yaml"
        assert exc.problems
        assert snapshot(fuzz_project) == before
    finally:
        config_file.write_text(original)
        write_files(plan_compile(ProjectPaths(fuzz_project), ["churn"]))
