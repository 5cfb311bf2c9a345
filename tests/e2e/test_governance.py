"""End to end: inventory, lineage, audit and dashboard on the built examples with one real release.

The dashboard is opened in Debian's headless Chromium from file:// URLs (installed by
scripts/setup.sh): no console errors, a working inventory filter, and a screenshot.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from factory.governance.audit import audit
from factory.monitor.log import MonitoringRecord, append_record
from factory.paths import ProjectPaths
from factory.release import registry_state
from tests.conftest import Runner, clone_built_examples
from tests.conftest import run_factory as factory
from tests.test_cli_inprocess import run_main

pytestmark = [pytest.mark.e2e, pytest.mark.story]

WINE = "wine-cultivar"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Runner]:
    """The built examples with a Git origin and a DVC remote, and wine-cultivar v1.0.0 in production."""
    base = tmp_path_factory.mktemp("governance")
    root = base / "work"
    run = clone_built_examples(tmp_path_factory, root)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(base / "origin.git")], check=True)
    run("git", "remote", "add", "origin", str(base / "origin.git"), check=True)
    run(sys.executable, "-m", "dvc", "remote", "add", "-d", "local", str(base / "dvc-remote"), check=True)
    run("git", "commit", "-qam", "a DVC remote", check=True)
    # The usual flow: edit, build, then commit the edit with the build's records, then release.
    config = root / "use_cases" / WINE / "config.yaml"
    config.write_text(config.read_text().replace("Classify wines", "Tell apart wines"))
    code, output = factory(run, "build", WINE)
    assert code == 0, output
    run("git", "commit", "-qam", "reword the description", check=True)
    code, output = factory(run, "release", WINE)
    assert code == 0 and "released v1.0.0 to production" in output, output
    return root, run


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cwd: Path, *args: str) -> tuple[int, str]:
    """Run `factory <args>` in this process (so it is measured by coverage); exit code and output."""
    code, out, err = run_main(monkeypatch, capsys, cwd, *args)
    return code, out + err


def test_inventory_statuses_and_blast_radius_queries(
    released: tuple[Path, Runner], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = released
    code, output = cli(monkeypatch, capsys, root, "inventory", "--json")
    assert code == 0, output
    rows = {row["name"]: row for row in json.loads(output)}
    assert {name: row["status"] for name, row in rows.items()} == {
        "churn": "built",
        "customer-value": "built",
        "shuttle-prices": "built",
        WINE: "in production",
    }
    wine = rows[WINE]
    assert wine["production_version"] == "v1.0.0" and wine["production_since"]
    assert wine["metric_production"] == wine["metric_now"] > 0.85
    assert wine["data_products"]["wine"] and wine["components"] == sorted(wine["components"])
    assert rows["churn"]["owner"] == "retention-analytics@example.com" and rows["churn"]["risk_tier"] == "medium"

    def names(*args: str) -> list[str]:
        code, output = cli(monkeypatch, capsys, root, "inventory", "--json", *args)
        assert code == 0, output
        return [row["name"] for row in json.loads(output)]

    # The queries themselves are unit-tested (tests/governance/test_inventory.py); here, the CLI.
    assert names("--depends-on", "data:customers") == ["churn", "customer-value"]
    assert names("--depends-on", "column:alcohol", "--component", "sklearn_dataset") == [WINE]
    assert names("--owner", "Quality-Lab@example.com", "--risk-tier", "low") == [WINE]
    assert names("--risk-tier", "medium") == ["churn"]

    code, output = cli(monkeypatch, capsys, root, "inventory", "--csv")
    assert code == 0 and output.splitlines()[0].startswith("name,owner,risk_tier,task,status")
    assert len(output.splitlines()) == 5
    code, output = cli(monkeypatch, capsys, root, "inventory", "--markdown", "--risk-tier", "low")
    assert code == 0 and len(output.splitlines()) == 5 and "| v1.0.0 |" in output  # the three low-risk ones
    code, output = cli(monkeypatch, capsys, root, "inventory")
    assert code == 0 and "in production" in output and "v1.0.0 since" in output

    for args, expected in (
        (["--depends-on", "data:weather"], "expected a declared data product"),
        (["--depends-on", "alcohol"], "expected data:<product> or column:<name>"),
        (["--json", "--csv"], "expected at most one of --json, --csv, --markdown"),
    ):
        code, output = cli(monkeypatch, capsys, root, "inventory", *args)
        assert code == 2 and expected in output and "Traceback" not in output


def test_lineage_of_a_release_is_read_at_its_tag(
    released: tuple[Path, Runner], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, run = released
    lineage_file = ProjectPaths(root).use_case(WINE).lineage
    lineage_file.unlink()  # the working tree's record is gone; the tag's is not
    try:
        code, output = cli(monkeypatch, capsys, root, "lineage", WINE, "--version", "v1.0.0", "--json")
        assert code == 0, output
        found = json.loads(output)
        assert found["tag"] == f"{WINE}@v1.0.0" and found["version"] == "v1.0.0"
        assert found["record"]["model_sha256"] == found["model_sha256"]
        assert found["record"]["model_md5"] == found["model_md5"]
        # The build ran at an earlier commit than the one released (its results were committed after).
        assert found["record"]["commit"] == run("git", "rev-parse", f"{WINE}@v1.0.0^{{}}", check=True).stdout.strip()
        run("git", "merge-base", "--is-ancestor", found["commit"], found["record"]["commit"], check=True)
        # ... with the edit not yet committed; its recorded inputs are still exactly the released commit's.
        assert found["dirty"] and found["inputs"]["commit"] == found["record"]["commit"]
        assert found["inputs"]["differing"] == [] and found["inputs"]["matched"] > 40
        (wine,) = found["products"]
        assert wine["name"] == "wine" and wine["source"]["component"] == "sklearn_dataset" and wine["md5"]
        assert "components/models/logistic_regression.py" in [f["path"] for f in found["components"]]
        assert found["packages"]["scikit-learn"]

        code, output = cli(monkeypatch, capsys, root, "lineage", WINE, "--version", "v1.0.0")
        assert code == 0 and "data products" in output and "sklearn_dataset" in output
        assert f"built from commit {found['record']['commit']} (the version's): all" in output
        assert "uncommitted" not in output
        code, output = cli(monkeypatch, capsys, root, "lineage", WINE)
        assert code == 2 and f"run `factory build {WINE}` and commit" in output
        code, output = cli(monkeypatch, capsys, root, "lineage", WINE, "--version", "v7.0.0")
        assert code == 2 and "unknown version 'v7.0.0'" in output
    finally:
        run("git", "checkout", "--", str(lineage_file), check=True)
    code, output = cli(monkeypatch, capsys, root, "lineage", "churn")
    assert code == 0 and "churn working tree" in output and "customer-usage" in output


def test_audit_passes_then_catches_every_planted_gap(
    released: tuple[Path, Runner],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, _ = released
    code, output = cli(monkeypatch, capsys, root, "audit")
    assert code == 0 and "no governance gaps in 4 use case(s)" in output, output

    copy = tmp_path / "copy"
    shutil.copytree(root, copy, symlinks=True)

    def edit(path: str, old: str, new: str) -> None:
        file = copy / path
        assert old in file.read_text(), (path, old)
        file.write_text(file.read_text().replace(old, new, 1))

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=copy, check=True, capture_output=True)

    # High risk in production without an approval; a data product without an owner.
    edit(f"use_cases/{WINE}/config.yaml", "risk_tier: low", "risk_tier: high")
    edit("conf/data/wine.yaml", "owner: ", "# owner: ")
    # A required card field removed (churn is medium risk); a use case without an owner.
    config = yaml.safe_load((copy / "use_cases/churn/config.yaml").read_text())
    del config["card"]["caveats_and_recommendations"]
    (copy / "use_cases/churn/config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    edit("use_cases/customer-value/config.yaml", "owner: marketing-science@example.com\n", "")
    # Released by hand, without a release record, straight into production.
    git("tag", "-a", "customer-value@v0.9.0", "-m", "tagged by hand")
    git("tag", "-a", "customer-value#production#1", "-m", "assigned by hand")
    # A version whose record names a model other than the one its tag's build records.
    git("commit", "-qam", "planted gaps")
    record = registry_state.find_version(copy, WINE, "v1.0.0").record
    assert record is not None
    forged = record.model_copy(update={"version": "v1.0.1", "model_sha256": "0" * 64})
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=copy, capture_output=True, text=True).stdout.strip()
    registry_state.register(copy, WINE, commit, "v1.0.1", forged)
    registry_state.assign(copy, WINE, "v1.0.1", "production", "forged")

    report = audit(copy)
    assert sorted({(gap.use_case, gap.check) for gap in report.gaps}) == [
        ("churn", "card fields missing"),
        ("customer-value", "no owner"),
        ("customer-value", "released without a passing blessing"),
        (WINE, "high risk in production without approval"),
        (WINE, "no owner"),
        (WINE, "production not reproducible from its tag"),
    ]
    details = " ".join(f"{gap.problem} => {gap.fix}" for gap in report.gaps)
    for expected in (
        "risk tier medium requires card.caveats_and_recommendations",
        "fill them in under `card:` in use_cases/churn/config.yaml",
        "use_cases/customer-value/config.yaml names no valid owner",
        "v0.9.0 (production) has no release record",
        "v1.0.1 is in production with no approval in use_cases/wine-cultivar/approvals.yaml",
        "data product wine, which it reads, has no owner => set `owner:` in conf/data/wine.yaml",
        f"the tag's lineage.json records model sha256 {record.model_sha256}, the release record {'0' * 64}",
        f"v1.0.1: the record names commit {record.commit[:12]}, the tag points at {commit[:12]}",
    ):
        assert expected in details, expected

    code, output = cli(monkeypatch, capsys, copy, "audit")
    assert code == 1 and "7 governance gap(s) in 3 use case(s): churn, customer-value, wine-cultivar" in output
    assert "Traceback" not in output


def test_dashboard_in_headless_chromium(
    released: tuple[Path, Runner],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, _ = released
    log = ProjectPaths(root).use_case(WINE).monitoring_log
    for day, verdict in (("2026-11-20", "ok"), ("2026-11-27", "alert")):
        append_record(
            log,
            MonitoringRecord(
                checked_at=f"{day}T06:00:00+00:00",
                use_case=WINE,
                version="v1.0.0",
                input="data/scoring/wines.csv",
                input_sha256="a" * 64,
                rows=500,
                verdict=verdict,  # type: ignore[arg-type]
                dataset_drift=verdict == "alert",
                drifted_features=["alcohol", "hue"] if verdict == "alert" else [],
                drifted_share=0.15 if verdict == "alert" else 0.0,
                prediction_drift=False,
            ),
        )
    out = tmp_path / "site"
    code, output = cli(monkeypatch, capsys, root, "dashboard", "--out", str(out))
    assert code == 0 and "wrote 5 page(s)" in output, output
    index = (out / "index.html").read_text()
    assert "http://" not in index and "https://" not in index  # nothing to fetch at view time

    assert CHROMIUM.is_file(), "Debian's chromium is missing: run `bash scripts/setup-browser.sh` (it installs it)"
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))

        page.goto((out / "index.html").as_uri())
        assert page.text_content("#kpi-use-cases") == "4"
        assert page.text_content("#kpi-in-production") == "1"
        assert page.text_content("#kpi-degraded") == "1"
        visible = "#inventory tbody tr:not([hidden])"
        assert page.locator(visible).count() == 4
        page.fill("#filter-text", "customer")  # matches names, descriptions, products, columns
        assert page.locator(visible).count() == 2
        page.fill("#filter-text", "alcohol")
        assert [row.get_attribute("data-name") for row in page.locator(visible).all()] == [WINE]
        page.fill("#filter-text", "")
        page.select_option("#filter-status", "built")
        assert page.locator(visible).count() == 3
        page.select_option("#filter-risk", "medium")
        assert [row.get_attribute("data-name") for row in page.locator(visible).all()] == ["churn"]
        assert page.text_content("#shown-count") == "1 of 4 use cases"
        page.select_option("#filter-status", "")
        page.select_option("#filter-risk", "")
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

        page.click(f"a[href='use_cases/{WINE}.html']")
        page.wait_for_load_state()
        assert page.url.endswith(f"/use_cases/{WINE}.html")
        assert "degraded" in page.text_content(".kpis")
        assert "v1.0.0" in page.text_content("#releases") and "passed" in page.text_content("#releases")
        assert "alert" in page.text_content("#monitoring") and "alcohol, hue" in page.text_content("#monitoring")
        card = page.locator("article.model-card")
        assert card.locator("h2").count() == 9
        images = card.locator("img")
        assert images.count() == 3
        assert all(image.evaluate("i => i.complete && i.naturalWidth > 0") for image in images.all())
        page.screenshot(path=str(tmp_path / "use_case.png"), full_page=True)
        browser.close()
    assert problems == []
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000
