"""Source `synthetic_customers`: a seeded, realistic telecom customer base in two tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from factory.registry import ComponentParams, RunContext, register

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# Signups span 2019-01-01..2024-12-31 and tenure is counted up to 2025-01-01.
_FIRST_SIGNUP = "2019-01-01"
_SIGNUP_DAYS = 2192
_DAYS_PER_MONTH = 365.25 / 12

_REGIONS = ("north", "south", "east", "west")
_REGION_SHARES = (0.34, 0.27, 0.22, 0.17)
_PLANS = ("basic", "plus", "premium")
_PLAN_SHARES = (0.55, 0.30, 0.15)
_DISCOUNTS = (0, 5, 10, 15, 20, 25)
_DISCOUNT_SHARES = (0.40, 0.20, 0.18, 0.12, 0.06, 0.04)


class SyntheticCustomersParams(ComponentParams):
    """Parameters of `synthetic_customers`."""

    rows: int = Field(5000, ge=1, le=5_000_000, description="Number of customers.")
    seed: int = Field(
        0, ge=0, le=2**32 - 1, description="Seed of the simulation; the same seed gives the same customers."
    )
    table: Literal["profile", "usage"] = Field(
        "profile", description="Which table of the population to return; both join 1:1 on customer_id."
    )


@register("source", "synthetic_customers", SyntheticCustomersParams)
def synthetic_customers(params: SyntheticCustomersParams, context: RunContext) -> pd.DataFrame:
    """Generate a seeded customer population and return its `profile` or `usage` table.

    The profile is deliberately raw (ISO date strings, "$1,325.00" charges, "10%"
    discounts, "t"/"f" flags, missing ages and discounts) so transforms have work to do;
    usage holds minutes, data volume (some missing), dropped calls and days since last
    login. Churn (`churned`, about a quarter of customers) follows a logistic model of
    tenure, plan, support calls, charges, discount, dropped calls and login recency;
    `annual_value` depends on plan, tenure, charges and data volume. Both tables come
    from the same simulation, so they join 1:1 on `customer_id`.
    """
    population = _simulate(params.rows, params.seed)
    return _profile(population) if params.table == "profile" else _usage(population)


def _simulate(n: int, seed: int) -> dict[str, np.ndarray]:
    """Draw every attribute of `n` customers; the draw order is fixed so both tables agree."""
    import numpy as np

    rng = np.random.default_rng(seed)
    signup_day = rng.integers(0, _SIGNUP_DAYS, n)
    tenure = np.minimum((_SIGNUP_DAYS - signup_day) // _DAYS_PER_MONTH, 72).astype("int64")
    region = rng.choice(len(_REGIONS), n, p=_REGION_SHARES)
    plan = rng.choice(len(_PLANS), n, p=_PLAN_SHARES)
    age = np.clip(np.round(rng.normal(44, 15, n)), 18, 90)
    charges = np.clip(
        np.array([35.0, 75.0, 140.0])[plan] + np.array([12.0, 18.0, 35.0])[plan] * rng.normal(size=n), 15, 250
    )
    # A handful of enterprise accounts on premium, so "$1,325.00"-style amounts occur.
    enterprise = rng.random(n) < 0.002
    charges = np.round(np.where(enterprise, rng.uniform(1000, 3000, n), charges), 2)
    plan = np.where(enterprise, 2, plan)
    discount_code = rng.choice(len(_DISCOUNTS), n, p=_DISCOUNT_SHARES)
    discount = np.array(_DISCOUNTS)[discount_code]
    paperless = rng.random(n) < 0.6
    support_calls = rng.poisson(1.3, n).astype("int64")
    minutes = np.round(rng.gamma(4.0, np.array([60.0, 95.0, 130.0])[plan]), 1)
    data_gb = np.round(rng.lognormal(np.log(np.array([4.0, 12.0, 30.0])[plan]), 0.5), 2)
    dropped_calls = rng.poisson(0.2 + minutes / 200).astype("int64")
    days_since_login = (rng.geometric(1 / 12, n) - 1).astype("int64")

    latent = (
        -1.3
        - 0.05 * (tenure - 36)
        + np.array([0.5, 0.0, -0.6])[plan]
        + 0.5 * (support_calls - 1.3)
        + 0.015 * (np.minimum(charges, 250) - 70)
        - 0.05 * discount
        + 0.35 * (dropped_calls - dropped_calls.mean())
        + 0.05 * (days_since_login - 11)
        + rng.normal(0, 0.5, n)
    )
    churned = rng.random(n) < 1 / (1 + np.exp(-latent))
    annual_value = np.round(
        (12 * charges * (1 + 0.005 * tenure) + 8 * data_gb + np.array([0.0, 150.0, 400.0])[plan])
        * rng.lognormal(0, 0.3, n),
        2,
    )
    # Missing values are masks drawn last, so they never shift the attributes above.
    return {
        "signup_day": signup_day,
        "tenure": tenure,
        "region": region,
        "plan": plan,
        "age": np.where(rng.random(n) < 0.03, np.nan, age),
        "charges": charges,
        "discount_code": discount_code,
        "discount_missing": rng.random(n) < 0.05,
        "paperless": paperless,
        "support_calls": support_calls,
        "churned": churned,
        "annual_value": annual_value,
        "minutes": minutes,
        "data_gb": np.where(rng.random(n) < 0.02, np.nan, data_gb),
        "dropped_calls": dropped_calls,
        "days_since_login": days_since_login,
    }


def _profile(population: dict[str, np.ndarray]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    n = len(population["tenure"])
    first = np.datetime64(_FIRST_SIGNUP)
    dates = np.datetime_as_string(first + np.arange(_SIGNUP_DAYS), unit="D")
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1, dtype="int64"),
            "signup_date": _text(population["signup_day"], dates),
            "region": _text(population["region"], _REGIONS),
            "plan": _text(population["plan"], _PLANS),
            "age": population["age"],
            "tenure_months": population["tenure"],
            "monthly_charges": _money(population["charges"]),
            "discount": _text(
                population["discount_code"], [f"{d}%" for d in _DISCOUNTS], population["discount_missing"]
            ),
            "paperless_billing": _text(population["paperless"].astype("int8"), ("f", "t")),
            "support_calls": population["support_calls"],
            "churned": _text(population["churned"].astype("int8"), ("f", "t")),
            "annual_value": population["annual_value"],
        }
    )


def _usage(population: dict[str, np.ndarray]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    n = len(population["tenure"])
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1, dtype="int64"),
            "avg_monthly_minutes": population["minutes"],
            "data_gb": population["data_gb"],
            "dropped_calls": population["dropped_calls"],
            "days_since_last_login": population["days_since_login"],
        }
    )


def _text(codes: np.ndarray, words: Iterable[str], missing: np.ndarray | None = None) -> pd.Series:
    """Decode integer codes into a `str` column through Arrow (numpy strings are far slower)."""
    import pandas as pd
    import pyarrow as pa

    indices = pa.array(codes.astype("int32"), mask=missing)
    decoded = pa.DictionaryArray.from_arrays(indices, pa.array(list(words))).dictionary_decode()
    return pd.Series(pd.array(decoded, dtype="str"))


def _money(amounts: np.ndarray) -> pd.Series:
    """Format amounts as "$89.50", with a thousands separator from $1,000 up."""
    import numpy as np

    # Amounts take few distinct values, so format each once in Python and decode by code;
    # a dense rank through bincount is several times faster than numpy.unique's sort.
    cents = np.round(amounts * 100).astype("int64")
    offset = cents - cents.min()
    present = np.bincount(offset) > 0
    codes = (np.cumsum(present) - 1)[offset]
    words = [f"${c / 100:,.2f}" for c in (np.flatnonzero(present) + cents.min()).tolist()]
    return _text(codes, words)
