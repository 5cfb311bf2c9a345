"""The spec language: pydantic models for use cases and data products, and their checks.

Every declarative input is a frozen pydantic model with ``extra="forbid"``. Parsing happens
in two passes: pydantic checks shape and types, then `check_use_case` / `check_data_product`
check what needs the catalogue or other files (component names and params, columns of the
data products). Both passes report `Problem`s with the key path; callers raise one
`ConfigError` naming the file.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_serializer,
    model_validator,
)

from factory import registry
from factory.errors import Problem

SLUG_PATTERN = r"^[a-z][a-z0-9-]{0,62}[a-z0-9]$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PATTERN_NAMES = {
    SLUG_PATTERN: "a slug: lower-case letters, digits and hyphens, starting with a letter (e.g. 'customer-churn')",
    EMAIL_PATTERN: "an e-mail address",
}
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, description="lower-case letters, digits and hyphens")]
Task = Literal["binary_classification", "multiclass_classification", "regression"]
RiskTier = Literal["low", "medium", "high"]
RISK_TIERS: tuple[str, ...] = get_args(RiskTier)
DType = Literal["int64", "float64", "string", "bool", "datetime64[ns]"]
# What a data product's owner says about a column, for the governance policy: `pii` identifies a
# person, `protected` is a characteristic a model must treat fairly (age, sex, ...), `deprecated`
# is going away. conf/governance/policy.yaml bans tags from use cases per risk tier.
ColumnTag = Literal["pii", "protected", "deprecated"]
PRODUCT_FOLDER = "data/products"


class StrictModel(BaseModel):
    """Base of every spec model: unknown keys are errors and values never change after parsing."""

    # strict: `true` is not the integer 1 nor "3" the number 3; finite: no .nan or .inf bounds
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class ComponentRef(StrictModel):
    """A registered component picked by name, with its params."""

    kind: ClassVar[registry.Kind]
    component: str = Field(description="registered component name (see `factory components`)")
    params: dict[str, Any] = Field(default_factory=dict, description="the component's params")


class SourceRef(ComponentRef):
    """A source component."""

    kind: ClassVar[registry.Kind] = "source"


class TransformRef(ComponentRef):
    """A transform component."""

    kind: ClassVar[registry.Kind] = "transform"


class FeatureRef(ComponentRef):
    """A feature transformer component."""

    kind: ClassVar[registry.Kind] = "feature"


class SearchRange(StrictModel):
    """A continuous or integer range that random search samples from."""

    distribution: Literal["uniform", "loguniform", "randint"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> SearchRange:
        if not self.low < self.high:
            raise ValueError(f"low < high (got low={self.low}, high={self.high})")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError(f"low > 0 for a loguniform range (got {self.low})")
        return self


MAX_SEARCH_CANDIDATES = 500
MAX_JOBS = 64
MAX_SEED = 2**32 - 1


class Search(StrictModel):
    """Hyperparameter search over the model component's params, scored by cross-validation."""

    method: Literal["grid", "random"] = "grid"
    space: dict[str, list[Any] | SearchRange] = Field(
        min_length=1, description="model param -> candidate values (a list), or a range (random search only)"
    )
    cv: int = Field(5, ge=2, le=20, description="cross-validation folds")
    n_iter: int = Field(10, ge=1, le=MAX_SEARCH_CANDIDATES, description="candidates sampled (random search only)")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="seed of the folds and of random sampling")
    metric: str | None = Field(None, description="metric to maximise or minimise; the primary metric when omitted")


class ModelRef(ComponentRef):
    """A model component, optionally with a hyperparameter search over its params."""

    kind: ClassVar[registry.Kind] = "model"
    search: Search | None = None


class Runtime(StrictModel):
    """Where heavy stages (training, search) run. Results never depend on it.

    A use case may ask for a Dask cluster; which cluster is the operator's choice
    (FACTORY_DASK_ADDRESS), never a config's: a scheduler can run code in the build.
    """

    engine: Literal["local", "dask"] = "local"
    n_jobs: int = Field(
        default=1, ge=-1, le=MAX_JOBS, description="parallel search fits (-1: all cores or all Dask workers)"
    )

    @model_validator(mode="before")
    @classmethod
    def _no_address(cls, data: Any) -> Any:
        if isinstance(data, dict) and "address" in data:
            raise ValueError(
                "no runtime.address: the operator sets the Dask scheduler in the environment (FACTORY_DASK_ADDRESS)"
                f" (got {data['address']!r})"
            )
        return data

    @model_validator(mode="after")
    def _some_jobs(self) -> Runtime:
        if self.n_jobs == 0:
            raise ValueError("n_jobs of 1 or more, or -1 for all (got 0)")
        return self


