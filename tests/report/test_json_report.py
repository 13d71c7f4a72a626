"""report.json: schema_version 2 of docs/architecture.md: shape, omissions, nothing lost, bytes.

Version 2 says each check once and each finding only what its check does not; the tests
hold it to the documented example, expand it back with ``read_report`` and compare with the
complete findings version 1 wrote (``report_versions.v1_dict``), on hand-made reports, on a
real analysis that needs every rule and on the whole demo account.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from report_samples import (
    HOSTILE,
    MakeFinding,
    MakeReport,
    hostile_meta,
    make_finding,
    make_meta,
    make_report,
)
from report_versions import ODD_USER, PATH_ROLE, render_v1, rich_report, v1_dict

from auditor.audit import run_audit
from auditor.config import CheckOverride, Mute, Settings
from auditor.demo.account import demo_session
from auditor.model import Compliance, Report, ResourceType, Severity, Status
from auditor.report.common import ordered_findings
from auditor.report.json_read import read_report
from auditor.report.json_report import (
    name_from_arn,
    render_json,
    report_to_dict,
    stream_json,
)

# The "Report JSON" example of docs/architecture.md (a test below holds the note to it, the
# same JSON with its lines wrapped here): the contract every key is checked against.
DOC_EXAMPLE = json.loads(
    """
{
  "schema_version": 2,
  "tool": {"name": "iam-auditor", "version": "x.y.z"},
  "account_id": "123456789012",
  "partition": "aws",
  "generated_at": "2026-11-23T10:00:00Z",
  "credential_report_generated_at": "2026-11-23T09:58:12Z",
  "complete": true,
  "score": {"value": 72.5, "grade": "C"},
  "summary": {"PASS": 0, "FAIL": 0, "ERROR": 0, "muted": 0},
  "gaps": [{"operation": "iam:GetAccountPasswordPolicy", "error": "AccessDenied",
            "checks": ["PWD-001"], "message": "…", "region": null,
            "source": "password_policy"}],
  "notes": ["…"],
  "checks": [{
    "id": "KEY-002",
    "slug": "access-key-rotation",
    "title": "Active access keys are rotated within 90 days",
    "severity": "medium",
    "resource_type": "AwsIamUser",
    "rationale": "…",
    "remediation": "…",
    "remediation_cli": "aws iam update-access-key …",
    "references": ["https://docs.aws.amazon.com/…"],
    "compliance": {"CIS-7.0": ["2.12"], "CIS-5.0": ["1.13"], "AWS-FSBP": ["IAM.3"]}
  }],
  "findings": {
    "KEY-002": [
      {"id":"stable hash of account, check, resource, qualifier","status":"FAIL",
       "arn":"arn:aws:iam::123456789012:user/alice",
       "detail":"Access key 1 is 120 days old; the limit is 90."},
      {"id":"…","severity":"high","status":"FAIL","arn":"arn:aws:iam::123456789012:user/ops/bob",
       "detail":"…","evidence":{"key":1,"age_days":120},
       "severity_reason":"raised from medium: bob is admin-equivalent (…)"}
    ]
  }
}
"""
)
ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
# Keys the example shows as null that may also hold a string.
NULLABLE = {"credential_report_generated_at", "region"}
FREE_FORM = (".evidence", ".compliance", ".summary")
# Every key a finding may have: always the first four, the rest only when they differ
# from the check entry (the last five only for a finding whose check has no entry).
ALWAYS = {"id", "status", "arn", "detail"}
OPTIONAL = {"severity", "severity_reason", "muted", "mute_reason", "type", "name", "evidence"}
NO_ENTRY_ONLY = {"slug", "title", "remediation", "compliance", "base_severity"}
FINDING_ORDER = [
    "id", "slug", "title", "severity", "status", "muted", "mute_reason", "type", "arn",
    "name", "detail", "evidence", "remediation", "compliance", "base_severity",
    "severity_reason",
]  # fmt: skip
CHECK_KEYS = [
    "id", "slug", "title", "severity", "resource_type", "rationale", "remediation",
    "remediation_cli", "references", "compliance",
]  # fmt: skip
CONFIGURED_CHECK_KEYS = [*CHECK_KEYS[:4], "catalog_severity", "severity_reason", *CHECK_KEYS[4:]]


def _conforms(example: Any, actual: Any, path: str) -> None:
    """``actual`` has every key of ``example``, recursively, with the same JSON type."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), path
        if path.endswith(FREE_FORM):
            return  # free-form maps (their contents are checked separately)
        if path == "$.findings":  # keyed by check id: every value is a list like the example's
            (shape,) = example.values()
            for key, value in actual.items():
                _conforms(shape, value, f"{path}.{key}")
            return
        for key, value in example.items():
            assert key in actual, f"{path}.{key} missing"
            if actual[key] is None and (key in NULLABLE or value is None):
                continue
            _conforms(value, actual[key], f"{path}.{key}")
    elif isinstance(example, list):
        assert isinstance(actual, list), path
        for item in actual:
            _conforms(example[0], item, f"{path}[]")
    elif isinstance(example, bool):
        assert isinstance(actual, bool), path
    elif isinstance(example, int | float):
        assert isinstance(actual, int | float) and not isinstance(actual, bool), path
    else:
        assert isinstance(actual, type(example)), path


