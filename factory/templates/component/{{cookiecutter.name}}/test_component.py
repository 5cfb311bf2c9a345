"""Tests of the {{ cookiecutter.kind }} component `{{ cookiecutter.name }}`."""

from __future__ import annotations

from pathlib import Path

{% if cookiecutter.kind not in ['source', 'transform'] %}import numpy as np
{% endif %}{% if cookiecutter.kind in ['source', 'transform'] %}import pandas as pd
{% endif %}import pytest
from pydantic import ValidationError

from factory import registry


def component() -> registry.Component:
    return registry.get("{{ cookiecutter.kind }}", "{{ cookiecutter.name }}")


def test_is_registered_with_a_docstring_and_strict_params() -> None:
    assert component().summary
    with pytest.raises(ValidationError):
        component().parse_params({"no_such_param": 1})


def test_runs_and_is_deterministic(tmp_path: Path) -> None:
    found = component()
    params = found.parse_params({})
{%- if cookiecutter.kind == 'source' %}
    context = registry.RunContext(root=tmp_path)
    first, second = found(params, context), found(params, context)
    assert len(first) > 0
    pd.testing.assert_frame_equal(first, second)
{%- elif cookiecutter.kind == 'transform' %}
    context = registry.RunContext(root=tmp_path)
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None]})
    before = frame.copy()
    pd.testing.assert_frame_equal(found(params, frame, context), found(params, frame, context))
    pd.testing.assert_frame_equal(frame, before)
{%- elif cookiecutter.kind in ['feature', 'model'] %}
    rng = np.random.default_rng(0)
    features = rng.normal(size=(60, 3))
    target = (features[:, 0] > 0).astype(int)
{%- if cookiecutter.kind == 'feature' %}
    first = found(params).fit_transform(features, target)
    second = found(params).fit_transform(features, target)
{%- else %}
    first = found(params).fit(features, target).predict_proba(features)
    second = found(params).fit(features, target).predict_proba(features)
{%- endif %}
    np.testing.assert_array_equal(first, second)
{%- else %}
    y_true = np.array([0, 1, 1, 0, 1])
    y_pred = np.array([0, 1, 0, 0, 1])
    value = found(params, y_true, y_pred, None, [0, 1])
    assert isinstance(value, float)
    assert value == found(params, y_true, y_pred, None, [0, 1])
{%- endif %}
