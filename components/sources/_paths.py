"""The path type of file sources: a file under the project's data/ folder, and nowhere else.

Checked when the config is validated (the text of the path) and again when the source runs
(`RunContext.data_file`: the file itself, symlinks refused), so a pull request can point a
source neither outside the project nor at its secrets (`.git/config`, `.dvc/config.local`).
"""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated

from pydantic import AfterValidator

from factory.registry import DATA_FOLDER


def _check_data_path(path: str) -> str:
    if not path.strip():
        raise ValueError("a non-empty path (got an empty one)")
    if "\\" in path:
        raise ValueError(f"a path with forward slashes (got {path!r})")
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).drive:
        raise ValueError(f"a path relative to the project root, under {DATA_FOLDER}/ (got the absolute {path!r})")
    parts = path.split("/")
    if parts[0] != DATA_FOLDER or len(parts) < 2:
        raise ValueError(
            f"a file under the project's {DATA_FOLDER}/ folder, e.g. '{DATA_FOLDER}/raw/x.csv' (got {path!r})"
        )
    for part in parts:
        if part in ("", ".", ".."):
            raise ValueError(f"a plain path without empty, '.' or '..' parts (got {path!r})")
        if part.startswith("."):
            raise ValueError(f"no hidden files or folders (starting with '.') in the path (got {path!r})")
        if not part.isprintable():
            raise ValueError(f"a path of printable characters (got {path!r})")
    return path


DataPath = Annotated[str, AfterValidator(_check_data_path)]
"""A relative POSIX path of a file under data/, without '.', '..' or hidden parts."""
