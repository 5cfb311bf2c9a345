"""The trust boundary of composition: what a config may hold before Hydra reads it.

Use cases and data products come from pull requests. Hydra and OmegaConf can do far more
than this project needs (resolvers that read the environment or the clock, defaults lists
that load any YAML file on the search path or outside it, `hydra:` settings, `_target_`
objects), so every file a composition will read is checked here first and Hydra only ever
sees files that passed:

- the file is read within limits as plain data (`factory.bounded_yaml`);
- an interpolation is a plain reference to another key (`${model.params.C}`), never a
  resolver (`${oc.env:...}`, `${now:...}`, `${hydra:...}`) nor an escaped or nested one;
- no `hydra` section and no instantiation keys (`_target_` and its kin) anywhere;
- a defaults entry names a preset of a config group in conf/ (`/model@model: ridge`) that
  exists there as a regular file; presets hold values, not defaults lists of their own;
- no symlink under use_cases/, conf/ or data/, so a path the project names stays in it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from factory import bounded_yaml
from factory.errors import ConfigError, Problem
from factory.paths import ProjectPaths

# A reference to another key of the same config, absolute or relative (leading dots).
_PLAIN_REFERENCE = re.compile(r"\$\{\.*[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*\}")
_INSTANTIATE_KEYS = frozenset({"_target_", "_args_", "_partial_", "_recursive_", "_convert_"})
_GROUP_ENTRY = re.compile(r"(/?)([a-z][a-z0-9_]*)(?:@([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*))?")
_OPTION = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
_RESERVED_GROUPS = frozenset({"hydra"})
GUARDED_FOLDERS = ("use_cases", "conf", "data")
DEFAULTS_EXAMPLE = "entries like `/model@model: random_forest` naming a preset in conf/<group>/, or `_self_`"


def check_composable(paths: ProjectPaths, file: Path) -> list[Path]:
    """Check `file` and the presets its defaults list names; return every file Hydra will read.

    Raises `ConfigError` naming the file and the key of the first problem.
    """
    shown = paths.rel(file)
    _check_regular_file(paths, file, shown)
    config = bounded_yaml.read(file, shown)
    if config is None:
        return [file]
    if not isinstance(config, dict):
        raise ConfigError.single(shown, "", "a mapping of keys to values", type(config).__name__)
    _raise_first(shown, config_problems(config))
    presets = [paths.conf / group / f"{option}.yaml" for group, option in _defaults(paths, file, config, shown)]
    for preset in presets:
        preset_shown = paths.rel(preset)
        _check_regular_file(paths, preset, preset_shown)
        value = bounded_yaml.read(preset, preset_shown)
        if isinstance(value, dict):
            if "defaults" in value:
                raise ConfigError.single(
                    preset_shown, "defaults", "no defaults list in a preset (presets hold values only)"
                )
            _raise_first(preset_shown, config_problems(value))
    return [file, *presets]


def config_problems(config: dict[str, Any]) -> Iterator[Problem]:
    """Interpolations, `hydra` sections and instantiation keys that a config may not hold."""
    if "hydra" in config:
        yield Problem("hydra", "no hydra section (Hydra runs only inside the factory, with its own settings)")
    pending: list[tuple[str, Any]] = [("", config)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                path = f"{where}.{key}" if where else str(key)
                if key in _INSTANTIATE_KEYS:
                    yield Problem(
                        path, "registered component names (`component: <name>`), never objects to instantiate"
                    )
                elif "${" in str(key):
                    yield Problem(path, "a key without interpolation")
                else:
                    pending.append((path, item))
        elif isinstance(value, list):
            pending.extend((f"{where}.{index}" if where else str(index), item) for index, item in enumerate(value))
        elif isinstance(value, str) and "${" in _without_plain_references(value):
            yield Problem(
                where,
                "only plain references to keys of this config, like ${evaluation.primary_metric} "
                "(resolvers such as oc.env, now or hydra are not available)",
                _masked_interpolation(value),
            )


def _without_plain_references(text: str) -> str:
    """`text` without its plain references.

    An escaped `\\${` is kept, so it is refused too: DVC would read the literal `${...}` it
    leaves in the generated files.
    """
    return _PLAIN_REFERENCE.sub("", text.replace("\\${", "${{"))


def _masked_interpolation(value: str) -> str:
    """The refused interpolation's resolver name only: the rest may name a secret."""
    found = re.search(r"\$\{\s*([A-Za-z_][\w.]*)\s*:", value)
    return f"a ${{{found.group(1)}:...}} interpolation" if found else "an interpolation that is not a plain reference"


