"""The monitoring report: JSON for machines, one self-contained HTML page for people.

The page embeds its plots as base64 PNG (reference against current, one per drifted
column) and loads nothing from the network.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from factory import registry
from factory.monitor.drift import ColumnDrift, drift_figures

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

BINS = 30


def column_plot(column: ColumnDrift, reference: Mapping[str, Any], current: pd.Series) -> str:
    """A PNG (base64) of the reference and current distributions of one column."""
    import numpy as np
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.2), dpi=90, layout="tight")
    axes = figure.subplots()
    present = current.dropna()
    if column.type == registry.NUMERIC:
        sketch = np.asarray(reference["sketch"], dtype="float64")
        values = present.to_numpy(dtype="float64")
        both = np.concatenate(
            [sketch[[0, -1]] if len(sketch) else sketch, [values.min(), values.max()] if len(values) else []]
        )
        edges = np.linspace(both.min(), both.max(), BINS + 1) if len(both) else np.linspace(0, 1, BINS + 1)
        # The sketch holds evenly spaced quantiles, so its histogram has the reference's shape.
        axes.hist(sketch, bins=edges.tolist(), density=True, alpha=0.5, label="reference")
        axes.hist(values, bins=edges.tolist(), density=True, alpha=0.5, label="current")
        axes.set(xlabel=column.name, ylabel="density")
    else:
        from factory.artifacts.profile import category_counts

        counts = category_counts(present)
        categories = sorted(set(reference["counts"]) | set(counts))
        positions = np.arange(len(categories))
        reference_total = max(sum(reference["counts"].values()), 1)
        current_total = max(sum(counts.values()), 1)
        axes.bar(
            positions - 0.2,
            [reference["counts"].get(c, 0) / reference_total for c in categories],
            0.4,
            label="reference",
        )
        axes.bar(positions + 0.2, [counts.get(c, 0) / current_total for c in categories], 0.4, label="current")
        axes.set_xticks(positions, categories, rotation=30, ha="right")
        axes.set(xlabel=column.name, ylabel="share")
    axes.set_title(f"{column.name}: {column.test}, {drift_figures(column.test, column.statistic, column.threshold)[0]}")
    axes.legend()
    return _png(figure)


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def render_html(report: Mapping[str, Any], plots: Mapping[str, str]) -> str:
    """The report as one HTML page; `plots` maps a column name to its base64 PNG."""
    esc = html.escape
    verdict = report["verdict"]
    colour = "#b00020" if verdict == "alert" else "#1b5e20"
    rows = []
    for column in [*report["features"], report["prediction"]]:
        flag = "DRIFT" if column["drifted"] else "ok"
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{esc(str(cell))}</td>"
                for cell in (
                    column["name"],
                    column["type"],
                    column["test"],
                    *drift_figures(column["test"], column["statistic"], column["threshold"]),
                    f"{column['reference_null_share']:.3f} -> {column['current_null_share']:.3f}",
                )
            )
            + f'<td class="{flag.lower()}">{flag}</td></tr>'
        )
    efficacy = report.get("efficacy")
    efficacy_html = "<p>No labels given: efficacy not checked.</p>"
    if efficacy:
        state = "DEGRADED" if efficacy["degraded"] else "ok"
        efficacy_html = (
            f"<p>{esc(efficacy['metric'])}: {efficacy['current']:.4f} on {report['labelled_rows']} labelled rows "
            f"against {efficacy['baseline']:.4f} at evaluation (tolerance {efficacy['tolerance']}): "
            f'<b class="{state.lower()}">{state}</b></p>'
        )
    images = "".join(
        f'<figure><img alt="{esc(name)}: reference against current" src="data:image/png;base64,{data}"></figure>'
        for name, data in plots.items()
    )
    reasons = "".join(f"<li>{esc(reason)}</li>" for reason in report["reasons"]) or "<li>no alert</li>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(report["use_case"])} {esc(str(report["version"]))}: monitoring {esc(verdict)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 70em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 0.3em 0.6em; }}
.drift, .degraded {{ color: #b00020; font-weight: bold; }} .ok {{ color: #1b5e20; }}
figure {{ display: inline-block; margin: 0.5em; }}
</style></head><body>
<h1>{esc(report["use_case"])} {esc(str(report["version"]))}: <span style="color: {colour}">{esc(verdict)}</span></h1>
<p>Checked {esc(report["checked_at"])}: {report["rows"]} rows of {esc(report["input"])}
({"statistical tests, small batch" if report["small_sample"] else "distances, large batch"}).</p>
<ul>{reasons}</ul>
<h2>Drift</h2>
<p>{len(report["drifted_features"])} of {len(report["features"])} features drifted
(share {report["drifted_share"]:.2f}, dataset drift from {report["policy"]["dataset_drift_share"]}).</p>
<table><tr><th>column</th><th>type</th><th>test</th><th>measured</th><th>drift when</th>
<th>null share (reference -> current)</th><th>verdict</th></tr>
{"".join(rows)}
</table>
<h2>Efficacy</h2>
{efficacy_html}
<h2>Drifted columns</h2>
{images or "<p>None.</p>"}
</body></html>
"""
