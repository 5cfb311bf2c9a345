"""The path type of file sources: relative to the project root and unable to escape it."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated

from pydantic import AfterValidator


def _check_project_path(path: str) -> str:
    # Checked at config time so a pull request cannot point a source outside the project.
    if not path.strip():
        raise ValueError("the path is empty")
    if "\\" in path:
        raise ValueError(f"use forward slashes in {path!r}")
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).drive:
        raise ValueError(f"{path!r} is absolute; give a path relative to the project root")
    if ".." in PurePosixPath(path).parts:
        raise ValueError(f"{path!r} contains '..'; paths must stay inside the project")
    return path


ProjectPath = Annotated[str, AfterValidator(_check_project_path)]
"""A relative POSIX path inside the project, without `..` components."""
