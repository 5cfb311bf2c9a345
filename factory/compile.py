"""Compile validated specs into DVC pipelines: dvc.yaml and params.yaml per use case, and the root.

Planning is pure: `plan_compile` returns the files and their content; `write_files` and
`stale_files` act on that plan. Deps are precise (the data product files, the source files of
exactly the components used, the stage's own module) so DVC reruns only what a change touches.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from factory import registry
from factory.compose import Project, load_project
from factory.errors import ProjectError, StaleError
from factory.io import atomic_write_text
from factory.paths import GENERATED_HEADER, ProjectPaths, UseCasePaths
from factory.spec import ComponentRef, DataProductSpec, UseCaseParams, UseCaseSpec

STAGES_PACKAGE = Path(__file__).resolve().parent / "stages"
CODE_ROOT = STAGES_PACKAGE.parent.parent
# Every stage writes its outputs through this module (canonical JSON, Parquet and skops
# forms), so its code decides the bytes DVC records: every stage depends on it.
OUTPUT_WRITER = STAGES_PACKAGE.parent / "io.py"

# A use case's pipeline: its stages, in the order they run.
USE_CASE_STAGES = ("prepare", "train", "evaluate", "report")

# Helper modules a stage's code may import, whose edits rerun it: the stages' and the artifacts'.
STAGE_CODE_PACKAGES = ("factory.stages", "factory.artifacts")


@dataclass(frozen=True)
class GeneratedFile:
    """A file the compiler owns, with the exact content it should have."""

    path: Path
    content: str


def plan_compile(paths: ProjectPaths, names: list[str] | None = None) -> list[GeneratedFile]:
    """Validate the project and return every generated file for the named use cases and the root."""
    return generated_files(load_project(paths, names))


def generated_files(project: Project) -> list[GeneratedFile]:
    """Every generated file of a validated project: the root pipeline and each use case's."""
    files = _root_files(project)
    for spec in project.use_cases.values():
        files += _use_case_files(project, spec)
    return files


def stale_files(files: Iterable[GeneratedFile]) -> list[Path]:
    """The planned files whose content on disk differs or that are missing."""
    return [f.path for f in files if not f.path.is_file() or f.path.read_text(encoding="utf-8") != f.content]


def write_files(files: Iterable[GeneratedFile]) -> list[Path]:
    """Write the planned files that changed; return their paths."""
    changed = stale_files(files)
    wanted = {f.path: f.content for f in files}
    for path in changed:
        atomic_write_text(path, wanted[path])
    return changed


def check_compiled(paths: ProjectPaths, names: list[str] | None = None) -> Project:
    """Raise `StaleError` naming every generated file that is stale or missing; else the validated project."""
    project, _ = compiled(paths, names, frozen=True)
    return project


def compiled(paths: ProjectPaths, names: list[str] | None = None, frozen: bool = False) -> tuple[Project, list[Path]]:
    """The validated project, its generated files brought up to date; also the files that were written.

    With `frozen` nothing is written: a stale or missing file is a `StaleError` naming each (as
    CI wants it, like `npm ci` or `cargo --locked`).
    """
    project = load_project(paths, names)
    files = generated_files(project)
    stale = stale_files(files)
    if stale and frozen:
        listing = "\n".join(f"  - {paths.rel(path)}" for path in stale)
        raise StaleError(f"generated files are stale or missing (run `factory compile`):\n{listing}")
    return project, write_files(files) if stale else []


# ---------------------------------------------------------------- root pipeline


def _root_files(project: Project) -> list[GeneratedFile]:
    paths = project.paths
    header = GENERATED_HEADER.format(source="conf/data/*.yaml")
    stages = {name: _product_stage(project, product) for name, product in sorted(project.products.items())}
    params = {
        "products": {
            name: product.model_dump(mode="json", by_alias=True, exclude_none=True)
            for name, product in sorted(project.products.items())
        }
    }
    return [
        GeneratedFile(paths.dvc_yaml, header + _dump({"stages": stages})),
        GeneratedFile(paths.params_yaml, header + _dump(params, sort_keys=True)),
    ]


