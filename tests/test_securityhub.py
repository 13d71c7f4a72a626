"""auditor.securityhub: batches of 100 into moto's Security Hub, failures reported, and the
CLI's exit code and permission statement for --send-to-security-hub."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from auditor import cli
from auditor.errors import ExitCode
from auditor.iam_policy import SECURITY_HUB_SID, policy_document
from auditor.model import (
    Compliance,
    Finding,
    Report,
    ResourceType,
    Score,
    Severity,
    Status,
    Tool,
    finding_id,
)
from auditor.report.asff import report_to_asff
from auditor.securityhub import (
    BATCH_SIZE,
    FailedImport,
    SendResult,
    batches,
    describe,
    send_findings,
    send_to_security_hub,
)

REGION = "eu-west-1"


def many_findings(n: int) -> Report:
    """A report of ``n`` KEY-002 findings on users, every third one PASS."""
    account = "123456789012"
    findings = []
    for i in range(n):
        arn = f"arn:aws:iam::{account}:user/user{i:04d}"
        findings.append(
            Finding(
                finding_id=finding_id(account, "KEY-002", arn),
                check_id="KEY-002",
                slug="access-key-rotation",
                title="Active access keys are rotated within 90 days",
                severity=Severity.MEDIUM,
                base_severity=Severity.MEDIUM,
                status=Status.FAIL if i % 3 else Status.PASS,
                resource_type=ResourceType.USER,
                resource_arn=arn,
                resource_name=f"user{i:04d}",
                detail="Access key 1 is 120 days old; limit is 90.",
                evidence={},
                remediation="Rotate the key.",
                compliance=Compliance(cis_7=("2.12",)),
            )
        )
    return Report(
        tool=Tool("iam-auditor", "1.2.3"),
        account_id=account,
        partition="aws",
        generated_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        credential_report_generated_at=None,
        score=Score(50.0, "F"),
        findings=tuple(findings),
        gaps=(),
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def count_calls(session: boto3.Session) -> Counter[str]:
    calls: Counter[str] = Counter()

    def note(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    session.events.register("before-call.securityhub", note)
    return calls


@pytest.mark.parametrize("n", [1, 100, 101, 250])
def test_sends_in_batches_of_100(aws: boto3.Session, n: int) -> None:
    report = many_findings(n)
    findings = report_to_asff(report, region=REGION)
    calls = count_calls(aws)
    result = send_to_security_hub(aws, findings, region=REGION)
    assert result.ok
    assert result.imported == n
    assert result.calls == calls["BatchImportFindings"] == math.ceil(n / BATCH_SIZE)
    hub = aws.client("securityhub", region_name=REGION)
    stored = [f for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]]
    assert sorted(f["Id"] for f in stored) == sorted(f["Id"] for f in findings)
    by_id = {f["Id"]: f for f in stored}
    for item in findings:
        assert by_id[item["Id"]]["Compliance"]["Status"] == item["Compliance"]["Status"]


def test_a_second_run_updates_the_same_findings(aws: boto3.Session) -> None:
    report = many_findings(5)
    first = report_to_asff(report, region=REGION)
    send_to_security_hub(aws, first, region=REGION)
    second = [dict(f, Compliance={"Status": "PASSED"}) for f in first]
    assert send_to_security_hub(aws, second, region=REGION).imported == 5
    hub = aws.client("securityhub", region_name=REGION)
    stored = hub.get_findings()["Findings"]
    assert len(stored) == 5
    assert {f["Compliance"]["Status"] for f in stored} == {"PASSED"}


def test_refused_findings_are_reported(aws: boto3.Session) -> None:
    findings = report_to_asff(many_findings(150), region=REGION)
    # moto refuses a finding without resources, as Security Hub does.
    findings[3] = dict(findings[3], Resources=[])
    findings[120] = dict(findings[120], Resources=[])
    result = send_to_security_hub(aws, findings, region=REGION)
    assert not result.ok
    assert result.imported == 148
    assert [f.id for f in result.failed] == [findings[3]["Id"], findings[120]["Id"]]
    assert {f.code for f in result.failed} == {"InvalidInput"}


class FailingClient:
    """A client whose first call fails as a whole; later calls import everything."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:
        self.batches.append(len(Findings))
        if len(self.batches) == 1:
            error = {"Code": "InvalidAccessException", "Message": "Security Hub is not enabled"}
            raise ClientError({"Error": error}, "BatchImportFindings")
        return {"FailedCount": 0, "SuccessCount": len(Findings), "FailedFindings": []}