def _loaded(report: Report) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(render_json(report).decode("utf-8"))
    return out


def _all(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for group in data["findings"].values() for f in group]


def _by_id(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(findings, key=lambda f: str(f["finding_id"]))


def test_every_documented_key_is_present_with_its_type(checks_report: Report) -> None:
    for report in (checks_report, rich_report()):
        data = _loaded(report)
        _conforms(DOC_EXAMPLE, data, "$")
        assert list(data) == list(DOC_EXAMPLE)
        assert _all(data), "the report has findings to check"
        for finding in _all(data):
            assert ALWAYS <= set(finding) <= ALWAYS | OPTIONAL | NO_ENTRY_ONLY
            assert list(finding) == [k for k in FINDING_ORDER if k in finding]
            assert finding["status"] in {s.value for s in Status}
            assert finding.get("severity", "info") in {s.value for s in Severity}
            assert finding.get("muted", True) is True  # written only when muted
            assert finding.get("evidence", {"x": 1}) != {}  # written only when non-empty
    assert set(data["summary"]) == {"PASS", "FAIL", "ERROR", "muted"}


def test_top_level_values(sample_report: Report) -> None:
    data = _loaded(sample_report)
    assert data["schema_version"] == 2
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
    assert len(_all(data)) == len(sample_report.findings)


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


# --- nothing is lost ------------------------------------------------------------------------


def test_a_real_analysis_expands_to_exactly_what_version_1_wrote() -> None:
    report = rich_report()
    assert read_report(_loaded(report), "rich") == v1_dict(report)
    statuses = {f.status for f in report.findings}
    assert statuses == set(Status), "PASS, FAIL and ERROR are all exercised"


def test_a_real_analysis_writes_each_departure_and_nothing_else() -> None:
    report = rich_report()
    data = _loaded(report)
    checks = {c["id"]: c for c in data["checks"]}
    assert list(checks["KEY-002"]) == CONFIGURED_CHECK_KEYS
    assert checks["KEY-002"]["severity"] == "high"  # [checks.KEY-002] severity = "high"
    assert checks["KEY-002"]["catalog_severity"] == "medium"
    assert checks["KEY-002"]["severity_reason"] == (
        "set to high by [checks.KEY-002] in the configuration"
    )
    assert list(checks["USER-001"]) == CHECK_KEYS
    found = {(check, f.get("name") or name_from_arn(f["arn"])): f for check, f in _pairs(data)}
    # Configured, nothing else: the check's severity and reason, so nothing to say.
    assert set(found["KEY-002", "bob"]) == ALWAYS | {"evidence"}
    # Configured, then raised by the context rule: its own severity and reason.
    alice = found["KEY-002", "alice"]
    assert (alice["severity"], alice["severity_reason"]) == (
        "critical",
        "set to high by [checks.KEY-002] in the configuration; then raised from high: "
        "alice is admin-equivalent (AdministratorAccess via group admins)",
    )
    carol = found["KEY-002", "carol"]
    assert (carol["muted"], carol["mute_reason"]) == (True, "vendor; SEC-1")
    # PERM-011 is low for a user by its own judgement: the configured severity, another reason.
    perm = found["PERM-011", "alice"]
    assert "severity" not in perm
    assert perm["severity_reason"] == "set to low by the check for this resource (see detail)"
    assert perm["type"] == "AwsIamUser"  # the check's resource type is a role
    assert "type" not in found["PERM-011", "app"]
    # A role on a path and a name of odd characters: both the ARN's last segment.
    assert "name" not in found["ROLE-015", PATH_ROLE]
    assert "name" not in found["USER-001", ODD_USER]
    error = found["AA-001", "123456789012"]
    assert (error["status"], error["type"], error["name"]) == (
        "ERROR",
        "AwsAccount",
        report.account_id,
    )
    assert not any(set(f) & NO_ENTRY_ONLY for _, f in _pairs(data))


def _pairs(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(check, f) for check, group in data["findings"].items() for f in group]


def test_hand_made_reports_expand_to_their_findings(
    sample_report: Report, checks_report: Report, hostile_report: Report
) -> None:
    for report in (sample_report, checks_report, hostile_report, _reconfigured()):
        expanded = read_report(_loaded(report), "hand-made")
        # Hand-made findings are not in the analyzer's check order, so compare by id.
        assert _by_id(expanded["findings"]) == _by_id(v1_dict(report)["findings"])
        assert expanded["checks"] == v1_dict(report)["checks"]


def _reconfigured() -> Report:
    """KEY-002 set to high by the configuration; one finding the check itself left medium."""
    reason = "set to high by [checks.KEY-002] in the configuration"
    meta = make_meta("KEY-002", remediation="Rotate.", remediation_cli="aws iam x")
    common: dict[str, Any] = {
        "base_severity": Severity.MEDIUM,
        "remediation": "Rotate. CLI: aws iam x",
    }
    findings = [
        make_finding(
            "KEY-002", severity=Severity.HIGH, resource_name="a", severity_reason=reason, **common
        ),
        make_finding("KEY-002", severity=Severity.MEDIUM, resource_name="b", **common),
    ]
    report = make_report(findings, checks=[meta])
    return dataclasses.replace(report, configured={"KEY-002": Severity.HIGH})


def test_a_finding_without_a_reason_in_a_reconfigured_check_says_so() -> None:
    data = _loaded(_reconfigured())
    first, second = data["findings"]["KEY-002"]
    assert "severity" not in first and "severity_reason" not in first
    assert (second["severity"], second["severity_reason"]) == ("medium", None)


def test_findings_of_checks_without_an_entry_say_everything(sample_report: Report) -> None:
    data = _loaded(sample_report)  # a hand-made report: no check entries at all
    assert data["checks"] == []
    for finding in _all(data):
        assert NO_ENTRY_ONLY | {"severity", "type"} <= set(finding)
    # Checks in the order their first finding comes in report order.
    assert list(data["findings"]) == list(
        dict.fromkeys(f.check_id for f in ordered_findings(sample_report.findings))
    )


def test_the_whole_demo_account_expands_to_version_1() -> None:
    settings = Settings(
        checks={"USER-001": CheckOverride(severity=Severity.CRITICAL)},
        mutes=(Mute(check="KEY-002", resource="arn:aws:iam::*:user/*", reason="demo"),),
    )
    with demo_session() as session:
        report = run_audit(settings, session=session).report
    data = _loaded(report)
    assert read_report(data, "demo") == v1_dict(report)
    assert len(report.findings) > 50
    assert any(f.muted for f in report.findings)
    assert any(f.severity_reason and "raised" in f.severity_reason for f in report.findings)
    assert next(c for c in data["checks"] if c["id"] == "USER-001")["severity"] == "critical"
    # A real run never needs the keys only findings of unknown checks carry.
    assert not any(set(f) & NO_ENTRY_ONLY for f in _all(data))


# --- the name rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        ("arn:aws:iam::123456789012:user/alice", "alice"),
        ("arn:aws:iam::123456789012:user/division/team/alice", "alice"),
        ("arn:aws:iam::123456789012:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX",
         "AWSServiceRoleForX"),
        ("arn:aws:iam::123456789012:group/admins", "admins"),
        ("arn:aws:iam::123456789012:policy/ops/Deploy", "Deploy"),
        ("arn:aws-cn:iam::123456789012:user/o.k+=,@_-1", "o.k+=,@_-1"),
        ("arn:aws:iam::123456789012:root", "root"),
        ("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
         "token.actions.githubusercontent.com"),
        ("arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC", "ABC"),
        ("arn:aws:iam::123456789012:server-certificate/web", "web"),
        ("arn:aws:access-analyzer:us-east-1:123456789012:*", "*"),
        ("arn:aws:iam::123456789012:user/", ""),
        ("no-separator", "no-separator"),
        ("", ""),
    ],
)  # fmt: skip
def test_name_from_arn(arn: str, name: str) -> None:
    assert name_from_arn(arn) == name


