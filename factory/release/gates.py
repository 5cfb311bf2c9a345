"""Release gates: absolute bounds, the trivial baseline, and the candidate against the production champion."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from factory.artifacts.metrics import BASELINE_KEY, SLICES_KEY
from factory.release.records import GateResult
from factory.spec import ChampionGate, Release, SliceGates

Direction = Callable[[str], bool]  # metric name -> greater is better


def evaluate_gates(
    policy: Release,
    primary_metric: str,
    metrics: Mapping[str, Any],
    champion: Mapping[str, Any] | None,
    greater_is_better: Direction,
) -> list[GateResult]:
    """Every gate's verdict, absolute gates first, then champion gates (in metric order)."""
    results = [
        _absolute(metric, "min", gate.min, metrics.get(metric))
        for metric, gate in sorted(policy.gates.items())
        if gate.min is not None
    ]
    results += [
        _absolute(metric, "max", gate.max, metrics.get(metric))
        for metric, gate in sorted(policy.gates.items())
        if gate.max is not None
    ]
    if policy.beat_baseline:
        baseline = metrics.get(BASELINE_KEY) or {}
        results.append(
            _versus_baseline(
                primary_metric, metrics.get(primary_metric), baseline.get(primary_metric), greater_is_better
            )
        )
    results += slice_gates(policy.slices, primary_metric, metrics.get(SLICES_KEY), greater_is_better(primary_metric))
    for metric, gate in sorted(champion_gates(policy, primary_metric).items()):
        results.append(
            _versus_champion(
                metric,
                gate,
                metrics.get(metric),
                None if champion is None else champion.get(metric),
                greater_is_better(metric),
            )
        )
    return results


def _versus_baseline(metric: str, value: Any, baseline: Any, greater_is_better: Direction) -> GateResult:
    """The model must beat a trivial one (the most frequent class, or the mean) on the primary metric."""
    if value is None or baseline is None:
        missing = "metric" if value is None else "baseline"
        return GateResult(
            metric=metric,
            kind="baseline",
            threshold=None,
            value=value,
            passed=False,
            detail=f"{missing} missing from the build (rebuild it)",
        )
    higher = greater_is_better(metric)
    passed = value > baseline if higher else value < baseline
    sign = ">" if higher else "<"
    return GateResult(
        metric=metric,
        kind="baseline",
        threshold=baseline,
        value=value,
        passed=passed,
        detail=f"{value:.4f} {sign} {baseline:.4f} (trivial baseline)",
    )


def slice_gates(gates: SliceGates, primary_metric: str, summary: Any, higher: bool) -> list[GateResult]:
    """The per-slice gates on each slice column, then the fairness gates on the protected ones.

    `summary` is metrics.json's slice summary (`factory.artifacts.metrics.slice_summary`); a
    column whose slices are too small to judge passes with a note saying so.
    """
    results: list[GateResult] = []
    for column, entry in sorted((summary or {}).items()):
        label = f"{primary_metric} by {column}"
        if gates.worst is not None:
            results.append(
                _bound(label, "slice worst", gates.worst, entry.get("worst"), higher, entry.get("worst_slice"))
            )
        if gates.max_gap is not None:
            results.append(_bound(f"{label} (gap)", "slice gap", gates.max_gap, entry.get("gap"), False, None))
        if entry.get("protected") and "parity_gap" in entry:
            if gates.max_parity_gap is not None:
                results.append(
                    _bound(
                        f"positive rate by {column} (gap)",
                        "parity",
                        gates.max_parity_gap,
                        entry["parity_gap"],
                        False,
                        None,
                    )
                )
            if gates.max_opportunity_gap is not None:
                results.append(
                    _bound(
                        f"true positive rate by {column} (gap)",
                        "opportunity",
                        gates.max_opportunity_gap,
                        entry.get("opportunity_gap"),
                        False,
                        None,
                    )
                )
    return results


def _bound(metric: str, kind: str, threshold: float, value: Any, at_least: bool, where: str | None) -> GateResult:
    """`value` against a bound: at least `threshold`, or at most; no value means too few rows to judge."""
    if value is None:
        return GateResult(
            metric=metric,
            kind=kind,
            threshold=threshold,
            value=None,
            passed=True,
            detail="too few rows in its slices to judge",
        )
    return _compared(metric, kind, threshold, value, at_least, f" (slice {where})" if where else "")


def _compared(metric: str, kind: str, threshold: float, value: float, at_least: bool, note: str) -> GateResult:
    """The verdict of `value` against `threshold` (at least it, or at most), worded with `note` after the figures."""
    passed = value >= threshold if at_least else value <= threshold
    sign = ">=" if at_least else "<="
    return GateResult(
        metric=metric,
        kind=kind,
        threshold=threshold,
        value=value,
        passed=passed,
        detail=f"{value:.4f} {sign} {threshold}{note}",
    )


def champion_gates(policy: Release, primary_metric: str) -> dict[str, ChampionGate]:
    """The policy's champion gates, with the primary metric's default tolerance added."""
    gates = dict(policy.champion)
    if policy.primary_tolerance is not None and primary_metric not in gates:
        gates[primary_metric] = ChampionGate(tolerance=policy.primary_tolerance)
    return gates


def _absolute(metric: str, kind: str, threshold: float, value: Any) -> GateResult:
    if value is None:
        return GateResult(
            metric=metric,
            kind=kind,
            threshold=threshold,
            value=None,
            passed=False,
            detail="metric missing from the build",
        )
    return _compared(metric, kind, threshold, value, kind == "min", "")


def _versus_champion(metric: str, gate: ChampionGate, value: Any, champion: Any, higher: bool) -> GateResult:
    if champion is None:
        return GateResult(
            metric=metric,
            kind="champion",
            threshold=None,
            value=value,
            champion=None,
            passed=True,
            detail="no production model yet",
        )
    if value is None:
        return GateResult(
            metric=metric,
            kind="champion",
            threshold=None,
            value=None,
            champion=champion,
            passed=False,
            detail="metric missing from the build",
        )
    allowed = gate.tolerance * abs(champion) if gate.relative else gate.tolerance
    # Direction-aware: lower is better for losses and errors (rmse, mae, log_loss).
    # Rounded so a value exactly on the boundary passes despite binary floating point.
    threshold = round(champion - allowed if higher else champion + allowed, 12)
    passed = value >= threshold if higher else value <= threshold
    sign = ">=" if higher else "<="
    return GateResult(
        metric=metric,
        kind="champion",
        threshold=threshold,
        value=value,
        champion=champion,
        passed=passed,
        detail=f"{value:.4f} {sign} {threshold:.4f} (production {champion:.4f})",
    )