def _product_stage(project: Project, product: DataProductSpec) -> dict[str, Any]:
    paths = project.paths
    component_refs: list[ComponentRef] = [product.source, *product.transforms]
    deps = {_project_file(paths, module, CODE_ROOT) for module in [*stage_code("data-product"), OUTPUT_WRITER]}
    deps |= _component_files(paths, component_refs)
    outside = False
    for ref in component_refs:
        component = registry.get(ref.kind, ref.component)
        parsed = component.parse_params(ref.params)
        deps |= set(component.files_read(parsed))
        deps |= {project.products[other].output_path for other in component.products_read(parsed)}
        outside = outside or component.reads_outside(parsed)
    stats = paths.rel(paths.product_stats(product.output_path))
    # persist: DVC would delete the outputs before the stage runs, so a batch the schema refuses
    # would leave no product at all; the stage replaces them itself, only once the new data passed.
    stage: dict[str, Any] = {
        "cmd": f"factory stage data-product {product.name}",
        "deps": sorted(deps),
        "params": [f"products.{product.name}"],
        "outs": [{product.output_path: {"persist": True}}],
        "metrics": [{stats: {"cache": False, "persist": True}}],
    }
    if outside:  # nothing for DVC to hash: query on every build; the same bytes rebuild nothing after
        stage["always_changed"] = True
    return stage


# ---------------------------------------------------------------- use case pipelines


def _use_case_files(project: Project, spec: UseCaseSpec) -> list[GeneratedFile]:
    paths = project.paths
    use_case = paths.use_case(spec.name)
    header = GENERATED_HEADER.format(source=paths.rel(use_case.config))
    products = {item.product: project.products[item.product].output_path for item in spec.data}
    protected = sorted(
        {name for item in spec.data for name in project.products[item.product].table_schema.tagged("protected")}
    )
    params = UseCaseParams(**spec.model_dump(), products=products, protected_columns=protected)
    return [
        GeneratedFile(use_case.dvc_yaml, header + _dump(_pipeline(project, spec, use_case))),
        GeneratedFile(
            use_case.params_yaml, header + _dump(params.model_dump(mode="json", by_alias=True), sort_keys=True)
        ),
    ]