@pytest.mark.parametrize(
    ("arn", "name", "written"),
    [
        ("arn:aws:iam::123456789012:user/alice", "alice", False),
        ("arn:aws:iam::123456789012:user/ops/alice", "alice", False),
        ("arn:aws:iam::123456789012:root", "<root_account>", True),
        ("arn:aws:iam::123456789012:root", "123456789012", True),
        ("arn:aws:iam::123456789012:user/Alice", "alice", True),
        ("arn:aws:iam::123456789012:user/a/b", "a/b", True),
        ("arn:aws:iam::123456789012:user/a:b", "a:b", False),
        ("arn:aws:iam::123456789012:user/ünïcødé\u202e", "ünïcødé\u202e", False),
        ("arn:aws:iam::123456789012:user/alice ", "alice", True),
        ("arn:aws:iam::123456789012:user/", "", False),
        ("<script>alert(1)</script>", "<script>alert(1)</script>", True),
        ("arn:aws:iam::123456789012:", "", False),
    ],
)
def test_a_name_is_written_only_when_the_arn_does_not_give_it(
    arn: str, name: str, written: bool
) -> None:
    finding = make_finding("USER-001", resource_arn=arn, resource_name=name)
    report = make_report([finding], checks=[make_meta("USER-001")])
    (line,) = _loaded(report)["findings"]["USER-001"]
    assert ("name" in line) is written
    (expanded,) = read_report(_loaded(report), "names")["findings"]
    assert (expanded["resource_arn"], expanded["resource_name"]) == (arn, name)


