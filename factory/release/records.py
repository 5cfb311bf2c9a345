"""The release record: what was released, from which commit, with which figures and gate results.

It is kept in the message of the version's annotated Git tag (a summary line, then JSON), so
the record is immutable, travels with `git push --tags`, and needs no commit of its own.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from factory.errors import FactoryError
from factory.io import canonical_json, sha256_bytes

RECORD_MARKER = "factory-release-record:"


class GateResult(BaseModel):
    """One gate's verdict with its figures."""

    model_config = ConfigDict(frozen=True)

    metric: str
    # "min", "max", "baseline", "champion", or a slice gate: "slice worst", "slice gap", "parity", "opportunity"
    kind: str
    threshold: float | None
    value: float | None
    champion: float | None = None
    passed: bool
    detail: str


class ReleaseRecord(BaseModel):
    """Everything needed to trust, reproduce and score one released version."""

    model_config = ConfigDict(frozen=True)

    use_case: str
    version: str
    commit: str
    model_path: str
    model_md5: str
    model_sha256: str
    metrics: dict[str, Any]
    gates: list[GateResult]
    contract_sha256: str
    training_sha256: str
    released_by: str
    # The reference profile monitoring compares batches with; None in records made before it existed.
    profile_path: str | None = None
    profile_sha256: str | None = None

    @property
    def passed(self) -> bool:
        """Whether every gate passed."""
        return all(gate.passed for gate in self.gates)

    def to_message(self) -> str:
        """The tag message: a one-line summary, then the record as JSON."""
        verdict = "all gates passed" if self.passed else "GATES FAILED"
        summary = (
            f"{self.use_case} {self.version}: {verdict} ({len(self.gates)} gate(s)), model {self.model_sha256[:12]}"
        )
        return f"{summary}\n\n{RECORD_MARKER}\n{canonical_json(self.model_dump(mode='json'))}"

    @classmethod
    def from_message(cls, message: str, tag: str) -> ReleaseRecord:
        """Read a record back from a tag message."""
        _, marker, payload = message.partition(RECORD_MARKER)
        if not marker:
            raise FactoryError(f"tag {tag}: no release record in its message (was it made by `factory release`?)")
        try:
            return cls.model_validate(json.loads(payload))
        except ValueError as exc:
            raise FactoryError(f"tag {tag}: damaged release record ({exc})") from exc


def content_hash(value: Any) -> str:
    """sha256 of a value's canonical JSON, for comparing configs across versions."""
    return sha256_bytes(canonical_json(value).encode("utf-8"))
