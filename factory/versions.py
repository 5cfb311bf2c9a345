"""The versions of a library this project supports, as its pyproject.toml declares them.

The adapters that reach into a library's private API (`factory.dvc_api`, `factory.skops_api`)
ask here first, so a library outside the declared bounds fails loudly, naming the bounds,
instead of failing obscurely where the private API changed.
"""

from __future__ import annotations

import functools
import importlib.metadata

from factory.errors import FactoryError

DISTRIBUTION = "model-factory"


class UnsupportedVersion(FactoryError):
    """An installed library is outside the versions this project declares."""


@functools.cache
def declared_bounds(library: str) -> str:
    """The version specifier this project declares for `library` ("" when it declares none)."""
    from packaging.requirements import Requirement

    for line in importlib.metadata.requires(DISTRIBUTION) or []:
        requirement = Requirement(line)
        if requirement.name.lower() == library.lower() and requirement.marker is None:
            return str(requirement.specifier)
    return ""


@functools.cache
def require_supported(library: str, why: str) -> str:
    """The installed version of `library`; `UnsupportedVersion` outside the declared bounds.

    `why` says what depends on the bounds, for the message.
    """
    installed = importlib.metadata.version(library)
    bounds = declared_bounds(library)
    if not within(installed, bounds):
        raise UnsupportedVersion(
            f"{library} {installed} is installed, but this project supports {library}{bounds} ({why}); "
            f"install a supported version: pip install '{library}{bounds}'"
        )
    return installed


def within(version: str, bounds: str) -> bool:
    """Whether `version` satisfies the specifier `bounds` (always, when there are none)."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    return not bounds or Version(version) in SpecifierSet(bounds)
