"""The environment DVC and its stages run in."""

from __future__ import annotations

import os

import pytest

from factory.dvcrun import THREAD_LIMIT_VARIABLES, environment


@pytest.fixture(autouse=True)
def no_thread_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in THREAD_LIMIT_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def test_a_pipeline_alone_keeps_every_core() -> None:
    env = environment()
    assert not set(THREAD_LIMIT_VARIABLES) & set(env)


def test_pipelines_side_by_side_share_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert {environment(share=2)[v] for v in THREAD_LIMIT_VARIABLES} == {"4"}
    assert {environment(share=16)[v] for v in THREAD_LIMIT_VARIABLES} == {"1"}


def test_a_limit_the_user_set_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert environment(share=2)["OMP_NUM_THREADS"] == "3"
