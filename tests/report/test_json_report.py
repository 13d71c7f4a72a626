"""report.json: schema_version 1 of docs/architecture.md, round-trip, order, determinism."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from report_samples import HOSTILE, MakeFinding, MakeReport, hostile_meta

from auditor.model import Finding, Report, Severity, Status
from auditor.report.json_report import render_json, report_to_dict

# The "Report JSON" example of docs/architecture.md, verbatim (a test below holds the note
# to it): the contract every key is checked against.
DOC_EXAMPLE = json.loads(
    """
{
  "schema_version": 1,
  "tool": {"name": "iam-auditor", "version": "x.y.z"},
  "account_id": "123456789012",
  "partition": "aws",
  "generated_at": "2026-11-23T10:00:00Z",
  "credential_report_generated_at": "2026-11-23T09:58:12Z",
  "complete": true,
  "score": {"value": 72.5, "grade": "C"},
  "summary": {"PASS": 0, "FAIL": 0, "ERROR": 0, "muted": 0},
  "gaps": [{"operation": "iam:GetAccountPasswordPolicy", "error": "AccessDenied",
            "checks": ["PWD-001"]}],
  "findings": [{
    "finding_id": "stable hash of account, check, resource, qualifier",
    "check_id": "KEY-002",
    "slug": "access-key-rotation",
    "title": "Active access keys are rotated within 90 days",
    "severity": "medium",
    "status": "FAIL",
    "muted": false,
    "mute_reason": null,
    "resource_type": "AwsIamUser",
    "resource_arn": "arn:aws:iam::123456789012:user/alice",
    "resource_name": "alice",
    "detail": "Access key 1 (AKIA…WXYZ) is 120 days old; limit is 90.",
    "evidence": {"key": 1, "age_days": 120},
    "remediation": "…",
    "compliance": {"CIS-7.0": ["2.12"], "CIS-5.0": ["1.13"], "AWS-FSBP": ["IAM.3"]}
  }]
}
"""
)
ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
# Keys the example shows as null that may also hold a string.
NULLABLE = {"mute_reason", "credential_report_generated_at"}
TIMESTAMP_KEYS = {"generated_at", "credential_report_generated_at"}


def _conforms(example: Any, actual: Any, path: str) -> None:
    """``actual`` has every key of ``example``, recursively, with the same JSON type."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), path
        if path.endswith((".evidence", ".compliance", ".summary")):
            return  # free-form maps (their contents are checked separately)
        for key, value in example.items():
            assert key in actual, f"{path}.{key} missing"
            if actual[key] is None and (key in NULLABLE or value is None):
                continue
            _conforms(value, actual[key], f"{path}.{key}")
    elif isinstance(example, list):
        assert isinstance(actual, list), path
        for item in actual:
            _conforms(example[0], item, f"{path}[]")
    elif example is None:
        assert actual is None or isinstance(actual, str), path
    elif isinstance(example, bool):
        assert isinstance(actual, bool), path
    elif isinstance(example, int | float):
        assert isinstance(actual, int | float) and not isinstance(actual, bool), path
    else:
        assert isinstance(actual, type(example)), path


def _loaded(report: Report) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(render_json(report).decode("utf-8"))
    return out


def test_every_documented_key_is_present_with_its_type(sample_report: Report) -> None:
    data = _loaded(sample_report)
    _conforms(DOC_EXAMPLE, data, "$")
    assert list(data)[: len(DOC_EXAMPLE) - 1] == [k for k in DOC_EXAMPLE if k != "findings"]
    assert data["findings"], "the sample has findings to check"
    documented = list(DOC_EXAMPLE["findings"][0])
    for finding in data["findings"]:
        assert list(finding)[: len(documented)] == documented
        assert set(finding) - set(DOC_EXAMPLE["findings"][0]) == {
            "base_severity",
            "severity_reason",
        }
        for framework, ids in finding["compliance"].items():
            assert framework in {"CIS-7.0", "CIS-5.0", "AWS-FSBP"}
            assert all(isinstance(i, str) for i in ids)
        assert finding["severity"] in {s.value for s in Severity}
        assert finding["status"] in {s.value for s in Status}
    assert set(data["summary"]) == {"PASS", "FAIL", "ERROR", "muted"}


