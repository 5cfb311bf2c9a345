"""The model card: nine sections, human fields or 'missing', tuning when searched, safe self-contained HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from factory.artifacts import card
from factory.artifacts.params import load_use_case_params
from factory.paths import ProjectPaths
from factory.spec import Card, UseCaseParams

LINEAGE = {
    "git": {"commit": "a" * 40, "dirty": False},
    "config_sha256": "c" * 64,
    "model_sha256": "d" * 64,
    "data_products": {"customers": {"md5": "e" * 32}, "customer-usage": {"md5": "f" * 32}},
    "packages": {"scikit-learn": "1.9.1"},
}
METRICS = {
    "roc_auc": 0.8233,
    "accuracy": 0.792,
    "f1": 0.4,
    "log_loss": 0.43,
    "n_test": 1250,
    "baseline": {"roc_auc": 0.5, "accuracy": 0.74, "f1": 0.0, "log_loss": 0.57},
}
SLICES = {"region": {"north": {"n": 421, "roc_auc": 0.81, "accuracy": 0.78, "f1": 0.24, "log_loss": 0.43}}}


@pytest.fixture
def params(project: Path) -> UseCaseParams:
    return load_use_case_params(ProjectPaths(project).use_case("churn"))


def inputs(params: UseCaseParams, search: dict[str, object] | None = None) -> card.CardInputs:
    return card.CardInputs(
        params=params,
        metrics=METRICS,
        slices=SLICES,
        lineage=LINEAGE,
        products=[card.ProductFacts("customers", None, "e" * 32, {"rows": 5000, "columns": 12})],
        training_rows=3750,
        search=search,
        built_on="2026-11-29",
    )


def test_nine_sections_in_order_with_derived_facts(params: UseCaseParams) -> None:
    text = card.render_markdown(inputs(params))
    headings = re.findall(r"^## \d\. (.+)$", text, flags=re.MULTILINE)
    assert headings == list(card.SECTIONS)
    assert "| roc_auc | 0.8233 | 0.5000 | >= 0.7 |" in text  # metric, the trivial baseline's, its gate
    assert "it must beat the trivial baseline's `roc_auc`" in text
    assert "- **Rows used for training:** 3750" in text
    assert "| customers | 5000 | 12 | `" + "e" * 32 + "` |" in text
    assert "| north | 421 | 0.8100 |" in text
    assert "- **Date:** 2026-11-29" in text and "Built at commit:** `" + "a" * 40 in text
    assert "![roc](plots/roc.png)" in text
    assert "### Tuning" not in text  # no search.json: no tuning subsection
    assert "Missing" not in text  # the example fills every human field


def test_missing_human_fields_are_named_with_their_fix(params: UseCaseParams) -> None:
    bare = params.model_copy(update={"card": Card(intended_use="Rank customers.")})
    text = card.render_markdown(inputs(bare))
    assert "**Primary intended uses:** Rank customers." in text
    for field in ("intended_users", "out_of_scope_uses", "factors", "ethical_considerations"):
        assert f"**Missing:** set `card.{field}` in `use_cases/churn/config.yaml`" in text


def test_tuning_is_shown_when_a_search_ran(params: UseCaseParams) -> None:
    search = {
        "method": "grid",
        "cv": 5,
        "scoring": "roc_auc",
        "seed": 3,
        "best_params": {"max_depth": 8, "n_estimators": 100},
        "best_score": 0.8412,
        "candidates": 12,
    }
    text = card.render_markdown(inputs(params, search))
    details = text.split("## 2.")[0]
    assert "### Tuning" in details
    assert "grid search over 12 candidate(s), 5-fold cross-validation, seed 3" in details
    assert "`max_depth=8`, `n_estimators=100`" in details and "best 0.8412" in details


def test_html_is_self_contained_and_escapes_config_text(params: UseCaseParams, tmp_path: Path) -> None:
    hostile = params.model_copy(
        update={"card": Card(intended_use='<script>alert("x")</script> | not a cell', factors="Region.")}
    )
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "roc.png").write_bytes(b"\x89PNG fake bytes")
    html = card.render_html(card.render_markdown(inputs(hostile)), tmp_path, "Model card: churn")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'src="data:image/png;base64,' in html and "plots/roc.png" not in html
    assert "plot plots/confusion.png not available" in html  # absent plots say so instead of a broken link
    assert '<strong class="missing">Missing:</strong>' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing is fetched from elsewhere
    article = card.card_article(html)
    assert article is not None and article.startswith('<article class="model-card">')
    assert card.card_article("<html></html>") is None
