"""Read the project's files as they are in the working tree or as they were at a Git revision.

Lineage and audit read the same records (lockfiles, lineage.json, params.yaml) either way, so
a released version is described from its tag exactly as a build is from the working tree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory.bounded_yaml import RECORD_LIMITS
from factory.bounded_yaml import load as load_yaml
from factory.errors import ConfigError
from factory.gitrepo import file_at


@dataclass(frozen=True)
class Snapshot:
    """The project at `root`: its working tree when `revision` is None, else the files at `revision`."""

    root: Path
    revision: str | None = None

    def text(self, path: str) -> str | None:
        """The text of `path` (relative to the root), or None when it does not exist."""
        if self.revision is None:
            file = self.root / path
            return file.read_text(encoding="utf-8") if file.is_file() else None
        return file_at(self.root, self.revision, path)

    def mapping(self, path: str) -> dict[str, Any]:
        """A YAML or JSON file that holds a mapping; empty when absent or not a mapping."""
        text = self.text(path)
        if text is None:
            return {}
        shown = f"{path} ({self.where})"
        if not path.endswith(".json"):
            # DVC writes and reads these records as YAML 1.2 (`no` stays text).
            value = load_yaml(text, shown, RECORD_LIMITS, core_schema=True)
            return value if isinstance(value, dict) else {}
        try:
            value = json.loads(text)
        except ValueError as exc:  # JSONDecodeError is a ValueError
            raise ConfigError.single(shown, "", "valid JSON", " ".join(str(exc).split())) from exc
        return value if isinstance(value, dict) else {}

    @property
    def where(self) -> str:
        """How to name this snapshot to people."""
        return "the working tree" if self.revision is None else f"tag {self.revision}"