def test_top_level_values(sample_report: Report) -> None:
    data = _loaded(sample_report)
    assert data["schema_version"] == 1
    assert data["tool"] == {"name": "iam-auditor", "version": "9.8.7"}
    assert data["account_id"] == "123456789012"
    assert data["partition"] == "aws"
    assert data["generated_at"] == "2026-11-23T10:00:00Z"
    assert data["credential_report_generated_at"] == "2026-11-23T09:58:12Z"
    assert data["complete"] is False
    assert data["score"] == {"value": 72.5, "grade": "C"}
    assert (
        data["summary"] == sample_report.summary() == {"PASS": 2, "FAIL": 6, "ERROR": 1, "muted": 2}
    )
    assert data["notes"] == list(sample_report.notes)
    assert data["gaps"] == [
        {
            "operation": "iam:GetAccountPasswordPolicy",
            "error": "AccessDenied",
            "checks": ["PWD-001"],
            "message": "User is not authorized to perform iam:GetAccountPasswordPolicy",
            "region": None,
            "source": "password_policy",
        }
    ]
    assert len(data["findings"]) == len(sample_report.findings)


def test_complete_report_and_missing_credential_report(
    make_report: MakeReport, make_finding: MakeFinding
) -> None:
    report = make_report(
        [make_finding(status=Status.PASS)],
        credential_report_generated_at=None,
        generated_at=datetime(2026, 5, 1, 14, 0, 30, 123456, tzinfo=timezone(timedelta(hours=2))),
    )
    data = _loaded(report)
    assert data["complete"] is True
    assert data["gaps"] == []
    assert data["credential_report_generated_at"] is None
    assert data["generated_at"] == "2026-05-01T12:00:30Z"
    assert data["notes"] == []


def _expected(finding: Finding) -> dict[str, Any]:
    return {
        "finding_id": finding.finding_id,
        "check_id": finding.check_id,
        "slug": finding.slug,
        "title": finding.title,
        "severity": finding.severity.value,
        "status": finding.status.value,
        "muted": finding.muted,
        "mute_reason": finding.mute_reason,
        "resource_type": finding.resource_type.value,
        "resource_arn": finding.resource_arn,
        "resource_name": finding.resource_name,
        "detail": finding.detail,
        "evidence": dict(finding.evidence),
        "remediation": finding.remediation,
        "compliance": finding.compliance.as_dict(),
        "base_severity": finding.base_severity.value,
        "severity_reason": finding.severity_reason,
    }


def test_finding_values_round_trip(sample_report: Report) -> None:
    by_id = {f["finding_id"]: f for f in _loaded(sample_report)["findings"]}
    assert len(by_id) == len(sample_report.findings)
    for finding in sample_report.findings:
        assert by_id[finding.finding_id] == _expected(finding)
    bob = next(f for f in by_id.values() if f["resource_name"] == "bob")
    assert bob["compliance"] == {"CIS-7.0": ["2.12"], "CIS-5.0": ["1.13"], "AWS-FSBP": ["IAM.3"]}
    assert bob["detail"] == "Access key 1 (AKIA…WXYZ) is 120 days old; limit is 90."
    dave = next(f for f in by_id.values() if f["resource_name"] == "dave")
    assert (dave["severity"], dave["base_severity"]) == ("high", "medium")
    assert dave["severity_reason"] == "dave is admin-equivalent (PERM-002)"


def test_findings_in_report_order(sample_report: Report) -> None:
    findings = _loaded(sample_report)["findings"]
    shape = [(f["muted"], f["status"], f["severity"], f["resource_name"]) for f in findings]
    assert shape == [
        (False, "FAIL", "critical", "<root_account>"),
        (False, "FAIL", "critical", "open-role"),  # same severity: input order kept
        (False, "FAIL", "high", "dave"),
        (False, "FAIL", "medium", "bob"),
        (False, "FAIL", "low", "erin"),
        (False, "FAIL", "info", "123456789012"),
        (False, "ERROR", "medium", "123456789012"),
        (True, "FAIL", "high", "carol"),
        (True, "PASS", "low", "frank"),
        (False, "PASS", "medium", "alice"),
        (False, "PASS", "high", "alice"),
    ]


def test_output_is_deterministic_utf8_with_trailing_newline(sample_report: Report) -> None:
    first = render_json(sample_report)
    assert first == render_json(sample_report)
    assert first.endswith(b"}\n")
    assert "AKIA…WXYZ".encode() in first  # non-ASCII kept, not \u-escaped
    assert report_to_dict(sample_report) == json.loads(first)


def test_one_finding_per_line(sample_report: Report, make_report: MakeReport) -> None:
    lines = render_json(sample_report).decode().splitlines()
    start = lines.index('  "findings": [')
    finding_lines = lines[start + 1 : -2]
    assert lines[-2:] == ["  ]", "}"]
    assert len(finding_lines) == len(sample_report.findings)
    for line in finding_lines:
        assert line.startswith('    {"finding_id": ')
        json.loads(line.rstrip(","))
    empty = render_json(make_report([])).decode()
    assert empty.endswith('  "findings": []\n}\n')
    assert json.loads(empty)["findings"] == []


