"""The model card of a build, in Markdown and as one self-contained HTML page.

The nine sections of Mitchell et al. (2019), "Model Cards for Model Reporting": model
details, intended use, factors, metrics, evaluation data, training data, quantitative
analyses, ethical considerations, caveats and recommendations. Everything the build knows
is filled in; the fields only people can write come from the use case's `card:` section and
are shown as missing when absent. The HTML page is rendered from the Markdown (raw HTML in
config text is escaped), with the plots inlined as data URIs so the page needs no other file.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from factory.artifacts.metrics import BASELINE_KEY
from factory.artifacts.params import load_product_params
from factory.artifacts.quality import Finding, read_findings
from factory.errors import GitError
from factory.gitrepo import git
from factory.io import read_json_object
from factory.kernels import describe
from factory.paths import ProjectPaths, UseCasePaths
from factory.spec import Card, DataInput, DataProductSpec, UseCaseParams

SECTIONS = (
    "Model details",
    "Intended use",
    "Factors",
    "Metrics",
    "Evaluation data",
    "Training data",
    "Quantitative analyses",
    "Ethical considerations",
    "Caveats and recommendations",
)
CARD_BEGIN, CARD_END = "<!-- model-card:begin -->", "<!-- model-card:end -->"
MISSING = "Missing"


@dataclass(frozen=True)
class ProductFacts:
    """What the card says about one data product the model reads."""

    name: str
    spec: DataProductSpec | None
    md5: str | None
    stats: dict[str, Any]


@dataclass(frozen=True)
class CardInputs:
    """Everything a card is made from, read once from the build's files."""

    params: UseCaseParams
    metrics: dict[str, Any]
    slices: dict[str, Any]
    lineage: dict[str, Any]
    products: list[ProductFacts]
    training_rows: int | None
    search: dict[str, Any] | None
    built_on: str | None
    quality: list[Finding] = field(default_factory=list)
    importance: dict[str, Any] = field(default_factory=dict)  # importance.json of the train stage; {} when absent
    model_checks: dict[str, Any] = field(default_factory=dict)  # model_checks.json of the train stage


def read_inputs(params: UseCaseParams, paths: UseCasePaths, lineage: dict[str, Any]) -> CardInputs:
    """Read the metrics, product facts, training size and search results of a build."""
    project = ProjectPaths(paths.root)
    specs = load_product_params(project) if project.params_yaml.is_file() else {}
    products = [
        ProductFacts(
            name=name,
            spec=specs.get(name),
            md5=lineage["data_products"].get(name, {}).get("md5"),
            stats=read_json_object(project.product_stats(path)),
        )
        for name, path in sorted(params.products.items())
    ]
    search_file = paths.artifacts / "search.json"  # written by the hyperparameter search, when there is one
    return CardInputs(
        params=params,
        metrics=read_json_object(paths.metrics),
        slices=read_json_object(paths.slice_metrics),
        lineage=lineage,
        products=products,
        training_rows=_parquet_rows(paths.train_data),
        search=read_json_object(search_file) if search_file.is_file() else None,
        built_on=_commit_date(paths.root, lineage["git"].get("commit")),
        quality=read_findings(paths.quality),
        importance=read_json_object(paths.importance),
        model_checks=read_json_object(paths.model_checks),
    )


# ---------------------------------------------------------------- Markdown