class DriftRef(ComponentRef):
    """A drift test component."""

    kind: ClassVar[registry.Kind] = "drift"


# ---------------------------------------------------------------- data products


class ColumnSchema(StrictModel):
    """What one column of a data product must hold."""

    dtype: DType
    nullable: bool = False
    unique: bool = False
    min: float | None = None
    max: float | None = None
    allowed: list[str | int | float | bool] | None = Field(default=None, description="allowed values")
    tags: list[ColumnTag] = Field(
        default_factory=list, max_length=3, description="pii, protected or deprecated (the governance policy)"
    )

    @model_validator(mode="after")
    def _range_is_ordered(self) -> ColumnSchema:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min <= max (got min={self.min}, max={self.max})")
        return self


class TableSchema(StrictModel):
    """The declared schema of a data product."""

    columns: dict[str, ColumnSchema] = Field(min_length=1)
    strict: bool = Field(default=True, description="reject columns that are not declared")
    unique: list[str] = Field(default_factory=list, description="columns unique in combination")

    def tagged(self, tag: str) -> list[str]:
        """The columns carrying `tag`, in declaration order."""
        return [name for name, column in self.columns.items() if tag in column.tags]


class DataProductSpec(StrictModel):
    """A shared, validated table built from a source and transforms (conf/data/<name>.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)

    name: Slug
    description: str = Field(min_length=1)
    owner: str | None = Field(default=None, pattern=EMAIL_PATTERN)
    source: SourceRef
    transforms: list[TransformRef] = Field(default_factory=list)
    table_schema: TableSchema = Field(alias="schema")

    @property
    def output_path(self) -> str:
        """Where the product's Parquet file is written, relative to the project root: always its own name."""
        return f"{PRODUCT_FOLDER}/{self.name}.parquet"


# ---------------------------------------------------------------- use cases


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


KeyColumns = Annotated[list[str], BeforeValidator(_as_list), Field(min_length=1, max_length=16)]


class JoinKeys(StrictModel):
    """Join keys named differently on the two sides: `left` in the products before, `right` in this one."""

    left: KeyColumns
    right: KeyColumns

    @model_validator(mode="after")
    def _paired(self) -> JoinKeys:
        if len(self.left) != len(self.right):
            raise ValueError(f"as many right keys as left keys (got {len(self.left)} and {len(self.right)})")
        return self


def _join_keys(value: Any) -> Any:
    """A list names keys alike on both sides; an empty list (the first product) means none."""
    if isinstance(value, list):
        return {"left": value, "right": value} if value else None
    return value


class DataInput(StrictModel):
    """One data product a use case reads; every one after the first is joined on its keys."""

    product: Slug
    join_keys: Annotated[JoinKeys | None, BeforeValidator(_join_keys)] = Field(
        default=None,
        description="join keys: a list of columns named alike on both sides, or {left: ..., right: ...}; "
        "none for the first product",
    )
    how: Literal["inner", "left"] = "inner"
    cardinality: Literal["many_to_one", "one_to_one", "one_to_many", "many_to_many"] = Field(
        default="many_to_one",
        description="rows per key on each side, checked on the data: many_to_one needs this product's keys unique",
    )

    @field_serializer("join_keys")
    def _written_as_given(self, keys: JoinKeys | None) -> list[str] | dict[str, list[str]]:
        """Keys named alike are written back as one list, as people write them."""
        if keys is None:
            return []
        return list(keys.left) if keys.left == keys.right else {"left": list(keys.left), "right": list(keys.right)}

    @property
    def left_keys(self) -> list[str]:
        """The key columns of the products joined before this one."""
        return list(self.join_keys.left) if self.join_keys else []

    @property
    def right_keys(self) -> list[str]:
        """The key columns of this product."""
        return list(self.join_keys.right) if self.join_keys else []


def _default_numeric_steps() -> list[FeatureRef]:
    return [
        FeatureRef(component="simple_imputer", params={"strategy": "median"}),
        FeatureRef(component="standard_scaler"),
    ]


def _default_categorical_steps() -> list[FeatureRef]:
    return [
        FeatureRef(component="simple_imputer", params={"strategy": "most_frequent"}),
        FeatureRef(component="one_hot_encoder"),
    ]


class Features(StrictModel):
    """The model's input columns and the feature transformers applied to each group."""

    numeric: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list)
    numeric_steps: list[FeatureRef] = Field(default_factory=_default_numeric_steps)
    categorical_steps: list[FeatureRef] = Field(default_factory=_default_categorical_steps)

    @property
    def columns(self) -> list[str]:
        """All feature columns, numeric first."""
        return [*self.numeric, *self.categorical]

    @model_validator(mode="after")
    def _non_empty_and_disjoint(self) -> Features:
        if not self.numeric and not self.categorical:
            raise ValueError("at least one numeric or categorical feature (got none)")
        both = sorted(set(self.numeric) & set(self.categorical))
        if both:
            raise ValueError(f"each column in one group only (got {', '.join(both)} in both numeric and categorical)")
        return self


