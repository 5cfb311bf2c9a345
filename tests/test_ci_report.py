"""`factory ci report` on an unbuilt project: no affected use case, unbuilt use cases, a changed declaration."""

from __future__ import annotations

from pathlib import Path

from factory.ci.report import report_markdown
from tests.conftest import init_repo


def test_report_names_what_is_not_built_and_what_changed(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    run = init_repo(root)
    run("git", "checkout", "-q", "-b", "change", check=True)

    (root / "README.md").write_text("# Notes\n")
    run("git", "add", "-A", check=True)
    run("git", "commit", "-q", "-m", "notes", check=True)
    text = report_markdown(root, "main")
    assert text.startswith("## Model factory: 0 use case(s) affected")
    assert "No use case is affected by this change" in text

    declaration = root / "conf/data/customers.yaml"
    declaration.write_text(declaration.read_text() + "# reviewed\n")
    run("git", "commit", "-q", "-am", "customers: reviewed", check=True)
    text = report_markdown(root, "main")
    assert text.startswith("## Model factory: 2 use case(s) affected")
    assert "| `churn` | changed | roc_auc n/a | n/a | none yet | not built |" in text
    assert "**Not built**: run `factory build customer-value`" in text
    assert "| `customers` | unchanged | changed | not built | - | - | - |" in text
    assert "| `customer-usage` | unchanged | unchanged | not built | - | - | - |" in text
    assert "| rmse (lower is better) | n/a | n/a | n/a | n/a | n/a |" in text
