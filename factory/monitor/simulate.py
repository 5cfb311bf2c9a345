"""Simulated production batches: drawn from the reference (evaluation) rows, optionally shifted.

Rows are drawn with replacement from the evaluation table the reference profile describes,
so an unshifted batch follows the reference distribution, joint structure included.
Shifts keep every value a real one (so the batch still satisfies the input schema):

- `covariate`: rows are drawn with weights tilted towards high values of the chosen
  features (or rare categories): P(x) moves, P(y|x) stays.
- `label`: the same tilt on the target: P(y) moves, P(x|y) stays.
- `concept`: a share of the labels is changed (to the next class, or shuffled for a
  regression): P(y|x) moves, the features do not.
- `nulls`: a share of the values of the chosen nullable features is removed.

Everything is drawn from one `numpy` generator seeded with `seed`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from factory.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

SHIFT_KINDS = ("covariate", "label", "concept", "nulls")
SHIFT_PATTERN = re.compile(r"^(?P<kind>[a-z]+)(?::(?P<features>[\w,.-]+))?(?:@(?P<strength>[0-9.]+))?$")
CONCEPT_SHARE = 0.5  # at strength 1: half the labels change
NULL_SHARE = 0.3  # at strength 1: three values in ten go missing
MAX_TILT = 3.0  # standardised values are clipped here, so one outlier cannot take every draw


@dataclass(frozen=True)
class Shift:
    """One shift to apply: its kind, the features it concerns (empty: the default ones) and its strength."""

    kind: str
    features: tuple[str, ...] = ()
    strength: float = 1.0

    @classmethod
    def parse(cls, text: str) -> Shift:
        """Read `KIND[:FEATURE,...][@STRENGTH]`, e.g. `covariate:age,plan@2` or `concept@0.5`."""
        match = SHIFT_PATTERN.match(text)
        expected = f"KIND[:FEATURE,...][@STRENGTH] with KIND one of {', '.join(SHIFT_KINDS)} (e.g. covariate:age@1.5)"
        if match is None or match["kind"] not in SHIFT_KINDS:
            raise ConfigError.single("--shift", "", expected, repr(text))
        try:
            strength = float(match["strength"]) if match["strength"] else 1.0
        except ValueError:
            raise ConfigError.single("--shift", "", expected, repr(text)) from None
        if strength <= 0:
            raise ConfigError.single("--shift", "strength", "a positive number", repr(match["strength"]))
        features = tuple(match["features"].split(",")) if match["features"] else ()
        if features and match["kind"] in ("label", "concept"):
            raise ConfigError.single("--shift", match["kind"], "no features (it shifts the target)", repr(text))
        return cls(kind=match["kind"], features=features, strength=strength)


def check_shifts(shifts: Sequence[Shift], features: Sequence[str], nullable: Sequence[str]) -> None:
    """Refuse shifts naming unknown features, or removing values the input schema requires."""
    for shift in shifts:
        allowed = nullable if shift.kind == "nulls" else features
        what = "nullable features" if shift.kind == "nulls" else "features"
        unknown = [name for name in shift.features if name not in allowed]
        if unknown or (shift.kind == "nulls" and not allowed):
            raise ConfigError.single(
                "--shift", shift.kind, f"{what} of the use case ({', '.join(allowed) or 'none'})", ", ".join(unknown)
            )


def simulate_batch(
    pool: pd.DataFrame,
    features: Sequence[str],
    target: str,
    rows: int,
    seed: int,
    shifts: Sequence[Shift] = (),
    nullable: Sequence[str] = (),
) -> pd.DataFrame:
    """`rows` rows of `features` and `target` drawn from `pool` (the reference rows), then shifted."""
    import numpy as np

    rng = np.random.default_rng(seed)
    weights = np.ones(len(pool))
    for shift in shifts:
        if shift.kind == "covariate":
            for name in shift.features or features:
                weights *= _tilt(pool[name], shift.strength)
        elif shift.kind == "label":
            weights *= _tilt(pool[target], shift.strength)
    drawn = rng.choice(len(pool), size=rows, replace=True, p=weights / weights.sum())
    batch = pool.iloc[drawn][[*features, target]].reset_index(drop=True)
    for shift in shifts:
        if shift.kind == "concept":
            _change_labels(batch, target, min(1.0, CONCEPT_SHARE * shift.strength), rng)
        elif shift.kind == "nulls":
            for name in shift.features or nullable:
                chosen = rng.choice(rows, size=round(rows * min(1.0, NULL_SHARE * shift.strength)), replace=False)
                batch[name] = batch[name].astype("float64" if _is_number(batch[name]) else "object")
                batch.loc[chosen, name] = np.nan if _is_number(batch[name]) else None
    return batch


def _is_number(values: pd.Series) -> bool:
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return is_numeric_dtype(values) and not is_bool_dtype(values)


def _tilt(values: pd.Series, strength: float) -> np.ndarray:
    """Weights that favour high values (numbers) or rare categories, growing with `strength`."""
    import numpy as np

    if _is_number(values):
        numbers = values.to_numpy(dtype="float64")
        spread = np.nanstd(numbers)
        score = np.nan_to_num((numbers - np.nanmean(numbers)) / (spread if spread > 0 else 1.0))
        return np.exp(strength * np.clip(score, -MAX_TILT, MAX_TILT))
    text = values.astype("string").fillna("(missing)")
    ranked = text.value_counts().index.tolist()  # most frequent first
    rank = text.map({value: index for index, value in enumerate(ranked)}).to_numpy(dtype="float64")
    score = 2 * rank / max(len(ranked) - 1, 1) - 1  # -1 for the most frequent, +1 for the rarest
    return np.exp(2 * strength * score)


def _change_labels(batch: pd.DataFrame, target: str, share: float, rng: np.random.Generator) -> None:
    """Give a share of the rows another label: the next class, or a shuffled value for numbers."""
    chosen = rng.choice(len(batch), size=round(len(batch) * share), replace=False)
    labels = batch[target]
    if _is_number(labels):
        batch.loc[chosen, target] = rng.permutation(labels.to_numpy()[chosen])
        return
    classes = sorted(labels.dropna().unique().tolist(), key=str)
    following = {value: classes[(index + 1) % len(classes)] for index, value in enumerate(classes)}
    changed = labels.iloc[chosen].map(following).to_numpy()
    batch[target] = batch[target].astype("object")
    batch.loc[chosen, target] = changed
