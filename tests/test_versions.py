"""Adapters to a library's private API check the installed version against pyproject.toml's bounds."""

from __future__ import annotations

import importlib.metadata

import pytest

from factory import versions


def test_the_bounds_are_the_ones_pyproject_declares() -> None:
    assert versions.declared_bounds("skops") == "<0.17,>=0.11"
    assert versions.declared_bounds("dvc") == "<4,>=3.60"
    assert versions.declared_bounds("no-such-library") == ""


def test_the_installed_versions_are_supported() -> None:
    assert versions.require_supported("dvc", "the test") == importlib.metadata.version("dvc")
    assert versions.require_supported("skops", "the test") == importlib.metadata.version("skops")


@pytest.mark.parametrize(
    ("version", "bounds", "inside"),
    [("0.16.0", "<0.17,>=0.11", True), ("0.17.0", "<0.17,>=0.11", False), ("0.10", ">=0.11", False), ("9", "", True)],
)
def test_a_version_outside_the_bounds_is_named(version: str, bounds: str, inside: bool) -> None:
    assert versions.within(version, bounds) is inside
