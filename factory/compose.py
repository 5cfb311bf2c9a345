"""Compose configs with Hydra (conf/ as the shared root) and validate them into specs.

Hydra runs here, at compile time only; stages read the resolved params.yaml instead.
DVC's own Hydra integration stays off: it would import `hydra_plugins/` from the repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from factory import registry
from factory.config_guard import check_composable, refuse_symlinks
from factory.errors import ConfigError, ErrorGroup, FactoryError, Problem
from factory.io import atomic_write_text, read_yaml_mapping
from factory.paths import ProjectPaths
from factory.spec import (
    SLUG_PATTERN,
    DataProductSpec,
    GovernancePolicy,
    UseCaseSpec,
    check_data_product,
    check_use_case,
    parse_model,
)

# Hydra's own config groups (logging, launcher, help, ...) configure an application run; a
# composition here never runs one and drops the `hydra` node, so they are left out: a third of
# the time of each composition.
_HYDRA_OWN_GROUPS = ("job_logging", "hydra_logging", "help", "hydra_help", "launcher", "sweeper", "output", "env")
# Below this many use cases, starting worker processes costs more than it saves.
PARALLEL_FROM = 16


@dataclass(frozen=True)
class Project:
    """Every validated declaration of a project."""

    paths: ProjectPaths
    products: dict[str, DataProductSpec]
    use_cases: dict[str, UseCaseSpec]


def compose_file(paths: ProjectPaths, file: Path) -> dict[str, Any]:
    """Compose one YAML file with Hydra, on top of the config groups in conf/, and resolve it."""
    import yaml
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    shown = paths.rel(file)
    if not file.is_file() and not file.is_symlink():
        raise ConfigError.single(shown, "", "a YAML config file at this path", "no such file")
    check_composable(paths, file)  # before the cache too: an entry is used only for a config that passes
    fingerprint = _composition_fingerprint(paths, file)
    cached = _cached_composition(paths, fingerprint)
    if cached is not None:
        return cached
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with initialize_config_dir(config_dir=str(file.parent), version_base="1.3"):
                config = compose(config_name=file.stem, overrides=_overrides(paths))
        value = OmegaConf.to_container(config, resolve=True)
    except (HydraException, OmegaConfBaseException, yaml.YAMLError, ValueError) as exc:
        raise _composition_error(shown, exc) from exc
    if not isinstance(value, dict):
        raise ConfigError.single(shown, "", "a mapping of keys to values", type(value).__name__)
    composed = {str(key): item for key, item in value.items()}
    # key order kept as Hydra composed it, so a cached composition is the same as a fresh one
    atomic_write_text(paths.compose_cache / f"{fingerprint}.json", json.dumps(composed, ensure_ascii=False))
    return composed


def _overrides(paths: ProjectPaths) -> list[str]:
    """conf/ on Hydra's search path; Hydra's own config groups left out."""
    return [f"hydra.searchpath=[file://{paths.conf}]", *(f"~hydra/{group}" for group in _HYDRA_OWN_GROUPS)]


def _composition_fingerprint(paths: ProjectPaths, file: Path) -> str:
    """A hash of everything Hydra can read to compose `file`.

    Hydra reads only YAML files under the config's folder (its own config groups included)
    and under conf/, so equal hashes mean an equal composition; the compiler's outputs and the
    build's artifacts there are not inputs. Configs cannot read the environment or the clock
    (`factory.config_guard`), so nothing else changes a composition.
    """
    import hydra

    generated = {file.parent / "params.yaml", file.parent / "dvc.yaml"}
    own = {f for f in file.parent.rglob("*.yaml") if "artifacts" not in f.relative_to(file.parent).parts}
    inputs = sorted((own | set(paths.conf.rglob("*.yaml"))) - generated)
    digest = hashlib.sha256(f"hydra {hydra.__version__}\n{paths.rel(file)}\n".encode())
    for source in inputs:
        content = source.read_bytes()
        digest.update(f"{paths.rel(source)} {len(content)}\n".encode() + content)
    return digest.hexdigest()


def _cached_composition(paths: ProjectPaths, fingerprint: str) -> dict[str, Any] | None:
    try:
        cached = json.loads((paths.compose_cache / f"{fingerprint}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return cached if isinstance(cached, dict) else None


def composed_presets(paths: ProjectPaths, file: Path) -> list[Path]:
    """The files of conf/ composed into `file`: its defaults list's presets, the monitoring and quality defaults."""
    found = check_composable(paths, file)[1:]
    found += [file for file in (paths.monitoring_defaults, paths.quality_defaults) if file.is_file()]
    return sorted(set(found))


