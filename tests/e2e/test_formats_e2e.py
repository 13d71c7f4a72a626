"""The CIS, OCSF and ASFF formats end to end, and ``--send-to-security-hub`` into the moto
server's Security Hub: every file is parsed back and compared with the run's report.json.

Sending is the one write an audit may make besides GenerateCredentialReport, and only when
asked; the read-only guard excuses it only in the run that passes the flag and names it
(``allow_writes``), and a run that sends without that allowance is caught.
"""

from __future__ import annotations

import io
import json
import math
import stat
from pathlib import Path
from typing import Any

import botocore.session
import pandas as pd
import pytest
from botocore.validate import ParamValidator
from py_ocsf_models.events.findings.detection_finding import DetectionFinding

from auditor.demo import moto_account
from auditor.report.cis import benchmark

from .audit_helpers import PASSWORD, audit
from .conftest import AwsClient, OperationLog, ReadOnlyViolation, RunCli

# How the moto server names BatchImportFindings (a REST-JSON call: method and path).
IMPORT_FINDINGS = "securityhub:POST /findings/import"
USERS = 14


def build_account(iam: Any) -> None:
    """Console users with keys, half with direct policies: findings for several batches."""
    moto_account.set_root_state(
        access_keys_present=False, mfa_enabled=True, password_last_used_days_ago=200
    )
    iam.update_account_password_policy(MinimumPasswordLength=8)
    for i in range(USERS):
        name = f"person{i:02d}"
        iam.create_user(UserName=name)
        iam.create_login_profile(UserName=name, Password=PASSWORD)
        iam.create_access_key(UserName=name)
        if i % 2:
            iam.put_user_policy(
                UserName=name,
                PolicyName="direct",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                    }
                ),
            )


def expected_control_statuses(report: dict[str, Any], framework: str) -> dict[str, str]:
    """The export's rule applied to report.json alone: its checks' mappings and findings."""
    covering: dict[str, set[str]] = {}
    for check in report["checks"]:
        for control in check["compliance"].get(framework, []):
            covering.setdefault(control, set()).add(check["id"])
    out = {}
    for control, checks in covering.items():
        mine = [f for f in report["findings"] if f["check_id"] in checks]
        if any(f["status"] == "FAIL" and not f["muted"] for f in mine):
            out[control] = "FAIL"
        elif any(f["status"] == "ERROR" for f in mine):
            out[control] = "ERROR"
        else:
            out[control] = "PASS"
    return out


def asff_validation_errors(findings: list[dict[str, Any]]) -> str:
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    result = ParamValidator().validate({"Findings": findings}, shape)
    return result.generate_report() if result.has_errors() else ""


def test_cis_ocsf_and_asff_files_agree_with_report_json(
    aws_client: AwsClient, run_cli: RunCli, tmp_path: Path
) -> None:
    build_account(aws_client("iam"))
    out = tmp_path / "reports"
    run = audit(
        run_cli,
        out,
        "--format",
        "json,cis,ocsf,asff",
        "--compliance",
        "cis-7.0,cis-5.0",
        "--region",
        "eu-west-1",
    )
    errors = [(f["check_id"], f["detail"]) for f in run.findings if f["status"] == "ERROR"]
    assert run.proc.returncode == 1, (run.proc.stderr, errors)
    report = run.report
    assert report is not None and report["complete"] is True
    names = ["cis-7.0.csv", "cis-7.0.html", "cis-5.0.csv", "cis-5.0.html"]
    names += ["report.json", "report.ocsf.json", "report.asff.json"]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    for name in names:
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name

    # CIS: every control of the section, and each automated one's status from report.json.
    for key in ("cis-7.0", "cis-5.0"):
        bench = benchmark(key)
        frame = pd.read_csv(
            io.BytesIO((out / f"{key}.csv").read_bytes()),
            encoding="utf-8-sig",
            dtype=str,
            keep_default_na=False,
        )
        assert list(frame["control_id"]) == [c.id for c in bench.controls]
        statuses = dict(zip(frame["control_id"], frame["status"], strict=True))
        expected = expected_control_statuses(report, bench.framework)
        assert {c: statuses[c] for c in expected} == expected
        assert {s for c, s in statuses.items() if c not in expected} == {"MANUAL"}
        assert "FAIL" in expected.values() and "PASS" in expected.values()
        assert set(frame["account_id"]) == {report["account_id"]}
        assert set(frame["audit_complete"]) == {"true"}
        html = (out / f"{key}.html").read_text(encoding="utf-8")
        for control in bench.controls:
            assert f'data-control="{control.id}" data-status="{statuses[control.id]}"' in html

    # OCSF: one valid Detection Finding per finding, same ids, verdicts and resources.
    events = json.loads((out / "report.ocsf.json").read_text(encoding="utf-8"))
    assert [e["finding_info"]["uid"] for e in events] == [
        f["finding_id"] for f in report["findings"]
    ]
    for event, finding in zip(events, report["findings"], strict=True):
        DetectionFinding.model_validate(event)
        assert event["status_code"] == finding["status"]
        assert event["resources"][0]["uid"] == finding["resource_arn"]
        assert event["cloud"]["region"] == "eu-west-1"

    # ASFF: valid for BatchImportFindings, one per finding, same verdicts.
    findings = json.loads((out / "report.asff.json").read_text(encoding="utf-8"))
    assert asff_validation_errors(findings) == ""
    assert [f["Id"].rsplit("/", 1)[1] for f in findings] == [
        f["finding_id"] for f in report["findings"]
    ]
    statuses = {"PASS": "PASSED", "FAIL": "FAILED", "ERROR": "WARNING"}
    for item, finding in zip(findings, report["findings"], strict=True):
        assert item["Compliance"]["Status"] == statuses[finding["status"]]
        assert item["ProductArn"].startswith("arn:aws:securityhub:eu-west-1:")


def test_send_to_security_hub_imports_every_finding_in_batches_of_100(
    aws_client: AwsClient, run_cli: RunCli, cli_operations: OperationLog, tmp_path: Path
) -> None:
    build_account(aws_client("iam"))
    args = ("--send-to-security-hub", "--format", "json,asff", "--region", "us-east-1")

    # Without naming the write, the read-only guard stops the run's test.
    with pytest.raises(ReadOnlyViolation, match="securityhub:POST /findings/import"):
        audit(run_cli, tmp_path / "unannounced", *args)

    run = audit(run_cli, tmp_path / "sent", *args, allow_writes={IMPORT_FINDINGS})
    assert run.proc.returncode == 1, run.proc.stderr  # the audit's own verdict
    report = run.report
    assert report is not None
    total = len(report["findings"])
    assert total > 2 * 100
    assert f"imported {total} of {total} finding(s)" in run.proc.stderr
    assert cli_operations.runs[-1][IMPORT_FINDINGS] == math.ceil(total / 100)
    written = json.loads((tmp_path / "sent" / "report.asff.json").read_text(encoding="utf-8"))

    hub = aws_client("securityhub")
    stored = [f for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]]
    assert sorted(f["Id"] for f in stored) == sorted(f["Id"] for f in written)
    by_id = {f["Id"]: f for f in stored}
    for item in written:
        assert by_id[item["Id"]]["Compliance"] == item["Compliance"]
        assert by_id[item["Id"]]["Severity"] == item["Severity"]
