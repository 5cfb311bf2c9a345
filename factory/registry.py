"""The component catalogue: every reusable part registered by name with a params model.

Configs refer to components only by registered name; nothing in a config is imported or
evaluated. A component is a plain function whose first argument is its validated params
model; the registry wraps every call so failures are reported the same way everywhere.

Calling conventions, by kind:

- ``source(params, context) -> DataFrame``
- ``transform(params, frame, context) -> DataFrame``
- ``feature(params) -> scikit-learn transformer``
- ``model(params) -> scikit-learn estimator``
- ``metric(params, y_true, y_pred, y_proba, labels) -> float``
- ``drift(params, reference, current) -> (statistic, drifted)``: numeric tests get two 1-D
  float arrays of non-null values; categorical tests get two count arrays aligned on the
  same categories. `applies_to` says which of the two a test accepts, and `measure` what its
  statistic is: a "p-value" (drift below the threshold) or a "distance" (drift at or above).

Component modules import heavy libraries inside their functions, so loading the whole
catalogue stays cheap and each stage pays only for what it runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import os
import pkgutil
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from factory.errors import ComponentError

logger = logging.getLogger(__name__)

Kind = Literal["source", "transform", "feature", "model", "metric", "drift"]
KINDS: tuple[Kind, ...] = ("source", "transform", "feature", "model", "metric", "drift")
TASKS = ("binary_classification", "multiclass_classification", "regression")
CLASSIFICATION = ("binary_classification", "multiclass_classification")
REGRESSION = ("regression",)
NUMERIC, CATEGORICAL = "numeric", "categorical"
DATA_FOLDER = "data"  # the only folder file sources read from

COMPONENTS_PACKAGE = "components"
# Where the library keeps each kind, one module per component named after it: a stage looks
# there first, so it imports the few components it runs instead of the whole catalogue.
KIND_FOLDERS: dict[Kind, str] = {
    "source": "sources",
    "transform": "transforms",
    "feature": "features",
    "model": "models",
    "metric": "metrics",
    "drift": "drift",
}
_MODULE_NAME = re.compile(r"[a-z][a-z0-9_]*")


class ComponentParams(BaseModel):
    """Base of every component's params model: strict, frozen, documented fields.

    Strict: `true` is not the integer 1, "3" is not the number 3; finite: no .nan or .inf.
    Every count, size and job param declares both ends of its range (the contract test checks),
    so no config can ask for unbounded work.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


@dataclass(frozen=True)
class RunContext:
    """What a source or transform may know about the run: the project root and product files."""

    root: Path
    product_paths: Mapping[str, Path] = field(default_factory=dict)

    def product_path(self, name: str) -> Path:
        """Return the built file of data product `name`."""
        return self.product_paths[name]

    def data_file(self, relative: str) -> Path:
        """The file at `relative` (POSIX, from the root) if it is a regular file under data/.

        Sources read files only through this: a symlink anywhere on the way, or a path that
        resolves outside data/, is refused, whatever the config's text said.
        """
        path = self.root
        for part in PurePosixPath(relative).parts:
            path = path / part
            if path.is_symlink():
                raise ValueError(
                    f"{relative}: refusing to follow the symlink {part!r} (data files must be regular files)"
                )
        data = os.path.realpath(self.root / DATA_FOLDER)
        if not Path(os.path.realpath(path)).is_relative_to(data) or path == self.root:
            raise ValueError(f"{relative}: outside the project's {DATA_FOLDER}/ folder")
        if not path.is_file():
            raise ValueError(f"{relative}: no such file")
        return path


@dataclass(frozen=True)
class Component:
    """A registered component and what the factory needs to know about it."""

    kind: Kind
    name: str
    params_model: type[ComponentParams]
    function: Callable[..., Any]
    doc: str
    source_file: Path
    tasks: tuple[str, ...] = TASKS
    greater_is_better: bool = True
    needs_proba: bool = False
    reads_products: Callable[[Any], list[str]] | None = None
    reads_files: Callable[[Any], list[str]] | None = None
    # A transform that adds, removes, renames or retypes columns says how, so a use case's
    # `prepare` steps can be checked before any data is read.
    columns_out: Callable[[Any, dict[str, str]], dict[str, str]] | None = None
    # A source that reads outside the project (a database server) has no file for DVC to
    # hash, so its stage runs on every build; an unchanged result leaves its users untouched.
    external: Callable[[Any], bool] | None = None
    applies_to: tuple[str, ...] = ()
    measure: str = ""  # a drift test's figure: "p-value" (drift below the threshold) or "distance" (at or above)

    @property
    def summary(self) -> str:
        """First paragraph of the docstring."""
        return self.doc.split("\n\n", 1)[0].replace("\n", " ").strip()

    def parse_params(self, raw: Mapping[str, Any] | None) -> ComponentParams:
        """Validate raw params against the component's params model (raises pydantic's error)."""
        return self.params_model.model_validate(dict(raw or {}))

    def products_read(self, params: ComponentParams) -> list[str]:
        """Data products this component reads besides its input frame."""
        return sorted(self.reads_products(params)) if self.reads_products else []

    def output_columns(self, params: ComponentParams, columns: dict[str, str]) -> dict[str, str]:
        """The columns (name -> dtype) a transform's output has, given its input's."""
        return self.columns_out(params, dict(columns)) if self.columns_out else dict(columns)

    def reads_outside(self, params: ComponentParams) -> bool:
        """Whether the component reads something outside the project that DVC cannot hash."""
        return bool(self.external and self.external(params))

    def files_read(self, params: ComponentParams) -> list[str]:
        """Project files (relative to the root) this component reads."""
        return sorted(self.reads_files(params)) if self.reads_files else []

    def __call__(self, params: ComponentParams, *args: Any) -> Any:
        """Run the component, logging its time and wrapping any failure in `ComponentError`."""
        started = time.perf_counter()
        try:
            result = self.function(params, *args)
        except ComponentError:
            raise
        except Exception as exc:
            raise ComponentError(f"{self.kind} '{self.name}' failed: {type(exc).__name__}: {exc}") from exc
        logger.debug("%s %s ran in %.3fs", self.kind, self.name, time.perf_counter() - started)
        return result