class RandomSplit(StrictModel):
    """A seeded random train/test split, stratified on the target for classification."""

    kind: Literal["random"] = "random"
    test_size: float = Field(default=0.2, gt=0.0, lt=1.0)
    stratify: bool | None = Field(
        default=None, description="keep the classes' shares in both sets; by default, for classification tasks"
    )
    seed: int = Field(default=42, ge=0, le=MAX_SEED)


class TimeSplit(StrictModel):
    """The latest `test_size` share of rows by `column` is the test set."""

    kind: Literal["time"]
    column: str
    test_size: float = Field(default=0.2, gt=0.0, lt=1.0)


def _split_kind(value: Any) -> str:
    """A split without `kind` is random; anything else names its kind."""
    kind = value.get("kind", "random") if isinstance(value, dict) else getattr(value, "kind", "random")
    return kind if kind in ("random", "time") else "random"


class Evaluation(StrictModel):
    """Which metrics to compute, which one decides, and the columns to slice by."""

    primary_metric: str
    metrics: list[str] = Field(default_factory=list, description="extra metrics")
    slices: list[str] = Field(default_factory=list, description="columns to report metrics per value of")

    @property
    def all_metrics(self) -> list[str]:
        """The primary metric followed by the extra ones, without repeats."""
        return list(dict.fromkeys([self.primary_metric, *self.metrics]))


class Gate(StrictModel):
    """Bounds a metric must satisfy to release."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _has_a_bound(self) -> Gate:
        if self.min is None and self.max is None:
            raise ValueError("a min or a max (got neither)")
        return self


class ChampionGate(StrictModel):
    """How much worse than the production model a candidate may be on one metric."""

    tolerance: float = Field(default=0.0, ge=0.0, description="allowed regression (0 = no worse)")
    relative: bool = Field(default=False, description="tolerance is a share of the champion's value")


class SliceGates(StrictModel):
    """Release gates per slice (`evaluation.slices`), and fairness gates on the slices of protected columns.

    Gaps compare the slices of one column with each other; a slice with fewer than `min_rows`
    test rows is reported but not judged, since a handful of rows proves nothing either way.
    """

    min_rows: int = Field(
        default=30, ge=1, le=10**9, description="slices with fewer test rows are reported, not judged"
    )
    worst: float | None = Field(
        default=None,
        description="the primary metric every judged slice reaches (at least; at most where lower is better)",
    )
    max_gap: float | None = Field(
        default=None, ge=0.0, description="largest difference of the primary metric between the slices of one column"
    )
    max_parity_gap: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="binary classification, protected columns: largest difference of the positive prediction rate",
    )
    max_opportunity_gap: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="binary classification, protected columns: largest difference of the true positive rate",
    )

    @property
    def any(self) -> bool:
        """Whether any slice gate is set."""
        return any(v is not None for v in (self.worst, self.max_gap, self.max_parity_gap, self.max_opportunity_gap))


class Release(StrictModel):
    """Release policy: absolute gates, gates against the production champion, the default stage."""

    gates: dict[str, Gate] = Field(default_factory=dict, description="absolute bounds per metric")
    champion: dict[str, ChampionGate] = Field(
        default_factory=dict, description="per metric, the allowed regression vs production"
    )
    primary_tolerance: float | None = Field(
        default=None, ge=0.0, description="allowed regression of the primary metric vs production"
    )
    stage: Literal["staging", "production"] = Field(
        default="production", description="stage `factory release` assigns by default"
    )
    beat_baseline: bool = Field(
        default=True,
        description="refuse a model whose primary metric does not beat a trivial one (most frequent class, or mean)",
    )
    slices: SliceGates = Field(default_factory=SliceGates, description="gates per slice and on protected slices")


class Approval(StrictModel):
    """A person's approval of one version for production (use_cases/<name>/approvals.yaml)."""

    version: str = Field(pattern=r"^v\d+\.\d+\.\d+$")
    approved_by: str = Field(pattern=EMAIL_PATTERN)
    approved_at: str = Field(min_length=1, description="date or time of the approval")
    note: str = ""


class Approvals(StrictModel):
    """Every approval recorded for a use case."""

    approvals: list[Approval] = Field(default_factory=list)


class DriftTests(StrictModel):
    """The drift test for batches under the small-sample size, and the one for larger batches."""

    small: DriftRef
    large: DriftRef


