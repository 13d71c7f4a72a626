"""Shared renderer helpers: report order, UTC timestamps, JSON-safe evidence, JSON arrays
written a chunk at a time."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from report_samples import MakeFinding, whole_json_array

from auditor.model import Compliance, Severity, Status
from auditor.report.common import (
    batched,
    compliance_text,
    evidence_json,
    json_array,
    optional_utc_timestamp,
    ordered_findings,
    plain,
    stream_json_array,
    utc_timestamp,
)


def test_order_is_fail_by_severity_then_error_then_muted_then_pass(
    make_finding: MakeFinding,
) -> None:
    findings = [
        make_finding("A-001", Status.PASS, resource_name="p1"),
        make_finding("A-002", Status.FAIL, Severity.LOW, resource_name="low"),
        make_finding("A-003", Status.FAIL, Severity.HIGH, muted=True, resource_name="m1"),
        make_finding("A-004", Status.ERROR, Severity.CRITICAL, resource_name="e1"),
        make_finding("A-005", Status.FAIL, Severity.CRITICAL, resource_name="crit"),
        make_finding("A-006", Status.FAIL, Severity.INFO, resource_name="info"),
        make_finding("A-007", Status.PASS, resource_name="p2", muted=True),
        make_finding("A-008", Status.FAIL, Severity.MEDIUM, resource_name="med"),
        make_finding("A-009", Status.FAIL, Severity.HIGH, resource_name="high"),
    ]
    names = [f.resource_name for f in ordered_findings(findings)]
    assert names == ["crit", "high", "med", "low", "info", "e1", "m1", "p2", "p1"]


def test_order_is_stable_within_a_group(make_finding: MakeFinding) -> None:
    findings = [
        make_finding("B-001", Status.FAIL, Severity.HIGH, resource_name=f"u{i}") for i in range(5)
    ] + [make_finding("B-002", Status.PASS, resource_name=f"p{i}") for i in range(5)]
    reordered = [findings[i] for i in (3, 1, 4, 0, 2, 8, 5, 9, 6, 7)]
    ordered = ordered_findings(reordered)
    assert [f.resource_name for f in ordered] == [
        "u3", "u1", "u4", "u0", "u2", "p3", "p0", "p4", "p1", "p2",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC), "2026-11-23T10:00:00Z"),
        (datetime(2026, 11, 23, 10, 0, 0, 999_999, tzinfo=UTC), "2026-11-23T10:00:00Z"),
        (
            datetime(2026, 11, 23, 12, 30, 5, tzinfo=timezone(timedelta(hours=2))),
            "2026-11-23T10:30:05Z",
        ),
        (
            datetime(2026, 1, 1, 0, 0, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2026-01-01T05:00:00Z",
        ),
        (datetime(2026, 11, 23, 9, 58, 12), "2026-11-23T09:58:12Z"),  # naive: taken as UTC
    ],
)
def test_utc_timestamp(moment: datetime, expected: str) -> None:
    assert utc_timestamp(moment) == expected
    assert optional_utc_timestamp(moment) == expected


def test_optional_timestamp_passes_none() -> None:
    assert optional_utc_timestamp(None) is None


class _Colour(enum.Enum):
    RED = "red"


def test_plain_makes_any_evidence_json_native() -> None:
    evidence = {
        "when": datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        "day": date(2026, 3, 1),
        "colour": _Colour.RED,
        "severity": Severity.HIGH,
        "accounts": frozenset({"333", "111", "222"}),
        "pair": (1, 2),
        "ratio": float("nan"),
        "big": float("inf"),
        1: "int key",
        _Colour.RED: "enum key",
        "obj": _Opaque(),
        "nested": {"list": [Status.FAIL, None, True, 2.5]},
    }
    out = plain(evidence)
    assert out == {
        "when": "2026-03-01T08:00:00Z",
        "day": "2026-03-01",
        "colour": "red",
        "severity": "high",
        "accounts": ["111", "222", "333"],
        "pair": [1, 2],
        "ratio": "nan",
        "big": "inf",
        "1": "int key",
        "red": "enum key",
        "obj": "opaque",
        "nested": {"list": ["FAIL", None, True, 2.5]},
    }
    # Strict JSON: no NaN / Infinity tokens.
    json.loads(evidence_json(evidence), parse_constant=_reject)


class _Opaque:
    def __str__(self) -> str:
        return "opaque"


def _reject(token: str) -> None:
    raise AssertionError(f"non-standard JSON constant {token}")


def test_evidence_json_keeps_non_ascii_readable() -> None:
    assert evidence_json({"key": "AKIA…WXYZ"}) == '{"key": "AKIA…WXYZ"}'


@pytest.mark.parametrize(
    ("compliance", "expected"),
    [
        (
            Compliance(cis_7=("2.12",), cis_5=("1.13",), fsbp=("IAM.3",)),
            "CIS-7.0:2.12; CIS-5.0:1.13; AWS-FSBP:IAM.3",
        ),
        (
            Compliance(cis_7=("2.8", "2.9"), fsbp=("IAM.7",)),
            "CIS-7.0:2.8; CIS-7.0:2.9; AWS-FSBP:IAM.7",
        ),
        (Compliance(), ""),
    ],
)
def test_compliance_text(compliance: Compliance, expected: str) -> None:
    assert compliance_text(compliance) == expected


@pytest.mark.parametrize("count", [0, 1, 4, 5, 6, 13])
def test_json_array_chunks_join_to_the_whole_array(count: int) -> None:
    items = [{"n": i, "name": f"Zoë <{i}>", "list": [i, None]} for i in range(count)]
    chunks = list(stream_json_array(items, per_chunk=5))
    assert b"".join(chunks) == whole_json_array(items) == json_array(items)
    assert json.loads(b"".join(chunks)) == items
    # One chunk per five items, then the closing bracket (or the whole empty array).
    assert len(chunks) == -(-count // 5) + 1
    assert all(chunk.count(b'"n": ') <= 5 for chunk in chunks)


def test_json_array_items_are_made_only_as_their_chunk_is() -> None:
    made: list[int] = []

    def items() -> Iterator[dict[str, int]]:
        for i in range(10):
            made.append(i)
            yield {"n": i}

    stream = stream_json_array(items(), per_chunk=4)
    next(stream)
    assert made == [0, 1, 2, 3]


def test_batched() -> None:
    assert list(batched(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batched([], 3)) == []