# --- the file --------------------------------------------------------------------------------


def test_output_is_deterministic_utf8_with_trailing_newline(checks_report: Report) -> None:
    first = render_json(checks_report)
    assert first == render_json(checks_report)
    assert render_json(rich_report()) == render_json(rich_report())  # two analyses, one text
    assert first.endswith(b"}\n")
    assert "AKIA…WXYZ".encode() in first  # non-ASCII kept, not \u-escaped
    assert report_to_dict(checks_report) == json.loads(first)


CHECK_LINE = re.compile(r'^    "[A-Z]+-\d{3}": \[(\],?)?$')
FINDING_LINE = re.compile(r'^      \{"id":".*\},?$')


def test_one_finding_per_line(checks_report: Report, make_report: MakeReport) -> None:
    lines = render_json(checks_report).decode().splitlines()
    start = lines.index('  "findings": {')
    assert lines[-2:] == ["  }", "}"]
    body = lines[start + 1 : -2]
    findings = [line for line in body if FINDING_LINE.match(line)]
    headers = [line for line in body if CHECK_LINE.match(line)]
    closing = [line for line in body if line in ("    ],", "    ]")]
    assert len(findings) + len(headers) + len(closing) == len(body)
    assert len(findings) == len(checks_report.findings)
    for line in findings:
        json.loads(line.rstrip(","))
    assert [h.split('"')[1] for h in headers] == [m.id for m in checks_report.checks]
    assert '    "CERT-002": []' in headers  # it ran and found nothing (the last check)
    empty = render_json(make_report([])).decode()
    assert empty.endswith('  "checks": [],\n  "findings": {}\n}\n')
    assert json.loads(empty)["findings"] == {}


def test_stream_json_yields_at_most_one_finding_at_a_time(checks_report: Report) -> None:
    chunks = list(stream_json(checks_report))
    assert b"".join(chunks) == render_json(checks_report)
    finding = re.compile(rb'\{"id":"[0-9a-f]{32}"')
    assert max(len(finding.findall(chunk)) for chunk in chunks) == 1
    assert len(chunks) > len(checks_report.findings)


def test_one_check_per_line(checks_report: Report, make_report: MakeReport) -> None:
    lines = render_json(checks_report).decode().splitlines()
    start = lines.index('  "checks": [')
    end = lines.index('  "findings": {')
    assert lines[end - 1] == "  ],"
    check_lines = lines[start + 1 : end - 1]
    assert len(check_lines) == len(checks_report.checks)
    for line, meta in zip(check_lines, checks_report.checks, strict=True):
        assert line.startswith('    {"id":')
        assert json.loads(line.rstrip(","))["id"] == meta.id


def test_checks_list_every_check_run_with_its_metadata(checks_report: Report) -> None:
    data = _loaded(checks_report)
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
    key = next(c for c in data["checks"] if c["id"] == "KEY-002")
    assert key["compliance"] == {"CIS-7.0": ["2.12"], "CIS-5.0": ["1.13"], "AWS-FSBP": ["IAM.3"]}
    assert key["references"][1] == "CIS AWS Foundations Benchmark v7.0, 2.12"