def _pipeline(project: Project, spec: UseCaseSpec, use_case: UseCasePaths) -> dict[str, Any]:
    paths = project.paths

    def rel(files: Iterable[str]) -> list[str]:
        """Root-relative paths as DVC sees them from the use case folder."""
        return sorted({use_case.rel(paths.root / f) for f in files})

    def code_of(stage: str) -> list[str]:
        return rel(_project_file(paths, module, CODE_ROOT) for module in [*stage_code(stage), OUTPUT_WRITER])

    product_files = [project.products[item.product].output_path for item in spec.data]
    feature_refs = [*spec.features.numeric_steps, *spec.features.categorical_steps, spec.model]
    metric_refs = [ComponentRef.model_construct(component=name) for name in spec.evaluation.all_metrics]
    metric_files = _component_files(paths, metric_refs, kind="metric")
    plots = use_case.rel(use_case.plots)
    is_classifier = spec.task != "regression"
    # search.json is small and reviewed in the card, so Git keeps it (like the metrics)
    searched = [{use_case.rel(use_case.search): {"cache": False}}] if spec.model.search else []
    # The train stage scores the feature importance with the primary metric, and a search with its own.
    train_metrics = [
        ComponentRef.model_construct(component=name)
        for name in dict.fromkeys(
            [spec.evaluation.primary_metric, *([spec.model.search.metric] if spec.model.search else [])]
        )
    ]

    stages = {
        "prepare": {
            "cmd": f"factory stage prepare {spec.name}",
            "deps": sorted(
                [
                    *rel(product_files),
                    *code_of("prepare"),
                    *rel(_component_files(paths, spec.prepare, kind="transform")),
                ]
            ),
            "params": list(stage_params("prepare")),
            "outs": [
                use_case.rel(use_case.train_data),
                use_case.rel(use_case.test_data),
                # Cached like the tables, so DVC's run cache can restore the stage; the card shows it.
                use_case.rel(use_case.quality),
            ],
        },
        "train": {
            "cmd": f"factory stage train {spec.name}",
            "deps": sorted(
                [
                    use_case.rel(use_case.train_data),
                    use_case.rel(use_case.test_data),
                    *code_of("train"),
                    *rel(_component_files(paths, feature_refs)),
                    *rel(_component_files(paths, train_metrics, kind="metric")),
                ]
            ),
            "params": list(stage_params("train")),
            "outs": [use_case.rel(use_case.model), use_case.rel(use_case.predictions)],
            # Small records reviewed in the card, kept in Git. Declared as metrics: DVC's run cache
            # skips a stage with any other uncached output, and CI restores this one from it.
            "metrics": [
                *searched,
                {use_case.rel(use_case.model_checks): {"cache": False}},
                {use_case.rel(use_case.importance): {"cache": False}},
            ],
        },
        "evaluate": {
            "cmd": f"factory stage evaluate {spec.name}",
            "deps": sorted(
                [
                    use_case.rel(use_case.predictions),
                    use_case.rel(use_case.test_data),
                    use_case.rel(use_case.train_data),  # the trivial baseline fits its target
                    *code_of("evaluate"),
                    *rel(metric_files),
                ]
            ),
            "params": list(stage_params("evaluate")),
            "outs": [plots, use_case.rel(use_case.reference_profile)],
            "metrics": [
                {use_case.rel(use_case.metrics): {"cache": False}},
                {use_case.rel(use_case.slice_metrics): {"cache": False}},
            ],
        },
        "report": {
            "cmd": f"factory stage report {spec.name}",
            "deps": sorted(
                [
                    use_case.rel(use_case.metrics),
                    use_case.rel(use_case.slice_metrics),
                    use_case.rel(use_case.model),
                    *([use_case.rel(use_case.search)] if spec.model.search else []),
                    use_case.rel(use_case.train_data),
                    use_case.rel(use_case.quality),
                    use_case.rel(use_case.model_checks),
                    use_case.rel(use_case.importance),
                    plots,
                    *rel(paths.rel(paths.product_stats(output)) for output in product_files),
                    *code_of("report"),
                ]
            ),
            # The card shows each product's declared schema, read from the root params.yaml.
            "params": [
                *list(stage_params("report")),
                {use_case.rel(paths.params_yaml): [f"products.{item.product}" for item in spec.data]},
            ],
            "outs": [
                {use_case.rel(use_case.model_card): {"cache": False}},
                {use_case.rel(use_case.model_card_html): {"cache": False}},
                {use_case.rel(use_case.lineage): {"cache": False}},
            ],
        },
    }
    if is_classifier:
        plot_specs: list[dict[str, Any]] = [
            {
                "roc": {
                    "x": "fpr",
                    "y": "tpr",
                    "y_label": "true positive rate",
                    "x_label": "false positive rate",
                    "y_file": f"{plots}/roc.csv",
                }
            },
            {"precision_recall": {"x": "recall", "y": "precision", "y_file": f"{plots}/precision_recall.csv"}},
            {
                "confusion": {
                    "template": "confusion",
                    "x": "actual",
                    "y": "predicted",
                    "y_file": f"{plots}/confusion.csv",
                }
            },
        ]
        images = ["roc.png", "precision_recall.png", "confusion.png"]
    else:
        plot_specs = [
            {
                "predicted_vs_actual": {
                    "template": "scatter",
                    "x": "actual",
                    "y": "predicted",
                    "y_file": f"{plots}/predictions.csv",
                }
            }
        ]
        images = ["predicted_vs_actual.png", "residuals.png"]
    plot_specs += [f"{plots}/{image}" for image in images]  # type: ignore[misc]
    return {
        "stages": stages,
        "plots": [_plot_entry(item) for item in plot_specs],
        "artifacts": {
            spec.name: {
                "path": use_case.rel(use_case.model),
                "type": "model",
                "desc": spec.description,
                "labels": [spec.task, f"risk-{spec.risk_tier}"],
            },
        },
    }