def test_hostile_strings_stay_data(hostile_report: Report) -> None:
    data = _loaded(hostile_report)
    names = {f["resource_name"] for f in data["findings"]}
    assert "<script>alert(1)</script>" in names
    assert '"><img src=x onerror=alert(1)>' in names
    assert data["account_id"] == "<script>alert(1)</script>"


def test_odd_evidence_is_still_strict_json(
    make_report: MakeReport, make_finding: MakeFinding
) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    report = make_report(
        [make_finding(evidence={"seen": when, "ids": {"b", "a"}, "ratio": float("nan")})]
    )
    text = render_json(report).decode()
    evidence = json.loads(text, parse_constant=_reject)["findings"][0]["evidence"]
    assert evidence == {"seen": "2026-01-02T03:04:05Z", "ids": ["a", "b"], "ratio": "nan"}


def _reject(token: str) -> None:
    raise AssertionError(f"non-standard JSON constant {token}")


# --- checks: the metadata of every check run -----------------------------------------------

CHECK_KEYS = [
    "id", "slug", "title", "severity", "resource_type", "rationale", "remediation",
    "remediation_cli", "references", "compliance",
]  # fmt: skip


def test_checks_list_every_check_run_with_its_metadata(checks_report: Report) -> None:
    data = _loaded(checks_report)
    assert list(data)[-3:] == ["notes", "checks", "findings"]
    assert [c["id"] for c in data["checks"]] == [m.id for m in checks_report.checks]
    for entry, meta in zip(data["checks"], checks_report.checks, strict=True):
        assert list(entry) == CHECK_KEYS
        assert entry == {
            "id": meta.id,
            "slug": meta.slug,
            "title": meta.title,
            "severity": meta.severity.value,
            "resource_type": meta.resource_type.value,
            "rationale": meta.rationale,
            "remediation": meta.remediation,
            "remediation_cli": meta.remediation_cli,
            "references": list(meta.references),
            "compliance": meta.compliance.as_dict(),
        }
    cert = next(c for c in data["checks"] if c["id"] == "CERT-002")
    assert not any(f["check_id"] == "CERT-002" for f in data["findings"])
    assert cert["severity"] == "low"
    assert cert["resource_type"] == "AwsIamServerCertificate"
    assert cert["compliance"] == {}
    key = next(c for c in data["checks"] if c["id"] == "KEY-002")
    assert key["compliance"] == {"CIS-7.0": ["2.12"], "CIS-5.0": ["1.13"], "AWS-FSBP": ["IAM.3"]}
    assert key["references"][1] == "CIS AWS Foundations Benchmark v7.0, 2.12"


def test_checks_are_additive(sample_report: Report, checks_report: Report) -> None:
    without = _loaded(sample_report)
    with_checks = _loaded(checks_report)
    assert without["checks"] == []
    assert len(with_checks["checks"]) == len(checks_report.checks) > 0
    del with_checks["checks"], without["checks"]
    assert with_checks == without
    _conforms(DOC_EXAMPLE, _loaded(checks_report), "$")


def test_one_check_per_line(checks_report: Report, make_report: MakeReport) -> None:
    lines = render_json(checks_report).decode().splitlines()
    start = lines.index('  "checks": [')
    end = lines.index('  "findings": [')
    assert lines[end - 1] == "  ],"
    check_lines = lines[start + 1 : end - 1]
    assert len(check_lines) == len(checks_report.checks)
    for line, meta in zip(check_lines, checks_report.checks, strict=True):
        assert line.startswith('    {"id": ')
        assert json.loads(line.rstrip(","))["id"] == meta.id
    empty = render_json(make_report([])).decode()
    assert '  "checks": [],\n  "findings": []\n}\n' in empty


def test_hostile_check_metadata_stays_data(make_report: MakeReport) -> None:
    report = make_report([], checks=[hostile_meta(p) for p in HOSTILE[:1]])
    (entry,) = _loaded(report)["checks"]
    payload = HOSTILE[0]
    assert entry["title"] == entry["rationale"] == entry["remediation_cli"] == payload
    assert entry["references"] == [payload, f"https://example.com/{payload}"]
    assert entry["compliance"] == {
        "CIS-7.0": [payload],
        "CIS-5.0": [payload],
        "AWS-FSBP": [payload],
    }


def test_the_architecture_note_shows_the_contract_tested_here() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text[text.index("## Report JSON") :]
    block = re.search(r"^```json\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert block is not None, "docs/architecture.md lost its Report JSON example"
    assert json.loads(block.group(1)) == DOC_EXAMPLE
