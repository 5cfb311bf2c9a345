"""The project the hostile-config corpus attacks, made once per test file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.test_hostile_configs import make_template, run_cli


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_template(tmp_path_factory.mktemp("corpus"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(root)
        code, output = run_cli("check")  # the honest project passes, and fills the composition cache
    assert code == 0, output
    return root
