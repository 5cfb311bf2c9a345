"""Model staleness (ML Test Score Mo4): the audit gap and the inventory and dashboard flags.

One real Git repository per module: the project committed, then a commit dated 2020, and
wine-cultivar v1.0.0 registered at it and given production the way `factory release` does
(GTO's annotated version tag, the release record in its message). The tag is dated now, so
the tests move `now` forward rather than the tag back.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from factory.compose import load_project
from factory.errors import ConfigError
from factory.governance.audit import Gap, audit
from factory.governance.dashboard import write_dashboard
from factory.governance.inventory import InventoryRow, build_inventory
from factory.governance.staleness import current_time
from factory.io import canonical_json
from factory.paths import ProjectPaths
from factory.release import registry_state
from factory.spec import Monitoring
from tests.conftest import init_repo, project_env
from tests.monitor.test_policy import with_monitoring
from tests.release.test_gitrepo import GIT_IDENTITY
from tests.release.test_records import make_record

WINE = "wine-cultivar"
STALE = "model too stale"
OLD_COMMIT_DATE = "2020-01-01T00:00:00+00:00"


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, datetime]]:
    """The repository and the date of its production version's tag."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for key, value in GIT_IDENTITY.items():
            monkeypatch.setenv(key, value)
        root = tmp_path_factory.mktemp("staleness") / "project"
        init_repo(root)
        env = {**project_env(root), "GIT_AUTHOR_DATE": OLD_COMMIT_DATE, "GIT_COMMITTER_DATE": OLD_COMMIT_DATE}
        subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "built long ago"], cwd=root, env=env, check=True)
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        record = make_record("v1.0.0", commit).model_copy(update={"use_case": WINE})
        registry_state.register(root, WINE, commit, "v1.0.0", record)
        registry_state.assign(root, WINE, "v1.0.0", "production", "release v1.0.0")
        yield root, registry_state.find_version(root, WINE, "v1.0.0").created_at


def stale_gaps(root: Path, now: datetime) -> list[Gap]:
    return [gap for gap in audit(root, now=now).gaps if gap.check == STALE]


def wine_row(root: Path, now: datetime) -> InventoryRow:
    return next(row for row in build_inventory(root, now=now) if row.name == WINE)