def test_a_failed_call_fails_its_batch_and_the_rest_are_tried() -> None:
    findings = [{"Id": f"f{i}"} for i in range(230)]
    client = FailingClient()
    result = send_findings(client, findings)
    assert client.batches == [100, 100, 30]
    assert result.imported == 130
    assert [f.id for f in result.failed] == [f"f{i}" for i in range(100)]
    assert result.failed[0] == FailedImport(
        "f0", "InvalidAccessException", "Security Hub is not enabled"
    )


def test_batches() -> None:
    assert [len(b) for b in batches([{"i": i} for i in range(205)])] == [100, 100, 5]
    assert list(batches([])) == []


def test_batches_read_a_generator_one_batch_ahead() -> None:
    """The CLI sends ``asff_findings``, a generator: only a batch of it is made at a time."""
    made: list[int] = []

    def findings() -> Iterator[dict[str, int]]:
        for i in range(250):
            made.append(i)
            yield {"i": i}

    stream = batches(findings())
    assert [f["i"] for f in next(stream)] == list(range(100))
    assert len(made) == 100
    assert [len(b) for b in stream] == [100, 50]


def test_describe_caps_the_failures() -> None:
    result = SendResult(
        imported=3, failed=[FailedImport(f"id{i}", "E", "why") for i in range(12)], calls=1
    )
    lines = describe(result, region=REGION, limit=10)
    assert lines[0] == f"Security Hub ({REGION}): imported 3 of 15 finding(s) in 1 call(s)"
    assert lines[1] == "  not imported: id0: E: why"
    assert lines[-1] == "  ... and 2 more not imported"
    assert len(lines) == 12


def test_cli_exits_4_when_the_import_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = SendResult(imported=1, failed=[FailedImport("x", "AccessDenied", "no")], calls=1)
    monkeypatch.setattr("auditor.securityhub.send_to_security_hub", lambda *a, **k: failed)
    code = cli._send_to_security_hub(object(), many_findings(2), REGION, quiet=True)  # type: ignore[arg-type]
    assert code == ExitCode.SEND_FAILED == 4
    err = capsys.readouterr().err
    assert "iam-auditor: error: Security Hub (eu-west-1): imported 1 of 2" in err
    assert "not imported: x: AccessDenied: no" in err


def test_cli_keeps_the_audit_exit_code_when_the_import_succeeds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = SendResult(imported=2, calls=1)
    monkeypatch.setattr("auditor.securityhub.send_to_security_hub", lambda *a, **k: ok)
    assert cli._send_to_security_hub(object(), many_findings(2), REGION, quiet=False) == 0  # type: ignore[arg-type]
    assert "imported 2 of 2" in capsys.readouterr().err


def test_cli_refuses_sending_a_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["audit", "--from-snapshot", str(tmp_path / "s.json"), "--send-to-security-hub", "-q"]
    )
    assert code == 2
    assert "--send-to-security-hub needs a live audit" in capsys.readouterr().err


def test_cli_rejects_an_unknown_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", "--compliance", "cis-9.9", "--format", "cis"]) == 2
    assert "unknown compliance benchmark 'cis-9.9'" in capsys.readouterr().err


def test_security_hub_statement_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    plain = policy_document()
    assert all("securityhub" not in str(s["Action"]) for s in plain["Statement"])
    with_hub = policy_document(security_hub=True)
    assert with_hub["Statement"][:-1] == plain["Statement"]
    last = with_hub["Statement"][-1]
    assert last["Sid"] == SECURITY_HUB_SID
    assert last["Action"] == ["securityhub:BatchImportFindings"]
    assert last["Resource"].endswith(":product/*/default")
    assert cli.main(["permissions", "--security-hub"]) == 0
    assert "securityhub:BatchImportFindings" in capsys.readouterr().out
    assert cli.main(["permissions"]) == 0
    assert "securityhub" not in capsys.readouterr().out
