"""One exception root for the factory, with messages that name the file, the key and the fix.

The CLI maps these to exit codes in one place (`factory.cli`): every `FactoryError` is a
clean, traceback-free message; anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# A config with thousands of wrong keys gets a message that still fits on a screen.
MAX_PROBLEMS_SHOWN = 20


class FactoryError(Exception):
    """Root of every error the factory reports to a user."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one key of a config file."""

    key: str
    expected: str
    got: str | None = None

    def render(self) -> str:
        """Word the problem the same way everywhere: key, what was expected, what was got."""
        where = self.key or "(top level)"
        text = f"{where}: expected {self.expected}"
        if self.got is not None:
            text += f"; got {self.got}"
        return text


class ConfigError(FactoryError):
    """A declarative input (use case, data product, policy) is invalid."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        lines = [f"{file}: invalid configuration"]
        lines += [f"  - {problem.render()}" for problem in self.problems[:MAX_PROBLEMS_SHOWN]]
        if len(self.problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"  - ... and {len(self.problems) - MAX_PROBLEMS_SHOWN} more problem(s)")
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[type[ConfigError], tuple[str, tuple[Problem, ...]]]:
        # rebuilt from its parts when it comes back from a worker process
        return (ConfigError, (self.file, self.problems))

    @classmethod
    def single(cls, file: str, key: str, expected: str, got: str | None = None) -> ConfigError:
        """Build an error with one problem."""
        return cls(file, [Problem(key, expected, got)])


class DataValidationError(FactoryError):
    """A data product does not satisfy its declared schema."""


class ComponentError(FactoryError):
    """A registered component failed while it ran."""


class ModelFileError(FactoryError):
    """A model file is unreadable, tampered with, or holds types that are not trusted."""


class StaleError(FactoryError):
    """Generated files do not match what the configs compile to."""

    exit_code = 1


class BuildError(FactoryError):
    """One or more pipelines failed to build."""

    exit_code = 1


class GitError(FactoryError):
    """A Git command failed, or the working tree is not what a command needs."""


class ReleaseRefused(FactoryError):
    """A release cannot start: dirty tree, stale or missing build, unknown stage or version."""


class GatesFailed(FactoryError):
    """A release candidate failed one or more gates, or lacks a required approval."""

    exit_code = 1


class CiReleaseFailed(FactoryError):
    """A release that a use case's policy requires could not be made (not a gate refusal)."""

    exit_code = 1


class MonitoringAlert(FactoryError):
    """A monitoring check found drift or degraded efficacy (exit 1, so schedulers and CI notice)."""

    exit_code = 1


class ProjectError(FactoryError):
    """The working directory is not inside a factory project, or a path escapes it."""


class ErrorGroup(FactoryError):
    """Several independent errors, reported together (e.g. one per config file)."""

    def __init__(self, errors: list[FactoryError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


class GovernanceGaps(FactoryError):
    """`factory audit` found use cases that fall short of the governance rules."""

    exit_code = 1


class NotReady(FactoryError):
    """`factory readiness --min` found use cases whose ML Test Score is below the bar."""

    exit_code = 1
