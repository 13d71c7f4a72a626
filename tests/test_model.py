"""The model's memory-minded parts: shared empty evidence, slotted results and findings."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from auditor.model import (
    NO_EVIDENCE,
    Compliance,
    Finding,
    ResourceType,
    Result,
    Severity,
    Status,
)


def a_result(**changes: Any) -> Result:
    return Result(Status.PASS, "arn:aws:iam::123456789012:user/alice", "alice", "fine", **changes)


def test_results_without_evidence_share_one_empty_mapping() -> None:
    first, second = a_result(), a_result()

    assert first.evidence is second.evidence is NO_EVIDENCE
    assert a_result(evidence={"key": 1}).evidence == {"key": 1}


def test_no_evidence_reads_as_an_empty_dict() -> None:
    assert NO_EVIDENCE == {}
    assert isinstance(NO_EVIDENCE, dict)
    assert json.dumps({"evidence": NO_EVIDENCE}) == '{"evidence": {}}'
    assert dict(NO_EVIDENCE) == {} and {**NO_EVIDENCE, "a": 1} == {"a": 1}
    assert copy.deepcopy(NO_EVIDENCE) == {}
    assert pickle.loads(pickle.dumps(NO_EVIDENCE)) == {}  # noqa: S301 - our own bytes
    assert dataclasses.asdict(a_result())["evidence"] == {}


def _set(m: Any) -> None:
    m["key"] = 1


def _delete(m: Any) -> None:
    del m["key"]


def _merge(m: Any) -> None:
    m |= {"key": 1}


@pytest.mark.parametrize(
    "change",
    [
        _set,
        _delete,
        _merge,
        lambda m: m.update(key=1),
        lambda m: m.setdefault("key", 1),
        lambda m: m.pop("key", None),
        lambda m: m.popitem(),
        lambda m: m.clear(),
    ],
)
def test_no_evidence_cannot_be_filled(change: Callable[[Any], None]) -> None:
    with pytest.raises(TypeError, match="shared"):
        change(NO_EVIDENCE)
    assert NO_EVIDENCE == {}


def test_results_and_findings_have_no_instance_dict() -> None:
    finding = Finding(
        finding_id="0" * 32,
        check_id="USER-001",
        slug="user-mfa",
        title="Users have MFA",
        severity=Severity.HIGH,
        base_severity=Severity.HIGH,
        status=Status.FAIL,
        resource_type=ResourceType.USER,
        resource_arn="arn:aws:iam::123456789012:user/alice",
        resource_name="alice",
        detail="no MFA",
        evidence=NO_EVIDENCE,
        remediation="Enable MFA.",
        compliance=Compliance(),
    )

    assert not hasattr(finding, "__dict__")
    assert not hasattr(a_result(), "__dict__")
    raised = dataclasses.replace(finding, severity=Severity.CRITICAL, severity_reason="admin")
    assert (raised.severity, raised.base_severity, raised.detail) == (
        Severity.CRITICAL,
        Severity.HIGH,
        "no MFA",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.detail = "changed"  # type: ignore[misc]