def _unquoted_off(value: Any) -> Any:
    """YAML 1.1 reads an unquoted `off` as false: take it for the `off` it was written as."""
    return "off" if value is False else value


QualityAction = Annotated[Literal["error", "warn", "off"], BeforeValidator(_unquoted_off)]


class Quality(StrictModel):
    """Data-quality tests on the prepared rows before training and model tests after it, each `error`, `warn` or `off`.

    Every key is required here: the defaults live in conf/quality/default.yaml, which the
    composition merges beneath each use case's `quality:` section.
    """

    constant_feature: QualityAction
    mostly_missing: QualityAction
    missing_share: float = Field(gt=0, le=1)
    identifier_feature: QualityAction
    leaking_feature: QualityAction
    leakage_score: float = Field(gt=0, le=1)
    train_test_overlap: QualityAction
    # Model tests of the train stage, on the held-out rows.
    uninformative_feature: QualityAction
    importance_repeats: int = Field(ge=2, le=50, description="shuffles of each feature for its permutation importance")
    numerical_stability: QualityAction


class Monitoring(StrictModel):
    """Monitoring policy: drift tests per feature type, dataset drift and efficacy thresholds, model age.

    The defaults live in conf/monitoring/default.yaml, which the composition merges beneath
    each use case's `monitoring:` section, so every key is required here but `max_age_days`:
    its default lets the params.yaml of versions released before it existed still load.
    """

    small_sample_rows: int = Field(ge=1, le=10**9, description="batches with fewer rows use the `small` tests")
    numeric: DriftTests
    categorical: DriftTests
    null_share_increase: float = Field(gt=0.0, le=1.0, description="a rise in missing values that is drift")
    dataset_drift_share: float = Field(gt=0.0, le=1.0, description="share of drifted features that is dataset drift")
    efficacy_tolerance: float = Field(ge=0.0, description="allowed drop of the primary metric on labelled data")
    max_age_days: int = Field(
        default=180,
        ge=1,
        le=3650,
        description="the production version is stale when released more than this many days ago",
    )


class Card(StrictModel):
    """What only people can say about a model, for its model card (Mitchell et al., 2019).

    Every field is optional here; the governance policy (conf/governance/policy.yaml) says
    which fields each risk tier requires, and the card shows the absent ones as missing.
    """

    intended_use: str | None = Field(default=None, description="the primary intended uses")
    intended_users: str | None = Field(default=None, description="who is meant to use the predictions")
    out_of_scope_uses: list[str] = Field(default_factory=list, description="uses the model must not be put to")
    factors: str | None = Field(
        default=None, description="groups, conditions or settings the model may behave differently on"
    )
    ethical_considerations: str | None = Field(default=None, description="risks to people and how they are handled")
    caveats_and_recommendations: str | None = Field(default=None, description="known limits and advice to users")

    def missing(self) -> list[str]:
        """The fields left empty, in declaration order."""
        return [name for name in type(self).model_fields if not getattr(self, name)]


class UseCaseSpec(StrictModel):
    """A use case: the data it reads, the model it trains and how it is judged."""

    name: Slug
    description: str = Field(min_length=1)
    owner: str = Field(pattern=EMAIL_PATTERN, description="e-mail of the accountable owner")
    risk_tier: RiskTier
    task: Task
    data: list[DataInput] = Field(min_length=1)
    prepare: list[TransformRef] = Field(
        default_factory=list,
        max_length=32,
        description="transforms of the joined table before the split (filter, derive, drop); the products stay shared",
    )
    target: str
    features: Features
    split: Annotated[
        Annotated[RandomSplit, Tag("random")] | Annotated[TimeSplit, Tag("time")], Discriminator(_split_kind)
    ] = Field(default_factory=RandomSplit)
    model: ModelRef
    evaluation: Evaluation
    release: Release = Field(default_factory=Release)
    runtime: Runtime = Field(default_factory=Runtime)
    monitoring: Monitoring | None = Field(default=None, description="conf/monitoring/default.yaml, then overrides")
    quality: Quality | None = Field(default=None, description="conf/quality/default.yaml, then overrides")
    card: Card = Field(default_factory=Card, description="the human fields of the model card")


class UseCaseParams(UseCaseSpec):
    """What a use case's stages read from its params.yaml: the spec plus product file paths."""

    products: dict[str, str] = Field(description="data product name -> Parquet path from the project root")
    protected_columns: list[str] = Field(
        default_factory=list, description="the columns of its data the data products tag `protected`"
    )


# ---------------------------------------------------------------- governance policy


def _card_field(name: str) -> str:
    if name not in Card.model_fields:
        raise ValueError(f"a field of the use case's `card:` section ({', '.join(Card.model_fields)})")
    return name