def _composition_error(shown: str, exc: Exception) -> ConfigError:
    message = " ".join(str(exc).split())
    key = ""
    match = re.search(r"full_key: ([\w.\[\]]+)", message)
    if match:
        key = match.group(1)
        message = message[: match.start()].strip()
    missing = re.search(r"Could not find '([^']+)'", message)
    if missing:
        options = re.search(r"Available options in '[^']*':(.*?)Config search path", message)
        available = ", ".join(options.group(1).split()) if options else "none"
        group, _, preset = missing.group(1).strip("/").rpartition("/")
        return ConfigError.single(
            shown, "defaults", f"an existing preset in conf/{group}/ (available: {available})", repr(preset)
        )
    duplicate = re.search(r"found duplicate key (\S+) in \"[^\"]*\", line (\d+)", message)
    if duplicate:
        key, line = duplicate.groups()
        return ConfigError.single(shown, key, "each key once per mapping", f"{key} again at line {line}")
    unloadable = re.search(r"Could not load '([^']+)'", message)
    if unloadable:
        return ConfigError.single(
            shown,
            "defaults",
            "entries like `/model@model: <preset>` that name a config in conf/",
            repr(unloadable.group(1)),
        )
    return ConfigError.single(shown, key, "a config that Hydra can compose and resolve", message)


def product_names(paths: ProjectPaths) -> list[str]:
    """Names of the data products declared in conf/data/."""
    if not paths.data_conf.is_dir():
        return []
    return sorted(file.stem for file in paths.data_conf.glob("*.yaml"))


def use_case_names(paths: ProjectPaths) -> list[str]:
    """Names of the use cases: folders of use_cases/ that hold a config.yaml."""
    if not paths.use_cases.is_dir():
        return []
    return sorted(folder.name for folder in paths.use_cases.iterdir() if (folder / "config.yaml").is_file())


def check_name(name: str, what: str, known: list[str]) -> None:
    """Refuse a name that is not a slug or not declared, before it is used to build a path."""
    if not re.fullmatch(SLUG_PATTERN, name):
        raise ConfigError.single(
            f"{what} name",
            "name",
            "a slug of lower-case letters, digits and hyphens, starting with a letter (it names a folder)",
            repr(name),
        )
    if name not in known:
        raise ConfigError.single(
            f"{what} name", "name", f"one of the declared {what}s ({', '.join(known) or 'none'})", repr(name)
        )


def _with_name(raw: dict[str, Any], name: str, shown: str) -> dict[str, Any]:
    """The name defaults to the file's or folder's name, and must equal it when given."""
    given = raw.setdefault("name", name)
    if given != name:
        raise ConfigError.single(shown, "name", f"the same name as its file or folder ({name!r})", repr(given))
    return raw


def _with_policy_defaults(paths: ProjectPaths, raw: dict[str, Any]) -> dict[str, Any]:
    """The use case's `monitoring:` and `quality:` sections merged over their defaults in conf/."""
    for key, file in (("monitoring", paths.monitoring_defaults), ("quality", paths.quality_defaults)):
        if file.is_file():
            raw[key] = _merged(read_yaml_mapping(file, paths.rel(file)), raw.get(key) or {})
    return raw


