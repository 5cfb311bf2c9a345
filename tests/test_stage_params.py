"""Each stage reads only the params.yaml keys its module declares (PARAMS and UNTRACKED).

The compiler gives DVC a stage's PARAMS, so DVC reruns the stage when one of them changes; a
key the stage read without declaring it would change its outputs without DVC noticing. Here
every stage runs in-process on real use cases while every field read from the params is
recorded, then held against the declaration.
"""

from __future__ import annotations

import contextlib
import importlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from factory import spec, stages
from factory.artifacts.params import load_use_case_params
from factory.compile import USE_CASE_STAGES
from factory.paths import ProjectPaths
from tests.conftest import REPO


@contextlib.contextmanager
def fields_read(params: BaseModel) -> Iterator[set[str]]:
    """Within the block, the dotted keys of `params` whose fields are read (items of a list share its key)."""
    where: dict[int, str] = {}

    def walk(value: Any, key: str) -> None:
        if isinstance(value, BaseModel):
            where[id(value)] = key
            for name in type(value).model_fields:
                walk(value.__dict__[name], f"{key}.{name}" if key else name)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item, key)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, key)

    walk(params, "")
    read: set[str] = set()
    models = [value for value in vars(spec).values() if isinstance(value, type) and issubclass(value, BaseModel)]

    def recording(self: Any, name: str) -> Any:
        value = object.__getattribute__(self, name)
        key = where.get(id(self))
        if key is not None and name in type(self).model_fields:
            read.add(f"{key}.{name}" if key else name)
        return value

    with pytest.MonkeyPatch.context() as patch:
        for model in models:
            patch.setattr(model, "__getattribute__", recording, raising=False)
        yield read


def undeclared(read: set[str], declared: tuple[str, ...]) -> list[str]:
    """Keys read that no declared key covers; reaching a declared key through its parent is fine."""
    return sorted(
        key for key in read if not any(key == d or key.startswith(d + ".") or d.startswith(key + ".") for d in declared)
    )


@pytest.mark.parametrize("name", ["wine-cultivar", "customer-value"])
def test_every_stage_reads_only_what_it_declares(project: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """wine-cultivar: classification with a search; customer-value: regression with a time split."""
    paths = ProjectPaths(project).use_case(name)
    params = load_use_case_params(paths)
    for product in sorted({item.product for item in params.data}):
        stages.run_stage("data-product", product, project)
    shutil.copy(REPO / "use_cases" / name / "dvc.lock", paths.dvc_lock)  # the record of an earlier build
    # the stages load their params themselves: give them this recorded object
    monkeypatch.setattr(stages, "load_use_case_params", lambda _paths: params)
    for stage in USE_CASE_STAGES:
        module = importlib.import_module(f"factory.stages.{stage}")
        with fields_read(params) as read:
            stages.run_stage(stage, name, project)
        assert read, f"{stage}: nothing recorded (the recorder is broken)"
        assert undeclared(read, module.PARAMS + module.UNTRACKED) == [], f"{stage} reads keys it does not declare"


def test_the_recorder_sees_an_undeclared_read() -> None:
    """The check can fail: a read of `split.seed` is not covered by `split.kind`, only by `split`."""
    params = load_use_case_params(ProjectPaths(REPO).use_case("wine-cultivar"))
    with fields_read(params) as read:
        _ = params.split.seed  # type: ignore[union-attr]
        _ = params.features.numeric
    assert read == {"split", "split.seed", "features", "features.numeric"}
    assert undeclared(read, ("split.kind", "features.numeric")) == ["split.seed"]
    assert undeclared(read, ("split", "features")) == []
