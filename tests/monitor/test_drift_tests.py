"""Each drift test on its own: known answers, edge cases, the threshold's direction."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp

from factory import registry


def run(name: str, reference: np.ndarray, current: np.ndarray, **params: float) -> tuple[float, bool]:
    component = registry.get("drift", name)
    return component(component.parse_params(params), reference, current)


RNG = np.random.default_rng(12)
SAME = (RNG.normal(size=500), RNG.normal(size=400))
SHIFTED = (RNG.normal(size=500), RNG.normal(0.6, 1.0, size=400))


def test_ks_is_scipys_two_sample_p_value() -> None:
    p_value, drifted = run("ks", *SHIFTED)
    assert p_value == pytest.approx(ks_2samp(*SHIFTED).pvalue) and drifted
    p_value, drifted = run("ks", *SAME)
    assert p_value > 0.05 and not drifted
    assert run("ks", *SAME, threshold=0.99)[1]  # a high threshold calls small differences drift


def test_wasserstein_is_in_reference_standard_deviations() -> None:
    reference = RNG.normal(10.0, 4.0, size=5000)
    distance, drifted = run("wasserstein", reference, reference + 2.0)  # half a standard deviation
    assert distance == pytest.approx(0.5, rel=0.02) and drifted
    assert run("wasserstein", reference, reference + 0.2)[1] is False
    # A constant reference is measured in the feature's own units.
    assert run("wasserstein", np.full(10, 3.0), np.full(10, 3.0)) == (0.0, False)
    assert run("wasserstein", np.full(10, 3.0), np.full(10, 4.0)) == (1.0, True)


def test_chi_square_on_counts() -> None:
    p_value, drifted = run("chi_square", np.array([50, 30, 20]), np.array([48, 33, 19]))
    assert p_value > 0.5 and not drifted
    assert run("chi_square", np.array([50, 30, 20]), np.array([10, 30, 60]))[1]
    # A new category in the batch is drift; one category alone cannot drift.
    assert run("chi_square", np.array([100, 0]), np.array([60, 40]))[1]
    assert run("chi_square", np.array([100, 0]), np.array([40, 0])) == (1.0, False)


def test_jensen_shannon_between_zero_and_one() -> None:
    assert run("jensen_shannon", np.array([5, 5]), np.array([50, 50])) == (0.0, False)
    distance, drifted = run("jensen_shannon", np.array([10, 0]), np.array([0, 10]))
    assert distance == pytest.approx(1.0) and drifted
    distance, drifted = run("jensen_shannon", np.array([60, 40]), np.array([40, 60]))
    assert 0.1 < distance < 0.2 and drifted
    assert run("jensen_shannon", np.array([0, 0]), np.array([3, 1])) == (0.0, False)


def test_psi_grows_with_the_shift() -> None:
    reference = RNG.normal(size=5000)
    small, _ = run("psi", reference, RNG.normal(0.05, 1.0, size=5000))
    large, drifted = run("psi", reference, RNG.normal(1.0, 1.0, size=5000))
    assert small < 0.05 < 0.25 < large and drifted
    # Values beyond the reference's range fall in the outer bins rather than being lost.
    assert run("psi", reference, np.full(100, 50.0))[0] > 5


def test_each_test_declares_what_it_applies_to() -> None:
    applies = {c.name: c.applies_to for c in registry.components("drift")}
    assert applies == {
        "chi_square": ("categorical",),
        "jensen_shannon": ("categorical",),
        "ks": ("numeric",),
        "psi": ("numeric",),
        "wasserstein": ("numeric",),
    }


def test_every_drift_test_names_what_it_measures_and_when_it_is_drift() -> None:
    """A p-value of 0.9991 is no drift at 0.05: the report says which figure it shows and which way."""
    from factory import registry
    from factory.monitor.drift import drift_figures

    assert {c.name: c.measure for c in registry.components("drift")} == {
        "chi_square": "p-value",
        "jensen_shannon": "distance",
        "ks": "p-value",
        "psi": "distance",
        "wasserstein": "distance",
    }
    assert drift_figures("ks", 0.99912, 0.05) == ("p-value 0.9991", "p-value < 0.05")
    assert drift_figures("psi", 0.31, 0.2) == ("distance 0.31", "distance >= 0.2")
    assert drift_figures("wasserstein", None, 0.1) == ("distance n/a", "distance >= 0.1")
