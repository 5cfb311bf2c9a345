"""YAML from people the factory need not trust, read within limits and as plain data only.

A config comes from a pull request, so reading it must not cost unbounded memory or time
and must not build anything but strings, numbers, booleans, nulls, lists and mappings.
The events are scanned first (libyaml's parser keeps its own stack, so deep nesting cannot
overflow Python's): too deep, too many nodes once aliases are expanded (a "billion laughs"
file), a tag other than the plain types, or more than one document is refused before
anything is built. Then the values are walked: text keys only, finite numbers, no control
or direction-changing characters.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory.errors import ConfigError

# The plain types' tags: an explicit `!!str` or `!!int` is harmless, anything else
# (`!!binary`, `!!timestamp`, `!!set`, `!!python/...`, local `!tags`) builds other objects.
_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq"))
# Characters that change how text is shown without being seen: bidirectional overrides and
# isolates (the "Trojan Source" characters), zero-width joiners and spaces, the byte-order mark.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
_ALLOWED_CONTROLS = frozenset("\t\n\r")


@dataclass(frozen=True)
class YamlLimits:
    """How big, deep and repetitive a YAML document may be."""

    max_bytes: int
    max_depth: int
    max_nodes: int


CONFIG_LIMITS = YamlLimits(max_bytes=256 * 1024, max_depth=32, max_nodes=50_000)
"""Configs written by people: use cases, data products, presets, policies, approvals."""

RECORD_LIMITS = YamlLimits(max_bytes=64 * 1024 * 1024, max_depth=64, max_nodes=5_000_000)
"""Files the factory and DVC generate (params.yaml, dvc.lock): larger, still bounded."""


def read(path: Path, shown: str, limits: YamlLimits = CONFIG_LIMITS) -> Any:
    """Read and parse a YAML file of plain values; its size is checked before it is read."""
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise ConfigError.single(shown, "", f"a file of at most {_kib(limits.max_bytes)}", _kib(size))
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError.single(shown, "", "UTF-8 text", f"invalid byte at position {exc.start}") from exc
    except OSError as exc:
        raise ConfigError.single(shown, "", "a readable file", exc.strerror or type(exc).__name__) from exc
    return load(text, shown, limits)


def load(text: str, shown: str, limits: YamlLimits = CONFIG_LIMITS, *, core_schema: bool = False) -> Any:
    """Parse one YAML document of plain values, or raise `ConfigError` naming `shown`.

    With `core_schema`, plain scalars resolve as YAML 1.2 does (only `true`/`false` are
    booleans, no sexagesimal numbers or timestamps): how DVC writes and reads its lock files,
    which leave `no` or `on` unquoted as text.
    """
    import yaml

    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > limits.max_bytes:
        raise ConfigError.single(shown, "", f"a file of at most {_kib(limits.max_bytes)}", f"{_kib(size)}")
    try:
        _scan_events(text, shown, limits)
        value = yaml.load(text, Loader=_core_schema_loader() if core_schema else _safe_loader())
    except yaml.YAMLError as exc:
        raise ConfigError.single(shown, "", "valid YAML", " ".join(str(exc).split())) from exc
    for key, problem in _plain_value_problems(value, ""):
        raise ConfigError.single(shown, key, *problem)
    return value


def _safe_loader() -> type:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _core_schema_loader() -> type:
    """PyYAML's safe loader with YAML 1.2 core-schema resolvers, on a subclass of our own."""
    base: Any = _safe_loader()
    replaced = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
    dropped = replaced | {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"}
    loader: Any = type("CoreSchemaLoader", (base,), {})
    loader.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag not in dropped]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    core = (
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
        (
            "tag:yaml.org,2002:float",
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            "-+0123456789.",
        ),
    )
    for tag, pattern, first in core:
        loader.add_implicit_resolver(tag, re.compile(pattern), list(first))
    return loader


def _kib(size: int) -> str:
    return f"{size / 1024:,.0f} KiB" if size < 1024 * 1024 else f"{size / (1024 * 1024):,.1f} MiB"


def _scan_events(text: str, shown: str, limits: YamlLimits) -> None:
    """Refuse depth, alias expansion, tags and document count from the event stream alone."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # Per open collection: its anchor and how many nodes it holds once aliases are expanded.
    open_collections: list[tuple[str | None, int]] = []
    anchored: dict[str, int] = {}
    documents = total = 0

    def add(nodes: int) -> None:
        nonlocal total
        total += nodes
        if total > limits.max_nodes:
            raise ConfigError.single(
                shown, "", f"at most {limits.max_nodes:,} values, aliases expanded", "more (an alias bomb?)"
            )
        if open_collections:
            anchor, count = open_collections[-1]
            open_collections[-1] = (anchor, count + nodes)

    for event in yaml.parse(text, Loader=loader):
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _PLAIN_TAGS:
            raise ConfigError.single(shown, "", "plain YAML values (no tags such as !!binary or !!python)", tag)
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise ConfigError.single(shown, "", "one YAML document", "several (separated by ---)")
        elif isinstance(event, yaml.CollectionStartEvent):
            add(1)
            open_collections.append((event.anchor, 0))
            if len(open_collections) > limits.max_depth:
                raise ConfigError.single(
                    shown, "", f"at most {limits.max_depth} levels of nested mappings and lists", "deeper"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, count = open_collections.pop()
            if anchor is not None:
                anchored[anchor] = count + 1
        elif isinstance(event, yaml.ScalarEvent):
            add(1)
            if event.anchor is not None:
                anchored[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            if any(anchor == event.anchor for anchor, _ in open_collections):
                raise ConfigError.single(shown, "", "aliases to complete values only", f"*{event.anchor} inside itself")
            add(anchored.get(event.anchor or "", 1))


def _plain_value_problems(value: Any, key: str) -> Iterator[tuple[str, tuple[str, str]]]:
    """(key path, (expected, got)) for every value that is not plain data, depth first."""
    pending: list[tuple[str, Any]] = [(key, value)]
    while pending:
        where, current = pending.pop()
        if isinstance(current, dict):
            for name, item in current.items():
                if not isinstance(name, str):
                    yield where, ("text keys", f"the key {_shown(name)}")
                    continue
                problem = text_problem(name)
                if problem:
                    yield _join(where, _printable(name)), ("a key " + problem[0].removeprefix("text "), problem[1])
                    continue
                pending.append((_join(where, name), item))
        elif isinstance(current, list):
            pending.extend((f"{where}.{index}" if where else str(index), item) for index, item in enumerate(current))
        elif isinstance(current, str):
            problem = text_problem(current)
            if problem:
                yield where, problem
        elif isinstance(current, float) and not math.isfinite(current):
            yield where, ("a finite number", _shown(current))
        elif current is not None and not isinstance(current, bool | int | float):
            yield where, ("text, a number, true/false or null (quote dates and times)", type(current).__name__)


def text_problem(text: str) -> tuple[str, str] | None:
    """(expected, got) when `text` holds control or invisible characters; None when it is fine."""
    for index, char in enumerate(text):
        if char in _INVISIBLE or (unicodedata.category(char) == "Cc" and char not in _ALLOWED_CONTROLS):
            return "text without control or invisible characters", f"U+{ord(char):04X} at character {index + 1}"
    return None


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _printable(name: str) -> str:
    return "".join(char if char.isprintable() and char not in _INVISIBLE else "?" for char in name)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
