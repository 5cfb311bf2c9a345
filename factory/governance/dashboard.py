"""The governance dashboard: a static HTML site, viewed from files, with no server and no network.

`index.html` shows the factory's KPIs and the inventory with filters (inline JavaScript);
`use_cases/<name>.html` shows a use case's model card (embedded from the committed
`model_card.html`, plots inline), its release history and its monitoring status. Charts are
inline SVG, images data URIs, so a page loads nothing from elsewhere.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from factory.artifacts.card import CARD_CSS, card_article
from factory.gitrepo import git
from factory.governance.inventory import STATUSES, InventoryRow, build_inventory
from factory.governance.readiness import readiness
from factory.io import atomic_write_text
from factory.monitor.log import MonitoringRecord, read_log
from factory.paths import ProjectPaths

MONITORING_SHOWN = 20  # the latest checks listed on a use case's page


@dataclass(frozen=True)
class Kpis:
    """The factory's headline figures."""

    use_cases: int
    in_production: int
    degraded: int
    stale: int
    built: int
    gates_failing: int
    releases: int
    releases_by_day: list[tuple[str, int]]
    lead_time_days: float | None
    lead_times: dict[str, float]

    @property
    def gate_failure_rate(self) -> float | None:
        """Share of the built use cases whose current build fails its release gates."""
        return self.gates_failing / self.built if self.built else None


def write_dashboard(root: Path, out: Path, now: datetime | None = None) -> list[Path]:
    """Write the site into `out`; return the pages written. Ages are measured at `now` (the current time when None)."""
    rows = build_inventory(root, now=now)
    kpis = compute_kpis(root, rows)
    scored = {r.use_case: r for r in readiness(root, [row.name for row in rows], now or datetime.now(UTC))}
    environment = _environment()
    paths = ProjectPaths(root)
    written = [out / "index.html"]
    atomic_write_text(
        written[0],
        environment.get_template("index.html.j2").render(
            rows=rows,
            kpis=kpis,
            chart=releases_chart(kpis.releases_by_day),
            statuses=_statuses(rows),
            readiness=scored,
        ),
    )
    for row in rows:
        use_case = paths.use_case(row.name)
        html = use_case.model_card_html.read_text(encoding="utf-8") if use_case.model_card_html.is_file() else ""
        records = read_log(use_case.monitoring_log)
        page = out / "use_cases" / f"{row.name}.html"
        atomic_write_text(
            page,
            environment.get_template("use_case.html.j2").render(
                row=row,
                card=_markup(card_article(html)),
                lead_time=kpis.lead_times.get(row.name),
                monitoring=list(reversed(records[-MONITORING_SHOWN:])),
                drift_chart=drift_chart(records),
                readiness=scored[row.name],
            ),
        )
        written.append(page)
    return written


def compute_kpis(root: Path, rows: list[InventoryRow]) -> Kpis:
    """Counts by status, releases per day, and lead time from first commit to first production."""
    by_day: dict[str, int] = {}
    for row in rows:
        for release in row.releases:
            day = release.released_at[:10]
            by_day[day] = by_day.get(day, 0) + 1
    lead_times = {}
    for row in rows:
        first_production = min(
            (c.at for c in row.stage_changes if c.stage == "production" and c.assigned), default=None
        )
        first_commit = _first_commit(root, row.name)
        if first_production and first_commit:
            delta = datetime.fromisoformat(first_production) - datetime.fromisoformat(first_commit)
            lead_times[row.name] = max(delta.total_seconds(), 0.0) / 86400
    built = [row for row in rows if row.gates_passed is not None]
    return Kpis(
        use_cases=len(rows),
        in_production=sum(row.status in ("in production", "degraded") for row in rows),
        degraded=sum(row.status == "degraded" for row in rows),
        stale=sum(row.stale for row in rows),
        built=len(built),
        gates_failing=sum(row.gates_passed is False for row in built),
        releases=sum(len(row.releases) for row in rows),
        releases_by_day=sorted(by_day.items()),
        lead_time_days=statistics.median(lead_times.values()) if lead_times else None,
        lead_times=lead_times,
    )


def _first_commit(root: Path, name: str) -> str | None:
    """When the use case's config was first committed (ISO 8601), if Git knows."""
    output = git(root, "log", "--reverse", "--format=%cI", "--", f"use_cases/{name}/config.yaml", check=False)
    return output.splitlines()[0] if output.strip() else None


# ---------------------------------------------------------------- inline SVG charts


def releases_chart(by_day: list[tuple[str, int]], width: int = 640, height: int = 160) -> str:
    """Releases per day as an SVG bar chart."""
    if not by_day:
        return '<p class="muted">No releases yet.</p>'
    top = max(count for _, count in by_day)
    slot = min(width / len(by_day), 80.0)  # a few days' bars stay narrow
    bars = []
    for index, (day, count) in enumerate(by_day):
        bar = (height - 30) * count / top
        x = index * slot + slot * 0.15
        bars.append(
            f'<rect x="{x:.1f}" y="{height - 20 - bar:.1f}" width="{slot * 0.7:.1f}" height="{bar:.1f}" fill="#3b6fb6">'
            f"<title>{day}: {count} release(s)</title></rect>"
            f'<text x="{x + slot * 0.35:.1f}" y="{height - 5}" font-size="10" text-anchor="middle">{day}</text>'
            f'<text x="{x + slot * 0.35:.1f}" y="{height - 24 - bar:.1f}" font-size="10" text-anchor="middle">'
            f"{count}</text>"
        )
    return (
        f'<svg class="chart" role="img" aria-label="releases per day" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">{"".join(bars)}</svg>'
    )


def drift_chart(records: list[MonitoringRecord], width: int = 640, height: int = 120) -> str:
    """Share of drifted features per monitoring check, oldest first, as an SVG line; alerts in red."""
    if not records:
        return ""
    step = width / max(len(records) - 1, 1)
    points = [(i * step, height - 10 - (height - 20) * r.drifted_share) for i, r in enumerate(records)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{"#b42318" if r.verdict == "alert" else "#2e7d32"}">'
        f"<title>{r.checked_at}: {r.verdict}, {r.drifted_share:.0%} of features drifted</title></circle>"
        for (x, y), r in zip(points, records, strict=True)
    )
    return (
        f'<svg class="chart" role="img" aria-label="drifted share per check" viewBox="-5 0 {width + 10} {height}" '
        f'width="{width}" height="{height}"><polyline points="{line}" fill="none" stroke="#3b6fb6" '
        f'stroke-width="2"/>{dots}</svg>'
    )


# ---------------------------------------------------------------- templates


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=PackageLoader("factory.governance", "templates"),
        autoescape=select_autoescape(["j2", "html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["figure"] = _figure
    environment.filters["days"] = _days
    environment.filters["when"] = _when
    environment.globals["svg"] = _markup
    environment.globals["card_css"] = CARD_CSS
    return environment


def _markup(html: str | None) -> Any:
    """Mark HTML that the factory generated itself (escaped at its source) as safe to embed."""
    from markupsafe import Markup

    return Markup(html) if html else None


def _statuses(rows: list[InventoryRow]) -> list[str]:
    return [status for status in STATUSES if any(row.status == status for row in rows)]


def _figure(value: Any) -> str:
    return "–" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def _days(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 1 / 24:
        return f"{value * 1440:.0f} min"
    if value < 1:
        return f"{value * 24:.1f} h"
    return f"{value:.1f} days"


def _when(value: str | None) -> str:
    return "–" if not value else value.replace("T", " ")[:19]