CardField = Annotated[str, AfterValidator(_card_field)]


class GovernancePolicy(StrictModel):
    """Rules every use case is held to, by risk tier (conf/governance/policy.yaml)."""

    required_card_fields: dict[RiskTier, list[CardField]] = Field(
        default_factory=dict, description="risk tier -> the `card:` fields its use cases must fill in"
    )
    banned_column_tags: dict[RiskTier, list[ColumnTag]] = Field(
        default_factory=dict,
        description="risk tier -> column tags its use cases may not use as a feature, target or split column",
    )

    def required(self, tier: str) -> list[str]:
        """The card fields a use case of risk tier `tier` must fill in."""
        return list(self.required_card_fields.get(tier, []))  # type: ignore[call-overload]

    def banned(self, tier: str) -> list[str]:
        """The column tags a use case of risk tier `tier` may not use."""
        return list(self.banned_column_tags.get(tier, []))  # type: ignore[call-overload]


# ---------------------------------------------------------------- validation passes


def pydantic_problems(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Turn pydantic's errors into `Problem`s worded as expected/got, with key paths."""
    problems = []
    for item in error.errors(include_url=False):
        key = ".".join(str(part) for part in item["loc"])
        got = None if item["type"] == "missing" else _show(item.get("input"))
        if item["type"] == "extra_forbidden":
            parent_keys = _keys_at(model, item["loc"][:-1])
            expected = "no such key" + did_you_mean(str(item["loc"][-1]), parent_keys)
            if parent_keys:
                expected += f"; known keys: {', '.join(parent_keys)}"
            problems.append(Problem(key, expected))
            continue
        if item["type"] == "missing":
            problems.append(Problem(key, "a value (this key is required)"))
            continue
        pattern = str((item.get("ctx") or {}).get("pattern"))
        message = PATTERN_NAMES.get(pattern, "") if item["type"] == "string_pattern_mismatch" else ""
        message = message or item["msg"]
        message = message[0].lower() + message[1:] if message else message
        message = message.removeprefix("value error, ").removeprefix("input should be ")
        if item["type"] == "value_error":
            # every validator words its error "<what is expected> (got <what was given>)"
            expected, marker, given = message.rpartition(" (got ")
            if marker and given.endswith(")"):
                message, got = expected, given[:-1]
        problems.append(Problem(key, message, got))
    return problems


def _keys_at(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """Best-effort list of the keys allowed at `loc` inside `model`, for 'did you mean'."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            if isinstance(part, int):
                continue
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            field = next((f for f in current.model_fields.values() if f.alias == part), None)
        if field is None:
            return []
        current = _model_in(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(f.alias or name for name, f in current.model_fields.items())
    return []


def _model_in(annotation: Any) -> Any:
    """The first pydantic model inside a (possibly generic or union) annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def did_you_mean(name: str, known: Sequence[str]) -> str:
    """' (did you mean 'x'?)' for the closest known name, ignoring case; '' when none is close."""
    by_lower = {option.lower(): option for option in known}
    guess = difflib.get_close_matches(name.lower(), list(by_lower), n=1)
    return f" (did you mean {by_lower[guess[0]]!r}?)" if guess else ""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def resolve_component(ref: ComponentRef, key: str, problems: list[Problem], task: str | None = None) -> ComponentRef:
    """Check a component reference against the catalogue; return it with its params filled in.

    Problems are appended to `problems`; on a problem the reference is returned unchanged.
    """
    try:
        component = registry.get(ref.kind, ref.component)
    except registry.UnknownComponent as exc:
        hint = did_you_mean(ref.component, exc.known)
        problems.append(
            Problem(
                f"{key}.component",
                f"a registered {ref.kind} component{hint}; known: {', '.join(exc.known)}",
                repr(ref.component),
            )
        )
        return ref
    if task is not None and task not in component.tasks:
        problems.append(
            Problem(
                f"{key}.component",
                f"a {ref.kind} for {task} (one of: {', '.join(_names_for_task(ref.kind, task))})",
                repr(ref.component),
            )
        )
    try:
        parsed = component.parse_params(ref.params)
    except ValidationError as exc:
        for problem in pydantic_problems(exc, component.params_model):
            problems.append(Problem(f"{key}.params.{problem.key}".rstrip("."), problem.expected, problem.got))
        return ref
    return ref.model_copy(update={"params": parsed.model_dump(mode="json")})


def _names_for_task(kind: registry.Kind, task: str) -> list[str]:
    return [c.name for c in registry.components(kind) if task in c.tasks]


def parse_model(model: type[StrictModel], raw: Mapping[str, Any]) -> tuple[Any, list[Problem]]:
    """Parse `raw` into `model`; return (instance or None, problems)."""
    try:
        return model.model_validate(dict(raw)), []
    except ValidationError as exc:
        return None, pydantic_problems(exc, model)


def check_data_product(
    product: DataProductSpec, known_products: Sequence[str]
) -> tuple[DataProductSpec, list[Problem]]:
    """Check a product's components against the catalogue; return it with params filled in."""
    problems: list[Problem] = []
    source = resolve_component(product.source, "source", problems)
    transforms = []
    for index, transform in enumerate(product.transforms):
        resolved = resolve_component(transform, f"transforms.{index}", problems)
        transforms.append(resolved)
        if resolved is transform:
            continue
        component = registry.get("transform", resolved.component)
        for other in component.products_read(component.parse_params(resolved.params)):
            if other == product.name:
                problems.append(Problem(f"transforms.{index}.params", "a product other than itself", repr(other)))
            elif other not in known_products:
                problems.append(
                    Problem(
                        f"transforms.{index}.params",
                        f"a data product declared in conf/data/ (one of: {', '.join(known_products)})",
                        repr(other),
                    )
                )
    for column in product.table_schema.unique:
        if column not in product.table_schema.columns:
            problems.append(Problem("schema.unique", "declared columns only", repr(column)))
    return product.model_copy(update={"source": source, "transforms": transforms}), problems


def check_use_case(spec: UseCaseSpec, products: Mapping[str, DataProductSpec]) -> tuple[UseCaseSpec, list[Problem]]:
    """Check a use case against the catalogue and its data products; return it with params filled in."""
    problems: list[Problem] = []
    columns = _check_data(spec, products, problems)
    is_classifier = spec.task != "regression"

    model = resolve_component(spec.model, "model", problems, task=spec.task)
    numeric_steps = [
        resolve_component(s, f"features.numeric_steps.{i}", problems) for i, s in enumerate(spec.features.numeric_steps)
    ]
    categorical_steps = [
        resolve_component(s, f"features.categorical_steps.{i}", problems)
        for i, s in enumerate(spec.features.categorical_steps)
    ]
    features = spec.features.model_copy(update={"numeric_steps": numeric_steps, "categorical_steps": categorical_steps})
    monitoring = _check_monitoring(spec.monitoring, problems)

    for index, metric in enumerate(spec.evaluation.all_metrics):
        key = "evaluation.primary_metric" if index == 0 else "evaluation.metrics"
        _check_metric(metric, key, spec.task, problems)
    for metric in spec.release.gates:
        if metric not in spec.evaluation.all_metrics:
            problems.append(
                Problem(
                    f"release.gates.{metric}",
                    f"a metric listed under evaluation ({', '.join(spec.evaluation.all_metrics)})",
                    repr(metric),
                )
            )

    prepare, columns = _check_prepare(spec, columns, problems)
    if columns is not None:
        _check_columns(spec, columns, problems)
    split = spec.split
    if isinstance(split, RandomSplit):
        if split.stratify and not is_classifier:
            problems.append(Problem("split.stratify", "false for regression (stratifying needs classes)", "true"))
        if split.stratify is None:  # the default follows the task
            split = split.model_copy(update={"stratify": is_classifier})
    _check_target(spec, products, problems)
    if isinstance(spec.split, TimeSplit) and columns is not None:
        dtype = columns.get(spec.split.column)
        if dtype is not None and dtype not in ("datetime64[ns]", "int64", "float64"):
            problems.append(
                Problem(
                    "split.column",
                    "an orderable column (datetime or number)",
                    f"{spec.split.column!r} of dtype {dtype}",
                )
            )
    if isinstance(model, ModelRef) and model.search is not None and model is not spec.model:
        model = model.model_copy(update={"search": _check_search(model, spec, problems)})
    return (
        spec.model_copy(
            update={"model": model, "features": features, "monitoring": monitoring, "split": split, "prepare": prepare}
        ),
        problems,
    )


def _check_prepare(
    spec: UseCaseSpec, columns: dict[str, str] | None, problems: list[Problem]
) -> tuple[list[TransformRef], dict[str, str] | None]:
    """Resolve the `prepare` transforms and follow the columns through them.

    A step may only reshape the use case's own table: one that reads other products or files
    is refused (list another product under `data:` to join it).
    """
    steps: list[TransformRef] = []
    for index, ref in enumerate(spec.prepare):
        key = f"prepare.{index}"
        resolved = resolve_component(ref, key, problems)
        steps.append(resolved)  # type: ignore[arg-type]
        if ref.component not in registry.names("transform"):
            columns = None
            continue
        component = registry.get("transform", ref.component)
        try:
            params = component.parse_params(resolved.params)
        except ValidationError:
            columns = None  # resolve_component has named the problem
            continue
        if component.products_read(params) or component.files_read(params):
            problems.append(
                Problem(
                    f"{key}.component",
                    "a transform of the use case's own table (join other products under data:)",
                    repr(ref.component),
                )
            )
        elif columns is not None:
            columns = component.output_columns(params, columns)
    return steps, columns


def _check_target(spec: UseCaseSpec, products: Mapping[str, DataProductSpec], problems: list[Problem]) -> None:
    """What the target's declared schema already tells about the task: its dtype and its classes.

    The data are checked again when the use case is prepared (`target_problem`), where the
    classes of a text column without an `allowed` list are first known.
    """
    column = next(
        (
            products[item.product].table_schema.columns[spec.target]
            for item in spec.data
            if item.product in products and spec.target in products[item.product].table_schema.columns
        ),
        None,
    )
    if column is None:
        return
    shown = f"{spec.target!r} of dtype {column.dtype}"
    if spec.task == "regression":
        if column.dtype not in ("int64", "float64"):
            problems.append(Problem("target", "a numeric column for regression", shown))
        return
    if column.dtype == "datetime64[ns]":
        problems.append(Problem("target", "a column of classes (text, integer or boolean)", shown))
        return
    classes = [True, False] if column.dtype == "bool" else column.allowed
    if classes is None:
        return
    expected = TASK_CLASSES[spec.task]
    if not expected[0] <= len(set(classes)) <= expected[1]:
        listed = ", ".join(str(value) for value in classes)
        problems.append(Problem("target", f"{describe_classes(spec.task)}", f"{len(classes)}: {listed}"))


# How many classes each classification task needs: (at least, at most).
TASK_CLASSES: dict[str, tuple[int, float]] = {
    "binary_classification": (2, 2),
    "multiclass_classification": (3, math.inf),
}


def describe_classes(task: str) -> str:
    """What a task needs of its target's classes, in words."""
    return (
        "exactly two classes for binary_classification (or a boolean)"
        if task == "binary_classification"
        else "at least three classes for multiclass_classification (binary_classification takes two)"
    )


def _check_monitoring(policy: Monitoring | None, problems: list[Problem]) -> Monitoring | None:
    """Resolve the policy's drift tests, each for the feature type of its slot."""
    if policy is None:
        return None
    groups = {}
    for group in (registry.NUMERIC, registry.CATEGORICAL):
        tests: DriftTests = getattr(policy, group)
        resolved = {}
        for size in ("small", "large"):
            key = f"monitoring.{group}.{size}"
            ref = resolve_component(getattr(tests, size), key, problems)
            known = registry.names("drift")
            if ref.component in known and group not in registry.get("drift", ref.component).applies_to:
                fitting = [c.name for c in registry.components("drift") if group in c.applies_to]
                problems.append(
                    Problem(
                        f"{key}.component",
                        f"a drift test for {group} features ({', '.join(fitting)})",
                        repr(ref.component),
                    )
                )
            resolved[size] = ref
        groups[group] = tests.model_copy(update=resolved)
    return policy.model_copy(update=groups)


def _check_search(model: ModelRef, spec: UseCaseSpec, problems: list[Problem]) -> Search:
    """Check a search against the model's params; return it with its metric filled in."""
    assert model.search is not None
    search = model.search
    component = registry.get("model", model.component)
    known = sorted(component.params_model.model_fields)
    candidates = 1
    for name, values in search.space.items():
        key = f"model.search.space.{name}"
        if name not in known:
            hint = did_you_mean(name, known)
            problems.append(Problem(key, f"a param of {model.component}{hint}; known: {', '.join(known)}", repr(name)))
            continue
        if isinstance(values, SearchRange):
            if search.method == "grid":
                problems.append(Problem(key, "a list of values (ranges need method: random)", values.distribution))
                continue
            cast = int if values.distribution == "randint" else float
            ends = {"low": cast(values.low), "high": cast(values.high)}
        else:
            if not values:
                problems.append(Problem(key, "at least one value", "[]"))
            candidates *= max(len(values), 1)
            ends = dict(enumerate(values))  # type: ignore[arg-type]
        for index, value in ends.items():
            try:
                component.parse_params({**model.params, name: value})
            except ValidationError as exc:
                for problem in pydantic_problems(exc, component.params_model):
                    problems.append(Problem(f"{key}.{index}", problem.expected, problem.got))
    if search.method == "grid" and candidates > MAX_SEARCH_CANDIDATES:
        problems.append(
            Problem("model.search.space", f"at most {MAX_SEARCH_CANDIDATES} grid candidates", str(candidates))
        )
    metric = search.metric or spec.evaluation.primary_metric
    if search.metric is not None:
        _check_metric(metric, "model.search.metric", spec.task, problems)
    return search.model_copy(update={"metric": metric})


def _check_metric(metric: str, key: str, task: str, problems: list[Problem]) -> None:
    try:
        component = registry.get("metric", metric)
    except registry.UnknownComponent as exc:
        hint = did_you_mean(metric, exc.known)
        problems.append(Problem(key, f"a registered metric{hint}; known: {', '.join(exc.known)}", repr(metric)))
        return
    if task not in component.tasks:
        problems.append(
            Problem(key, f"a metric for {task} (one of: {', '.join(_names_for_task('metric', task))})", repr(metric))
        )


def _check_data(
    spec: UseCaseSpec, products: Mapping[str, DataProductSpec], problems: list[Problem]
) -> dict[str, str] | None:
    """Check the data inputs; return the joined table's columns and dtypes, or None if unknown."""
    columns: dict[str, str] = {}
    complete = True
    for index, item in enumerate(spec.data):
        product = products.get(item.product)
        if product is None:
            problems.append(
                Problem(
                    f"data.{index}.product",
                    f"a data product declared in conf/data/ (one of: {', '.join(sorted(products)) or 'none declared'})",
                    repr(item.product),
                )
            )
            complete = False
            continue
        declared = {name: column.dtype for name, column in product.table_schema.columns.items()}
        if index == 0:
            if item.join_keys:
                problems.append(
                    Problem(f"data.{index}.join_keys", "no join keys on the first product", ", ".join(item.left_keys))
                )
            columns.update(declared)
            continue
        if not item.join_keys:
            problems.append(Problem(f"data.{index}.join_keys", "the join keys shared with the products before it"))
        for left, right in zip(item.left_keys, item.right_keys, strict=True):
            if right not in declared:
                problems.append(Problem(f"data.{index}.join_keys", f"a column of {item.product}", repr(right)))
            elif complete and left not in columns:
                problems.append(Problem(f"data.{index}.join_keys", "a column of the products before it", repr(left)))
            elif complete and columns[left] != declared[right]:
                problems.append(
                    Problem(
                        f"data.{index}.join_keys",
                        "keys of the same dtype on both sides",
                        f"{left!r} {columns[left]}, {right!r} {declared[right]}",
                    )
                )
        # A right key named like its left key is merged into it; one named otherwise is dropped after the join.
        kept = {name: dtype for name, dtype in declared.items() if name not in item.right_keys}
        overlap = sorted(set(kept) & set(columns))
        if overlap:
            problems.append(
                Problem(
                    f"data.{index}.product",
                    "no columns shared with the products before it other than the join keys",
                    ", ".join(overlap),
                )
            )
        columns.update(kept)
    return columns if complete else None


def _check_columns(spec: UseCaseSpec, columns: Mapping[str, str], problems: list[Problem]) -> None:
    available = sorted(columns)

    def check(key: str, name: str) -> None:
        if name not in columns:
            hint = did_you_mean(name, available)
            problems.append(Problem(key, f"a column of the use case's data{hint}", repr(name)))

    check("target", spec.target)
    for group in ("numeric", "categorical"):
        for index, name in enumerate(getattr(spec.features, group)):
            check(f"features.{group}.{index}", name)
            if name == spec.target:
                problems.append(Problem(f"features.{group}.{index}", "a column other than the target", repr(name)))
    for index, name in enumerate(spec.evaluation.slices):
        check(f"evaluation.slices.{index}", name)
    if isinstance(spec.split, TimeSplit):
        check("split.column", spec.split.column)
    for index, name in enumerate(spec.features.numeric):
        dtype = columns.get(name)
        if dtype in ("string", "datetime64[ns]"):
            problems.append(
                Problem(
                    f"features.numeric.{index}",
                    "a numeric or boolean column (list it under categorical, or derive a number from it)",
                    f"{name!r} of dtype {dtype}",
                )
            )


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of a spec model, with registered component and metric names as enums."""
    schema = model.model_json_schema(by_alias=True)
    definitions = schema.get("$defs", {})
    enums: dict[str, tuple[str, list[str]]] = {
        "SourceRef": ("component", registry.names("source")),
        "TransformRef": ("component", registry.names("transform")),
        "FeatureRef": ("component", registry.names("feature")),
        "ModelRef": ("component", registry.names("model")),
        "DriftRef": ("component", registry.names("drift")),
        "Evaluation": ("primary_metric", registry.names("metric")),
    }
    for definition, (field, names) in enums.items():
        if definition in definitions:
            definitions[definition]["properties"][field]["enum"] = names
    if "Evaluation" in definitions:
        definitions["Evaluation"]["properties"]["metrics"]["items"]["enum"] = registry.names("metric")
    return schema