def set_max_age(root: Path, days: int) -> None:
    """Set the use case's `monitoring.max_age_days` over the committed config."""
    config = root / "use_cases" / WINE / "config.yaml"
    committed = subprocess.run(
        ["git", "show", f"HEAD:use_cases/{WINE}/config.yaml"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    config.write_text(committed + yaml.safe_dump({"monitoring": {"max_age_days": days}}))


def test_age_counts_from_the_annotated_version_tag(released: tuple[Path, datetime]) -> None:
    root, tagged = released
    tagger_date = subprocess.run(
        ["git", "for-each-ref", f"refs/tags/{WINE}@v1.0.0", "--format=%(objecttype) %(taggerdate:iso-strict)"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tagger_date[0] == "tag" and datetime.fromisoformat(tagger_date[1]) == tagged
    assert abs(datetime.now(UTC) - tagged) < timedelta(minutes=10)  # not the commit's 2020
    row = wine_row(root, datetime.now(UTC))
    assert (row.production_version, row.production_age_days, row.stale) == ("v1.0.0", 0, False)
    assert stale_gaps(root, datetime.now(UTC)) == []


def test_a_version_older_than_max_age_days_is_a_gap_and_a_flag(released: tuple[Path, datetime], tmp_path: Path) -> None:
    root, tagged = released
    now = tagged + timedelta(days=200, hours=5)
    [gap] = stale_gaps(root, now)
    assert gap.use_case == WINE
    assert gap.problem == (
        f"v1.0.0 in production was released 200 days ago ({tagged.date()}), "
        "more than its policy's `monitoring.max_age_days` (180)"
    )
    assert f"`factory build {WINE}`" in gap.fix and f"`factory release {WINE}`" in gap.fix

    row = wine_row(root, now)
    assert (row.production_age_days, row.max_age_days, row.stale) == (200, 180, True)
    others = [r for r in build_inventory(root, now=now) if r.name != WINE]
    assert all(r.production_age_days is None and not r.stale and r.max_age_days == 180 for r in others)
    # The same repository and the same `now` give the same JSON.
    first = canonical_json([r.to_dict(with_history=True) for r in build_inventory(root, now=now)])
    assert canonical_json([r.to_dict(with_history=True) for r in build_inventory(root, now=now)]) == first
    assert json.loads(first)[-1]["stale"] is True

    pages = write_dashboard(root, tmp_path / "site", now=now)
    index = pages[0].read_text()
    assert '<div class="value" id="kpi-stale">1</div>' in index
    assert f'data-name="{WINE}" data-status="in production" data-risk="low" data-stale="true"' in index
    assert "200 days old" in index and 'class="status status-stale"' in index
    page = (tmp_path / "site" / "use_cases" / f"{WINE}.html").read_text()
    assert "200 days" in page and 'class="status status-stale"' in page


def test_a_fresh_version_is_neither(released: tuple[Path, datetime], tmp_path: Path) -> None:
    root, tagged = released
    now = tagged + timedelta(days=180, hours=23)  # 180 whole days: at the limit, not over it
    assert stale_gaps(root, now) == []
    row = wine_row(root, now)
    assert (row.production_age_days, row.stale) == (180, False)
    index = write_dashboard(root, tmp_path / "site", now=now)[0].read_text()
    assert '<div class="value" id="kpi-stale">0</div>' in index
    assert 'data-stale="true"' not in index and 'class="status status-stale"' not in index
    assert stale_gaps(root, tagged + timedelta(days=181)) != []


def test_the_use_case_policy_switches_the_check(released: tuple[Path, datetime], tmp_path: Path) -> None:
    root, tagged = released
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, symlinks=True)
    set_max_age(copy, 365)
    assert stale_gaps(copy, tagged + timedelta(days=200)) == []
    row = wine_row(copy, tagged + timedelta(days=200))
    assert (row.production_age_days, row.max_age_days, row.stale) == (200, 365, False)
    [gap] = stale_gaps(copy, tagged + timedelta(days=400))
    assert "`monitoring.max_age_days` (365)" in gap.problem

    set_max_age(copy, 7)
    assert [gap.problem.split(",")[0] for gap in stale_gaps(copy, tagged + timedelta(days=8))] == [
        "v1.0.0 in production was released 8 days ago (" + str(tagged.date()) + ")"
    ]


def test_max_age_days_defaults_from_conf_and_is_a_bounded_whole_number(project: Path) -> None:
    paths = ProjectPaths(project)
    assert yaml.safe_load(paths.monitoring_defaults.read_text())["max_age_days"] == 180
    # The spec's own default only reads params.yaml compiled before the key existed; it agrees with conf.
    assert Monitoring.model_fields["max_age_days"].default == 180
    config = (paths.use_case(WINE).config).read_text()
    for bad, expected in ((0, "greater than or equal to 1"), (3651, "less than or equal to 3650"), (True, "int")):
        (paths.use_case(WINE).config).write_text(config)
        with_monitoring(project, {"max_age_days": bad})
        with pytest.raises(ConfigError) as caught:
            load_project(paths, [WINE])
        assert "monitoring.max_age_days" in str(caught.value) and expected in str(caught.value), str(caught.value)
    for bad in ("180", 180.5, "${oc.env:HOME}"):
        (paths.use_case(WINE).config).write_text(config)
        with_monitoring(project, {"max_age_days": bad})
        with pytest.raises(ConfigError):
            load_project(paths, [WINE])


def test_now_must_carry_a_timezone() -> None:
    fixed = datetime(2030, 1, 1, tzinfo=UTC)
    assert current_time(fixed) is fixed
    with pytest.raises(ValueError, match="timezone"):
        current_time(datetime(2030, 1, 1))  # naive: refused
