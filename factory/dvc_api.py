"""DVC through its Python API: reproduce, status, push and add, with structured results.

The factory never parses DVC's messages: it calls `dvc.repo.Repo` and reads what the calls
return and raise. Two things the command line does are reached beyond the documented API, and
only here, after checking that the installed DVC is one pyproject.toml declares:
`Repo(_wait_for_lock=True)`, which the command line's `--wait-for-lock` sets, and the
`repro_fn` hook of `Repo.reproduce`, which runs each stage (`Stage.reproduce`, then
`Stage.dump` when it ran, as DVC's own does) and through which the build learns which stages
ran, which were current and which failed. A stage DVC restored from its run cache was
reproduced without its command: the command's environment (`run_env`) is asked for only when
the command runs, which is how the two are told apart.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.errors import FactoryError
from factory.versions import require_supported

WHY = "the factory reaches DVC's lock waiting and its per-stage reproduce hook"


class DvcError(FactoryError):
    """A DVC operation failed; the message is DVC's."""


@dataclass
class Reproduction:
    """What one `reproduce` did, stage by stage (stages named `file:stage`, as DVC addresses them)."""

    ran: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every stage it reached ran or was current."""
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        """The result as plain data, to pass between processes."""
        return {
            "ran": self.ran,
            "restored": self.restored,
            "current": self.current,
            "failed": self.failed,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Reproduction:
        """The result passed as plain data."""
        return cls(
            list(value["ran"]), list(value["restored"]), list(value["current"]), list(value["failed"]), value["error"]
        )


@contextlib.contextmanager
def opened(root: Path, wait_for_lock: bool = False) -> Iterator[Any]:
    """The DVC repository at `root`, closed at the end of the block."""
    require_supported("dvc", WHY)
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        repo = Repo(str(root), _wait_for_lock=wait_for_lock)
    except DvcException as exc:
        raise DvcError(f"{root}: not a DVC repository ({exc})") from exc
    try:
        yield repo
    finally:
        repo.close()


def reproduce(
    root: Path,
    targets: Sequence[str],
    *,
    single_item: bool = False,
    keep_going: bool = False,
    force: bool = False,
    wait_for_lock: bool = False,
    run_env: Mapping[str, str] | None = None,
) -> Reproduction:
    """`dvc repro` of `targets`; never raises for a failed stage, whose error is in the result.

    `run_env` is added to the environment of each stage's command.
    """
    from dvc.exceptions import DvcException

    result = Reproduction()
    command_env = _CommandEnvironment(run_env or {})

    def run_stage(stage: Any, **kwargs: Any) -> Any:
        command_env.asked = False
        try:
            changed = stage.reproduce(**kwargs)
        except BaseException:
            result.failed.append(_qualified(stage.addressing))
            raise
        if changed and not kwargs.get("dry", False):
            stage.dump(update_pipeline=False)
        outcome = result.current if not changed else result.ran if command_env.asked else result.restored
        outcome.append(_qualified(stage.addressing))
        return changed

    with opened(root, wait_for_lock) as repo:
        try:
            repo.reproduce(
                _absolute(root, targets),
                single_item=single_item,
                on_error="keep-going" if keep_going else "fail",
                force=force,
                run_env=command_env,
                repro_fn=run_stage,
            )
        except DvcException as exc:
            result.error = _message(exc)
    return result


class _CommandEnvironment(Mapping[str, str]):
    """What a stage's command adds to its environment; it notes that DVC asked for it (the command ran)."""

    def __init__(self, added: Mapping[str, str]) -> None:
        # never empty, as DVC asks only for a non-empty one: PATH as it is, which changes nothing
        self._added = {"PATH": os.environ.get("PATH", ""), **added}
        self.asked = False

    def keys(self) -> Any:
        self.asked = True
        return self._added.keys()

    def __getitem__(self, key: str) -> str:
        return self._added[key]

    def __iter__(self) -> Iterator[str]:
        self.asked = True
        return iter(self._added)

    def __len__(self) -> int:
        return len(self._added)


def status(root: Path, targets: Sequence[str] = ()) -> dict[str, Any]:
    """`dvc status` of `targets` (every pipeline when empty): stage -> what changed; empty when current."""
    from dvc.exceptions import DvcException

    with opened(root) as repo:
        try:
            changes = repo.status(targets=_absolute(root, targets) or None)
        except DvcException as exc:
            raise DvcError(f"dvc status failed: {_message(exc)}") from exc
    return {_qualified(stage): change for stage, change in changes.items()}


def push(root: Path, targets: Sequence[str], with_deps: bool = False) -> int:
    """`dvc push` of `targets` (with their dependencies' outputs); how many files were sent."""
    from dvc.exceptions import DvcException

    with opened(root) as repo:
        try:
            return int(repo.push(targets=_absolute(root, targets), with_deps=with_deps) or 0)
        except DvcException as exc:
            raise DvcError(f"dvc push failed: {_message(exc)}") from exc


def add(root: Path, path: str) -> None:
    """`dvc add` of one file, relative to `root`."""
    from dvc.exceptions import DvcException

    with opened(root) as repo:
        try:
            repo.add(str(root / path))
        except DvcException as exc:
            raise DvcError(f"dvc add {path} failed: {_message(exc)}") from exc


def _absolute(root: Path, targets: Sequence[str]) -> list[str]:
    """Targets as absolute paths: DVC reads a relative one from the working folder, not from `root`."""
    absolute = []
    for target in targets:
        path, colon, stage = target.partition(":")
        absolute.append(str(root / path) + colon + stage)
    return absolute


def _qualified(stage: str) -> str:
    """A stage as `file:name`: DVC names the root pipeline's stages without their file."""
    return stage if ":" in stage else f"dvc.yaml:{stage}"


def _message(exc: BaseException) -> str:
    """DVC's message with those of the errors it wraps (a failed stage's command, a missing file)."""
    parts = [str(exc)]
    cause = exc.__cause__
    while cause is not None and len(parts) < 4:
        parts.append(str(cause))
        cause = cause.__cause__
    return ": ".join(part for part in parts if part)