def _merged(base: Any, override: Any) -> Any:
    """`override` over `base`, mapping by mapping; a component changed brings only its own params."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return override
    if "component" in override and override["component"] != base.get("component"):
        return override
    return {**base, **{key: _merged(base[key], value) if key in base else value for key, value in override.items()}}


def load_products(paths: ProjectPaths) -> dict[str, DataProductSpec]:
    """Compose and validate every data product in conf/data/."""
    names = product_names(paths)
    products: dict[str, DataProductSpec] = {}
    errors: list[FactoryError] = []
    for name in names:
        file = paths.product_config(name)
        shown = paths.rel(file)
        try:
            raw = _with_name(compose_file(paths, file), name, shown)
        except ConfigError as exc:
            errors.append(exc)
            continue
        product, problems = parse_model(DataProductSpec, raw)
        if product is not None:
            product, problems = check_data_product(product, names)
            problems += [] if problems else _missing_source_files(paths, product)
        if problems:
            errors.append(ConfigError(shown, problems))
        else:
            products[name] = product
    raise_all(errors)
    return products


def _missing_source_files(paths: ProjectPaths, product: DataProductSpec) -> list[Problem]:
    """A file the source reads must exist, or its DVC pointer (`<file>.dvc`, before `dvc pull`)."""
    source = registry.get("source", product.source.component)
    params = product.source.params
    return [
        Problem(
            # The param holding the file (`path`, or `database` for a query), named as the config names it.
            f"source.params.{next((key for key, value in params.items() if value == file), 'path')}",
            "an existing file (or its .dvc pointer; run `dvc pull`)",
            repr(file),
        )
        for file in source.files_read(source.parse_params(params))
        if not (paths.root / file).is_file() and not (paths.root / f"{file}.dvc").is_file()
    ]


def load_use_case(paths: ProjectPaths, name: str, products: Mapping[str, DataProductSpec]) -> UseCaseSpec:
    """Compose and validate one use case against the catalogue and the data products."""
    use_case = paths.use_case(name)
    shown = paths.rel(use_case.config)
    raw = _with_policy_defaults(paths, _with_name(compose_file(paths, use_case.config), name, shown))
    spec, problems = parse_model(UseCaseSpec, raw)
    if spec is not None:
        spec, problems = check_use_case(spec, products)
    if problems:
        raise ConfigError(shown, problems)
    assert isinstance(spec, UseCaseSpec)
    return spec


def load_project(paths: ProjectPaths, names: list[str] | None = None) -> Project:
    """Validate the data products and the named use cases (all when `names` is None).

    Every invalid file is reported, not just the first.
    """
    refuse_symlinks(paths)  # before anything is read or written through a path that leads elsewhere
    registry.load_catalogue()  # every component module, so a name registered twice is refused here
    known = use_case_names(paths)
    for name in names or []:
        check_name(name, "use case", known)
    selected = known if names is None else list(dict.fromkeys(names))
    products = load_products(paths)
    use_cases: dict[str, UseCaseSpec] = {}
    errors: list[FactoryError] = []
    for name, loaded in zip(selected, _load_each(paths, selected, products), strict=True):
        if isinstance(loaded, ConfigError):
            errors.append(loaded)
        else:
            use_cases[name] = loaded
    raise_all(errors)
    return Project(paths=paths, products=products, use_cases=use_cases)


def _load_each(
    paths: ProjectPaths, names: list[str], products: Mapping[str, DataProductSpec]
) -> list[UseCaseSpec | ConfigError]:
    """Each use case or its error, in the order of `names`; composed by worker processes when many.

    Composition is pure Python, so only processes make it parallel; they are forked (Linux),
    which shares the imported Hydra and the validated products with no start-up cost.
    """
    load = partial(_use_case_or_error, paths, products)
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, len(names) // PARALLEL_FROM)
    if workers < 2 or not sys.platform.startswith("linux"):
        return [load(name) for name in names]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(load, names, chunksize=max(1, len(names) // (workers * 4))))


def _use_case_or_error(
    paths: ProjectPaths, products: Mapping[str, DataProductSpec], name: str
) -> UseCaseSpec | ConfigError:
    try:
        return load_use_case(paths, name, products)
    except ConfigError as exc:
        return exc


def raise_all(errors: list[FactoryError]) -> None:
    """Raise the one error, or an `ErrorGroup` of several; nothing when there is none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ErrorGroup(errors)


POLICY_FILE = "conf/governance/policy.yaml"


def load_policy(root: Path) -> GovernancePolicy:
    """The project's governance policy (conf/governance/policy.yaml); the empty policy when there is none."""
    file = root / POLICY_FILE
    if not file.is_file():
        return GovernancePolicy()
    policy, problems = parse_model(GovernancePolicy, read_yaml_mapping(file, POLICY_FILE))
    if problems:
        raise ConfigError(POLICY_FILE, problems)
    assert isinstance(policy, GovernancePolicy)
    return policy