def _plot_entry(item: dict[str, Any] | str) -> dict[str, Any] | str:
    """DVC's top-level plot definition: {id: {x, y: {file: column}, ...}} or an image path."""
    if isinstance(item, str):
        return item
    ((plot_id, options),) = item.items()
    options = dict(options)
    file = options.pop("y_file")
    options["y"] = {file: options["y"]}
    return {plot_id: options}


# ---------------------------------------------------------------- component source files


def _component_files(paths: ProjectPaths, refs: Iterable[ComponentRef], kind: str | None = None) -> set[str]:
    """The source files of the referenced components and the component modules they import."""
    files: set[str] = set()
    for ref in refs:
        component = registry.get(kind or ref.kind, ref.component)  # type: ignore[arg-type]
        package_root = _package_root(component.source_file)
        for source in _module_closure(component.source_file, (registry.COMPONENTS_PACKAGE,)):
            files.add(_project_file(paths, source, package_root))
    return files


def _project_file(paths: ProjectPaths, source: Path, package_root: Path) -> str:
    """The project's copy of a module that Python loaded, relative to the root; it must exist.

    Deps name the project's own files, wherever the running code was imported from, so a
    pipeline stays valid in any clone of the repository.
    """
    relative = source.relative_to(package_root).as_posix()
    if not (paths.root / relative).is_file():
        raise ProjectError(
            f"{relative}: loaded from {package_root}, but the project at {paths.root} has no such "
            "file; install the project in editable mode (`pip install -e .`)"
        )
    return relative


def _module_closure(source: Path, packages: tuple[str, ...]) -> list[Path]:
    """`source` and every module of `packages` (dotted names) it imports, transitively."""
    package_root = _package_root(source)
    seen: dict[Path, None] = {}
    pending = [source]
    while pending:
        current = pending.pop()
        if current in seen or not current.is_file():
            continue
        seen[current] = None
        pending += _imported_modules(current, package_root, packages)
    return sorted(seen)


def _package_root(source: Path) -> Path:
    """The folder that holds the top-level package (`components` or `factory`) of `source`."""
    for parent in source.parents:
        if parent.name in (registry.COMPONENTS_PACKAGE, "factory"):
            return parent.parent
    return source.parent


def _imported_modules(source: Path, package_root: Path, packages: tuple[str, ...]) -> list[Path]:
    stat = source.stat()
    return _parsed_imports(source, package_root, packages, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=1024)
def _parsed_imports(
    source: Path, package_root: Path, packages: tuple[str, ...], _mtime_ns: int, _size: int
) -> list[Path]:
    """The modules of `packages` that `source` imports; cached per file version, as hundreds of use cases share them."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    module_parts = list(source.relative_to(package_root).with_suffix("").parts)
    found: list[Path] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module_parts[: len(module_parts) - node.level]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            if not any(target == package or target.startswith(package + ".") for package in packages):
                continue
            module = package_root.joinpath(*target.split("."))
            for candidate in (module.with_suffix(".py"), module / "__init__.py"):
                if candidate.is_file() and candidate.name != "__init__.py":
                    found.append(candidate)
    return found


# ---------------------------------------------------------------- stage code


@functools.cache
def stage_params(stage: str) -> tuple[str, ...]:
    """The params.yaml keys a stage reads, as its module declares them (`PARAMS`), read without importing it.

    DVC reruns the stage only when one of these changes; a test holds each stage to its list.
    """
    module = STAGES_PACKAGE / f"{stage.replace('-', '_')}.py"
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PARAMS" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise ProjectError(f"{module}: a stage module declares the params it reads as PARAMS = (...)")


def stage_code(stage: str) -> list[Path]:
    """A stage's module and the modules of the stages and artifacts packages it imports, transitively."""
    module = STAGES_PACKAGE / f"{stage.replace('-', '_')}.py"
    return _module_closure(module, STAGE_CODE_PACKAGES)


def _dump(value: Any, sort_keys: bool = False) -> str:
    # libyaml's emitter when present: the same text, ten times faster on hundreds of files
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(value, Dumper=dumper, sort_keys=sort_keys, default_flow_style=False, allow_unicode=True, width=120)
