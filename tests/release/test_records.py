"""The release record kept in a version tag's message: round trip, damage, verdict."""

from __future__ import annotations

import pytest

from factory.errors import FactoryError
from factory.release.records import RECORD_MARKER, GateResult, ReleaseRecord

PASSING = GateResult(metric="accuracy", kind="min", threshold=0.75, value=0.8, passed=True, detail="0.8000 >= 0.75")
FAILING = GateResult(
    metric="accuracy",
    kind="champion",
    threshold=0.85,
    value=0.8,
    champion=0.85,
    passed=False,
    detail="0.8000 >= 0.8500 (production 0.8500)",
)


def make_record(
    version: str = "v1.0.0",
    commit: str = "a" * 40,
    contract: str = "contract-1",
    training: str = "training-1",
    gates: list[GateResult] | None = None,
) -> ReleaseRecord:
    """A complete record with made-up but well-formed figures."""
    return ReleaseRecord(
        use_case="churn",
        version=version,
        commit=commit,
        model_path="use_cases/churn/artifacts/model.skops",
        model_md5="0" * 32,
        model_sha256="f" * 64,
        metrics={"accuracy": 0.8, "log_loss": 0.4, "per_class": {"no": 0.9, "yes": 0.6}, "rows": 120},
        gates=[PASSING] if gates is None else gates,
        contract_sha256=contract,
        training_sha256=training,
        released_by="Factory Tests <tests@example.com>",
    )


def test_message_round_trip_gives_an_equal_record() -> None:
    record = make_record(gates=[PASSING, FAILING])
    assert ReleaseRecord.from_message(record.to_message(), "churn@v1.0.0") == record


def test_message_summary_line_states_the_verdict() -> None:
    summary = make_record(gates=[PASSING]).to_message().split("\n", 1)[0]
    assert summary == "churn v1.0.0: all gates passed (1 gate(s)), model ffffffffffff"
    assert "GATES FAILED" in make_record(gates=[PASSING, FAILING]).to_message().split("\n", 1)[0]


@pytest.mark.parametrize(
    ("gates", "passed"),
    [([PASSING], True), ([PASSING, FAILING], False), ([FAILING], False), ([], True)],
    ids=["all-pass", "one-fails", "only-fails", "no-gates"],
)
def test_passed_requires_every_gate(gates: list[GateResult], passed: bool) -> None:
    assert make_record(gates=gates).passed is passed


def test_message_without_the_marker_is_an_error_naming_the_tag() -> None:
    with pytest.raises(FactoryError, match=r"tag churn@v1\.0\.0: no release record"):
        ReleaseRecord.from_message("hand-made tag\n\nno record here", "churn@v1.0.0")


@pytest.mark.parametrize(
    "payload",
    [
        "{not json",
        make_record().to_message().partition(RECORD_MARKER)[2][:40],  # truncated
        '{"use_case": "churn"}',  # valid JSON, missing fields
        "[1, 2, 3]",
    ],
    ids=["garbage", "truncated", "missing-fields", "not-an-object"],
)
def test_damaged_record_is_an_error_naming_the_tag(payload: str) -> None:
    with pytest.raises(FactoryError, match=r"tag churn@v1\.2\.0: damaged release record"):
        ReleaseRecord.from_message(f"summary\n\n{RECORD_MARKER}\n{payload}", "churn@v1.2.0")
