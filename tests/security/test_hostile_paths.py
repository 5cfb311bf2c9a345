"""The second half of the hostile-config corpus: paths, dot-folders, alias bombs, sizes, bounds, unicode.

The machinery and the first half are in tests/security/test_hostile_configs.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.corpus import Case
from tests.security.test_hostile_configs import PATH_CASES, refused_cleanly


@pytest.mark.parametrize("case", PATH_CASES, ids=[case.id for case in PATH_CASES])
def test_hostile_path_or_size_is_refused_cleanly(
    case: Case, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    refused_cleanly(case, template, tmp_path, monkeypatch, request)