_CATALOGUE: dict[tuple[Kind, str], Component] = {}

F = TypeVar("F", bound=Callable[..., Any])


def register(
    kind: Kind,
    name: str,
    params: type[ComponentParams],
    *,
    tasks: tuple[str, ...] = TASKS,
    greater_is_better: bool = True,
    needs_proba: bool = False,
    reads_products: Callable[[Any], list[str]] | None = None,
    reads_files: Callable[[Any], list[str]] | None = None,
    columns_out: Callable[[Any, dict[str, str]], dict[str, str]] | None = None,
    external: Callable[[Any], bool] | None = None,
    applies_to: tuple[str, ...] = (),
    measure: str = "",
) -> Callable[[F], F]:
    """Register a component function under `kind` and `name`."""
    if kind not in KINDS:
        raise ValueError(f"unknown component kind {kind!r}; expected one of {', '.join(KINDS)}")

    def decorate(function: F) -> F:
        key = (kind, name)
        source = Path(inspect.getsourcefile(function) or "").resolve()
        existing = _CATALOGUE.get(key)
        if existing is not None and existing.source_file != source:
            raise ValueError(f"{kind} component {name!r} is registered twice: {existing.source_file} and {source}")
        doc = inspect.getdoc(function) or ""
        if not doc:
            raise ValueError(f"{kind} component {name!r} needs a docstring")
        _CATALOGUE[key] = Component(
            kind=kind,
            name=name,
            params_model=params,
            function=function,
            doc=doc,
            source_file=source,
            tasks=tasks,
            greater_is_better=greater_is_better,
            needs_proba=needs_proba,
            reads_products=reads_products,
            reads_files=reads_files,
            columns_out=columns_out,
            external=external,
            applies_to=applies_to,
            measure=measure,
        )
        return function

    return decorate


class UnknownComponent(LookupError):
    """Raised by `get` for a name that is not registered; carries the names that are."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind, self.name, self.known = kind, name, known
        super().__init__(f"unknown {kind} component {name!r}")


_LOADED_PACKAGES: set[str] = set()  # walking the package costs ~5 ms, and validation asks thousands of times


def load_catalogue() -> dict[tuple[Kind, str], Component]:
    """Import every module of the component library once and return the catalogue."""
    if COMPONENTS_PACKAGE in _LOADED_PACKAGES:
        return _CATALOGUE
    package = importlib.import_module(COMPONENTS_PACKAGE)
    for module in pkgutil.walk_packages(package.__path__, prefix=f"{COMPONENTS_PACKAGE}."):
        _import_component_module(module.name)
    _LOADED_PACKAGES.add(COMPONENTS_PACKAGE)
    return _CATALOGUE


def _import_component_module(module: str) -> None:
    try:
        importlib.import_module(module)
    except Exception as exc:  # a broken component module must not hide behind a traceback
        raise ComponentError(f"component module {module} cannot be imported: {type(exc).__name__}: {exc}") from exc


def get(kind: Kind, name: str) -> Component:
    """Return the component `name` of `kind`, or raise `UnknownComponent`.

    The module named after the component is tried first; the whole catalogue is loaded only
    when that module does not register it. (A name registered twice is caught by `factory
    check`, which loads every module.)
    """
    if (kind, name) not in _CATALOGUE and COMPONENTS_PACKAGE not in _LOADED_PACKAGES:
        _import_conventional_module(kind, name)
    if (kind, name) in _CATALOGUE:
        return _CATALOGUE[(kind, name)]
    catalogue = load_catalogue()
    try:
        return catalogue[(kind, name)]
    except KeyError:
        raise UnknownComponent(kind, name, names(kind)) from None


def _import_conventional_module(kind: Kind, name: str) -> None:
    """Import components/<kind folder>/<name>.py when it exists; nothing else is ever imported."""
    if not _MODULE_NAME.fullmatch(name):
        return
    module = f"{COMPONENTS_PACKAGE}.{KIND_FOLDERS[kind]}.{name}"
    try:
        found = importlib.util.find_spec(module)
    except ImportError:
        return
    if found is not None:
        _import_component_module(module)


def names(kind: Kind) -> list[str]:
    """Sorted names of the registered components of one kind."""
    return sorted(name for (k, name) in load_catalogue() if k == kind)


def components(kind: Kind | None = None) -> list[Component]:
    """Registered components, optionally of one kind, in kind then name order."""
    order = {k: i for i, k in enumerate(KINDS)}
    found = [c for c in load_catalogue().values() if kind is None or c.kind == kind]
    return sorted(found, key=lambda c: (order[c.kind], c.name))