def render_markdown(card: CardInputs) -> str:
    """The model card in Markdown, with the plots referenced as `plots/<name>.png`."""
    p = card.params
    lines = [f"# Model card: {p.name}", "", f"> {_one_line(p.description)}", ""]
    for number, (title, body) in enumerate(zip(SECTIONS, _section_bodies(card), strict=True), start=1):
        lines += [f"## {number}. {title}", "", *body, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _section_bodies(card: CardInputs) -> list[list[str]]:
    return [
        _model_details(card),
        _intended_use(card.params),
        _factors(card.params),
        _metrics(card),
        _evaluation_data(card),
        _training_data(card),
        _quantitative_analyses(card),
        [_human_text(card.params, "ethical_considerations")],
        [_human_text(card.params, "caveats_and_recommendations")],
    ]


def _join_on(item: DataInput) -> str:
    if item.left_keys == item.right_keys:
        return _codes(item.left_keys)
    return ", ".join(f"`{left}` = `{right}`" for left, right in zip(item.left_keys, item.right_keys, strict=True))


def _model_details(card: CardInputs) -> list[str]:
    p, lineage = card.params, card.lineage
    model_params = ", ".join(f"`{key}={value}`" for key, value in sorted(p.model.params.items())) or "defaults"
    commit = lineage["git"].get("commit") or "unknown"
    # A build usually runs before its edits are committed; the lineage view checks a release's
    # recorded inputs against the commit it was released from.
    dirty = (
        f" plus edits not yet committed when it ran (`factory lineage {p.name} --version <version>` checks "
        "a release's inputs against its commit)"
        if lineage["git"].get("dirty")
        else ""
    )
    steps = {
        "numeric": [step.component for step in p.features.numeric_steps] if p.features.numeric else [],
        "categorical": [step.component for step in p.features.categorical_steps] if p.features.categorical else [],
    }
    lines = [
        f"- **Name:** {p.name}",
        f"- **Version:** build of commit `{commit[:12]}`{dirty}; released versions are listed by "
        f"`factory releases {p.name}`",
        f"- **Owner:** {p.owner}",
        f"- **Risk tier:** {p.risk_tier}",
        f"- **Date:** {card.built_on or 'unknown'} (date of the commit built)",
        f"- **Task:** {p.task}",
        f"- **Algorithm:** `{p.model.component}`",
        f"- **Parameters:** {model_params}",
        f"- **Features:** numeric {_codes(p.features.numeric)}; categorical {_codes(p.features.categorical)}",
        "- **Feature steps:** " + "; ".join(f"{group}: {' → '.join(names)}" for group, names in steps.items() if names),
        f"- **Model file sha256:** `{lineage.get('model_sha256', 'unknown')}`",
        f"- **Config sha256:** `{lineage.get('config_sha256', 'unknown')}`",
        f"- **Built at commit:** `{commit}`" + (" plus edits not yet committed" if dirty else ""),
        "- **Packages:** " + ", ".join(f"{k} {v}" for k, v in sorted(lineage.get("packages", {}).items())),
        f"- **Numeric kernels:** {describe(lineage['kernels']) if 'kernels' in lineage else 'not recorded'}",
    ]
    if card.search is not None:
        search = card.search
        best = ", ".join(f"`{key}={value}`" for key, value in sorted(search.get("best_params", {}).items()))
        lines += [
            "",
            "### Tuning",
            "",
            f"- **Search:** {search.get('method')} search over {search.get('candidates')} candidate(s), "
            f"{search.get('cv')}-fold cross-validation, seed {search.get('seed')}",
            f"- **Scoring:** `{search.get('scoring')}`, best {_number(search.get('best_score'))}",
            f"- **Best parameters:** {best or 'none'}",
        ]
    return lines


def _intended_use(p: UseCaseParams) -> list[str]:
    out_of_scope = (
        "\n".join(f"  - {_one_line(item)}" for item in p.card.out_of_scope_uses) if p.card.out_of_scope_uses else None
    )
    return [
        f"- **Primary intended uses:** {_human_text(p, 'intended_use')}",
        f"- **Primary intended users:** {_human_text(p, 'intended_users')}",
        "- **Out-of-scope uses:**" + (f"\n{out_of_scope}" if out_of_scope else f" {_missing(p, 'out_of_scope_uses')}"),
    ]


def _factors(p: UseCaseParams) -> list[str]:
    slices = _codes(p.evaluation.slices) if p.evaluation.slices else "none declared (`evaluation.slices`)"
    return [
        f"- **Evaluation factors (slice columns):** {slices}",
        f"- **Relevant factors:** {_human_text(p, 'factors')}",
    ]


def _metrics(card: CardInputs) -> list[str]:
    p = card.params
    tolerance = p.release.primary_tolerance
    champion = (
        f"; against production, `{p.evaluation.primary_metric}` may regress by at most {tolerance}"
        if tolerance is not None
        else ""
    )
    baseline = card.metrics.get(BASELINE_KEY) or {}
    beat = f"; it must beat the trivial baseline's `{p.evaluation.primary_metric}`" if p.release.beat_baseline else ""
    return [
        f"Primary metric `{p.evaluation.primary_metric}`{champion}{beat}. "
        "Release gates are the bounds a version must meet to be released. The trivial baseline "
        "is scikit-learn's dummy model (the most frequent class, or the training mean) on the same split.",
        "",
        "| metric | value | trivial baseline | release gate |",
        "| --- | --- | --- | --- |",
        *[
            f"| {name} | {_number(card.metrics.get(name))} | {_number(baseline.get(name))} | {_gate(p, name)} |"
            for name in p.evaluation.all_metrics
        ],
    ]


def _evaluation_data(card: CardInputs) -> list[str]:
    p = card.params
    return [
        f"- **Rows:** {card.metrics.get('n_test', 'unknown')} held out from the same data products as training",
        f"- **Split:** {_describe_split(p)}",
    ]


def _training_data(card: CardInputs) -> list[str]:
    p = card.params
    lines = [
        f"- **Rows used for training:** {card.training_rows if card.training_rows is not None else 'unknown'}",
        f"- **Target:** `{p.target}`",
        "- **Joined:** "
        + "; then ".join(
            f"`{item.product}`" + (f" on {_join_on(item)} ({item.how} join)" if item.join_keys else "")
            for item in p.data
        )
        + (f"; then prepared by {' → '.join(step.component for step in p.prepare)}" if p.prepare else ""),
        "",
        *_quality(card),
        "| data product | rows | columns | content md5 | owner |",
        "| --- | --- | --- | --- | --- |",
    ]
    for product in card.products:
        owner = product.spec.owner if product.spec and product.spec.owner else "none"
        lines.append(
            f"| {product.name} | {product.stats.get('rows', 'unknown')} | {product.stats.get('columns', 'unknown')} "
            f"| `{product.md5 or 'not built'}` | {owner} |"
        )
    for product in card.products:
        if product.spec is None:
            continue
        nulls = product.stats.get("nulls", {})
        lines += [
            "",
            f"**Schema of `{product.name}`** ({_one_line(product.spec.description)})",
            "",
            "| column | dtype | nullable | nulls | allowed values or range |",
            "| --- | --- | --- | --- | --- |",
        ]
        for column, schema in product.spec.table_schema.columns.items():
            if schema.allowed is not None:
                allowed = ", ".join(str(value) for value in schema.allowed)
            elif schema.min is not None or schema.max is not None:
                allowed = _range(schema.min, schema.max)
            else:
                allowed = "unique" if schema.unique else ""
            lines.append(
                f"| `{column}` | {schema.dtype} | {'yes' if schema.nullable else 'no'} "
                f"| {nulls.get(column, 'unknown')} | {allowed} |"
            )
    return lines


def _quality(card: CardInputs) -> list[str]:
    """What the data-quality tests found in the prepared rows (errors stop a build, so these are warnings)."""
    if card.params.quality is None:
        return []
    if not card.quality:
        return [
            "- **Data quality:** every test on the prepared rows passed (constant, mostly missing, "
            "identifier-like and leaking features, rows shared by training and test).",
            "",
        ]
    return ["- **Data quality warnings:**", *[f"  - {_one_line(finding.line())}" for finding in card.quality], ""]


def _quantitative_analyses(card: CardInputs) -> list[str]:
    p = card.params
    metrics = p.evaluation.all_metrics
    lines: list[str] = [*_model_tests(card)]
    for column, values in card.slices.items():
        lines += [
            f"**Metrics by `{column}`**",
            "",
            "| value | rows | " + " | ".join(metrics) + " |",
            "| --- | --- | " + " | ".join("---" for _ in metrics) + " |",
        ]
        for value, figures in values.items():
            cells = " | ".join(_number(figures.get(name)) for name in metrics)
            lines.append(f"| {value} | {figures['n']} | {cells} |")
        lines.append("")
    if not card.slices:
        lines += ["No slices declared: the overall metrics above are the only analysis.", ""]
    lines += [f"![{name}](plots/{name}.png)" for name in plot_names(p.task)]
    return lines


def _model_tests(card: CardInputs) -> list[str]:
    """The train stage's tests on the test rows: numerical stability, and each feature's permutation importance."""
    lines = []
    stability = card.model_checks.get("numerical_stability")
    if stability and stability.get("action") != "off":
        problems = stability.get("problems") or []
        verdict = "; ".join(_one_line(str(p)) for p in problems) if problems else "every prediction finite"
        if not problems and card.params.task != "regression":
            verdict += ", class probabilities in [0, 1] summing to 1"
        lines += [f"- **Numerical stability:** {verdict} ({stability.get('rows')} test rows)", ""]
    importance = card.importance
    if importance and not importance.get("computed"):
        lines += [f"- **Feature importance:** not measured ({_one_line(str(importance.get('reason')))})", ""]
    elif importance:
        noise = dict.fromkeys(importance.get("within_noise", []), "yes")
        ranked = sorted(importance.get("features", {}).items(), key=lambda item: (-item[1]["mean"], item[0]))
        lines += [
            f"**Feature importance** ({importance.get('method')}: the loss of `{importance.get('metric')}` when the "
            f"feature is shuffled, {importance.get('repeats')} shuffles of {importance.get('rows')} test rows, "
            f"seed {importance.get('seed')}; within noise: a mean not above {importance.get('noise_band_stds'):g} "
            "standard deviations of the shuffles, or not above 0)",
            "",
            "| feature | importance | std | within noise |",
            "| --- | --- | --- | --- |",
            *[
                f"| `{name}` | {_number(figures['mean'])} | {_number(figures['std'])} | {noise.get(name, '')} |"
                for name, figures in ranked
            ],
            "",
        ]
    return lines


def plot_names(task: str) -> list[str]:
    """The PNG plots the evaluate stage draws for `task`, in card order."""
    if task == "regression":
        return ["predicted_vs_actual", "residuals"]
    return ["roc", "precision_recall", "confusion"]


def _human_text(p: UseCaseParams, field: str) -> str:
    value = getattr(p.card, field)
    return _one_line(value) if value else _missing(p, field)


def _missing(p: UseCaseParams, field: str) -> str:
    what = Card.model_fields[field].description
    return f"**{MISSING}:** set `card.{field}` in `use_cases/{p.name}/config.yaml` ({what})"


# ---------------------------------------------------------------- HTML


def render_html(markdown: str, images: Path, title: str) -> str:
    """One self-contained HTML page of the card: the Markdown rendered, plots inlined as data URIs."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)

    def inline(match: re.Match[str]) -> str:
        image = images / match.group(1)
        if not image.is_file():
            return f'<span class="no-plot">plot {escape(match.group(1))} not available</span>'
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f'<img src="data:image/png;base64,{data}" alt="{match.group(2)}"'

    body = re.sub(r'<img src="(plots/[a-z_]+\.png)" alt="([a-z_]*)"', inline, body)
    body = body.replace(f"<strong>{MISSING}:</strong>", f'<strong class="missing">{MISSING}:</strong>')
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{CARD_CSS}</style>\n</head>\n<body>\n"
        f'{CARD_BEGIN}\n<article class="model-card">\n{body}</article>\n{CARD_END}\n</body>\n</html>\n'
    )


def card_article(html: str) -> str | None:
    """The card itself (an <article>) out of a page written by `render_html`, for embedding."""
    begin, end = html.find(CARD_BEGIN), html.find(CARD_END)
    if begin < 0 or end < begin:
        return None
    return html[begin + len(CARD_BEGIN) : end].strip()


CARD_CSS = """
.model-card { font-family: system-ui, sans-serif; max-width: 72rem; margin: 0 auto; padding: 1rem; color: #1b1f24; }
.model-card table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
.model-card th, .model-card td { border: 1px solid #d0d7de; padding: 0.25rem 0.6rem; text-align: left; }
.model-card th { background: #f3f5f7; }
.model-card code { background: #f3f5f7; padding: 0 0.2rem; border-radius: 3px; font-size: 0.85em; }
.model-card code { word-break: break-all; }
.model-card img { max-width: 30rem; width: 100%; margin: 0.5rem 1rem 0.5rem 0; border: 1px solid #d0d7de; }
.model-card blockquote { margin: 0; padding: 0.2rem 1rem; border-left: 4px solid #8c959f; color: #57606a; }
.model-card .missing { color: #b42318; }
"""


# ---------------------------------------------------------------- helpers


def _describe_split(p: UseCaseParams) -> str:
    split = p.split
    if split.kind == "random":
        return f"random, {split.test_size:.0%} test, seed {split.seed}" + (", stratified" if split.stratify else "")
    return f"by time on `{split.column}`, latest {split.test_size:.0%} as test"


def _gate(p: UseCaseParams, metric: str) -> str:
    gate = p.release.gates.get(metric)
    if gate is None:
        return ""
    bounds = [f">= {gate.min}" if gate.min is not None else "", f"<= {gate.max}" if gate.max is not None else ""]
    return " and ".join(bound for bound in bounds if bound)


def _number(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g} to {high:g}"
    return f">= {low:g}" if low is not None else f"<= {high:g}"


def _codes(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names) or "none"


def _one_line(text: str) -> str:
    """Config text on one line, so it cannot break the Markdown structure around it."""
    return " ".join(text.split()).replace("|", "\\|")


def _parquet_rows(path: Path) -> int | None:
    if not path.is_file():
        return None
    import pyarrow.parquet as pq

    return int(pq.read_metadata(path).num_rows)


def _commit_date(root: Path, commit: str | None) -> str | None:
    """The committer date (UTC, YYYY-MM-DD) of `commit`: the card's date, fixed by what was built."""
    if not commit:
        return None
    try:
        stamp = git(root, "show", "-s", "--format=%cI", commit, check=False)
    except GitError:
        return None
    if not stamp:
        return None
    return datetime.fromisoformat(stamp).astimezone(UTC).date().isoformat()