def _defaults(paths: ProjectPaths, file: Path, config: dict[str, Any], shown: str) -> list[tuple[str, str]]:
    """(group, option) of each preset the defaults list names, each checked against conf/."""
    entries = config.get("defaults", [])
    if not isinstance(entries, list):
        raise ConfigError.single(shown, "defaults", f"a list of {DEFAULTS_EXAMPLE}", type(entries).__name__)
    chosen = []
    for index, entry in enumerate(entries):
        key = f"defaults.{index}"
        if entry == "_self_":
            continue
        if not isinstance(entry, dict) or len(entry) != 1:
            raise ConfigError.single(shown, key, DEFAULTS_EXAMPLE, _short(entry))
        ((target, option),) = entry.items()
        match = _GROUP_ENTRY.fullmatch(str(target))
        if match is None or match.group(2) in _RESERVED_GROUPS:
            raise ConfigError.single(shown, key, DEFAULTS_EXAMPLE, _short(target))
        group = match.group(2)
        folder = paths.conf / group
        if not folder.is_dir():
            groups = sorted(f.name for f in paths.conf.iterdir() if f.is_dir() and f.name not in _RESERVED_GROUPS)
            raise ConfigError.single(shown, key, f"a config group of conf/ (one of: {', '.join(groups)})", repr(group))
        if (file.parent / group).exists() and file.parent.resolve() != paths.conf.resolve():
            raise ConfigError.single(
                shown, key, f"config groups in conf/ only, not a {group}/ folder beside the config", repr(group)
            )
        if not isinstance(option, str) or not _OPTION.fullmatch(option):
            raise ConfigError.single(shown, key, f"the name of a preset in conf/{group}/", _short(option))
        if not (folder / f"{option}.yaml").is_file():
            available = ", ".join(sorted(f.stem for f in folder.glob("*.yaml"))) or "none"
            raise ConfigError.single(
                shown, key, f"an existing preset in conf/{group}/ (available: {available})", repr(option)
            )
        chosen.append((group, option))
    return chosen


def _check_regular_file(paths: ProjectPaths, file: Path, shown: str) -> None:
    """A config is a regular file whose real path is inside the project (no symlink on the way)."""
    if file.is_symlink() or not file.is_file():
        got = "a symlink" if file.is_symlink() else "no such file"
        raise ConfigError.single(shown, "", "a regular file (symlinks are refused)", got)
    if not is_inside(file, paths.root):
        raise ConfigError.single(shown, "", "a file inside the project", "a path that leads outside it")


def is_inside(path: Path, root: Path) -> bool:
    """Whether `path`, every symlink resolved, is `root` or below it."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def refuse_symlinks(paths: ProjectPaths) -> None:
    """Raise `ConfigError` for any symlink under use_cases/, conf/ or data/.

    A symlinked config, use case folder, artifacts folder or data file would lead the
    compiler or a stage to read or write outside the project.
    """
    for name in GUARDED_FOLDERS:
        top = paths.root / name
        found = top if top.is_symlink() else next(_symlinks_under(top), None)
        if found is not None:
            raise ConfigError.single(
                paths.rel(found),
                "",
                f"a regular file or folder (symlinks are refused under {', '.join(f + '/' for f in GUARDED_FOLDERS)})",
                "a symlink",
            )


def refuse_symlinked_folder(root: Path, folder: Path) -> None:
    """Raise `ConfigError` unless `folder` is reached from `root` through no symlink.

    Stages check the folders they write into, as DVC may run them without `factory check`.
    """
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            raise ConfigError.single(
                current.relative_to(root).as_posix(), "", "a regular folder to write outputs into", "a symlink"
            )


def _symlinks_under(top: Path) -> Iterator[Path]:
    for folder, folders, files in os.walk(top):
        for name in sorted([*folders, *files]):
            path = Path(folder, name)
            if path.is_symlink():
                yield path


def _raise_first(shown: str, problems: Iterator[Problem]) -> None:
    found = list(problems)
    if found:
        raise ConfigError(shown, found)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