def test_hostile_strings_stay_data(hostile_report: Report, make_report: MakeReport) -> None:
    data = _loaded(hostile_report)
    names = {f["resource_name"] for f in read_report(data, "hostile")["findings"]}
    assert "<script>alert(1)</script>" in names
    assert '"><img src=x onerror=alert(1)>' in names
    assert data["account_id"] == "<script>alert(1)</script>"
    report = make_report([], checks=[hostile_meta(p) for p in HOSTILE[:1]])
    (entry,) = _loaded(report)["checks"]
    payload = HOSTILE[0]
    assert entry["title"] == entry["rationale"] == entry["remediation_cli"] == payload
    assert entry["references"] == [payload, f"https://example.com/{payload}"]


def test_odd_evidence_is_still_strict_json(
    make_report: MakeReport, make_finding: MakeFinding
) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    report = make_report(
        [make_finding(evidence={"seen": when, "ids": {"b", "a"}, "ratio": float("nan")})]
    )
    text = render_json(report).decode()
    (finding,) = json.loads(text, parse_constant=_reject)["findings"]["KEY-002"]
    assert finding["evidence"] == {
        "seen": "2026-01-02T03:04:05Z",
        "ids": ["a", "b"],
        "ratio": "nan",
    }


def _reject(token: str) -> None:
    raise AssertionError(f"non-standard JSON constant {token}")


# --- size -----------------------------------------------------------------------------------

# What version 1 repeated in every finding and version 2 says once per check (or not at all).
REPEATED = (
    "check_id", "slug", "title", "resource_type", "remediation", "compliance",
    "base_severity", "severity_reason", "mute_reason", "muted", "resource_name",
)  # fmt: skip


def test_a_finding_costs_less_than_version_1_by_at_least_what_it_no_longer_repeats() -> None:
    report = _large_report(users=300)
    v1 = render_v1(report)
    v2 = render_json(report)
    count = len(report.findings)
    repeated = sum(
        len(json.dumps({k: row[k] for k in REPEATED}, ensure_ascii=False)) - 2
        for row in v1_dict(report)["findings"]
    )
    assert len(v2) / count <= (len(v1) - repeated) / count
    assert read_report(json.loads(v2), "large") == json.loads(v1)


def _large_report(users: int) -> Report:
    """``users`` users judged by four checks with catalog-sized metadata, mostly PASS."""
    metas = [
        make_meta(
            check_id,
            severity,
            rationale="Why it matters. " * 12,
            remediation="Open IAM > Users > the user > Security credentials, then fix it. " * 3,
            remediation_cli="aws iam update-access-key --user-name USER --access-key-id KEY",
            compliance=Compliance(cis_7=("2.12",), cis_5=("1.13",), fsbp=("IAM.3",)),
        )
        for check_id, severity in (
            ("USER-001", Severity.HIGH),
            ("USER-002", Severity.MEDIUM),
            ("KEY-001", Severity.MEDIUM),
            ("KEY-002", Severity.MEDIUM),
        )
    ]
    findings = [
        make_finding(
            meta.id,
            Status.FAIL if n % 7 == 0 else Status.PASS,
            meta.severity,
            f"user-{n:05d}",
            slug=meta.slug,
            title=meta.title,
            remediation=f"{meta.remediation.strip()} CLI: {meta.remediation_cli}",
            compliance=meta.compliance,
            resource_type=ResourceType.USER,
            detail=f"user-{n:05d}: {meta.id} judged on its credential-report row.",
            evidence={"age_days": n % 400} if n % 2 else {},
        )
        for meta in metas
        for n in range(users)
    ]
    return make_report(findings, checks=metas)


def test_the_architecture_note_shows_the_contract_tested_here() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text[text.index("## Report JSON") :]
    block = re.search(r"^```json\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert block is not None, "docs/architecture.md lost its Report JSON example"
    assert json.loads(block.group(1)) == DOC_EXAMPLE


README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_the_readme_jq_gives_every_finding_as_version_1_spelled_it() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Report JSON") : text.index("## Configuration")]
    block = re.search(r"^```sh\n(jq .*? report\.json)\n```", section, re.MULTILINE | re.DOTALL)
    assert block is not None, "the README lost its jq command"
    command = shlex.split(block.group(1))
    assert command[0] == "jq" and command[-1] == "report.json"
    report = rich_report()
    text_v2 = render_json(report)
    done = subprocess.run(  # noqa: S603 (the README's own command, on a report of our making)
        command[:-1], input=text_v2, capture_output=True, check=True
    )
    rows = json.loads(done.stdout)
    assert _by_id(rows) == _by_id(v1_dict(report)["findings"])
