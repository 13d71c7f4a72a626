"""Hard rule 1 of docs/architecture.md: an audit only reads; its one write is asking for the
credential report.

``tests/e2e/conftest.py`` holds every end-to-end test to this (``cli_operations``, fed by
``run_cli``). These tests prove that guard: that it rejects writes, that it sees the
requests reaching both the moto server and the Access Analyzer stub but not the test's
own setup, and that a full audit - assuming a role first - makes exactly the calls the
printed least-privilege policy names, plus ``sts:AssumeRole``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from auditor.demo import moto_account
from auditor.demo.access_analyzer import ANY_REGION, analyzer
from auditor.iam_policy import required_actions
from testkit.server import AccessAnalyzerStub, MotoServer

from .conftest import (
    AwsClient,
    OperationLog,
    ReadOnlyViolation,
    RunCli,
    check_read_only,
    is_read_only,
)


@pytest.mark.parametrize(
    "operation",
    [
        "iam:GetAccountAuthorizationDetails",
        "iam:ListVirtualMFADevices",
        "ec2:DescribeRegions",
        "access-analyzer:ListAnalyzers",
        "iam:GenerateCredentialReport",
        "sts:AssumeRole",
        "sts:GetCallerIdentity",
    ],
)
def test_reads_are_allowed(operation: str) -> None:
    assert is_read_only(operation)


@pytest.mark.parametrize(
    "operation",
    [
        "iam:CreateUser",
        "iam:DeleteAccessKey",
        "iam:UpdateAccessKey",
        "iam:PutUserPolicy",
        "iam:TagRole",
        "iam:GenerateServiceLastAccessedDetails",
        "sts:AssumeRoleWithWebIdentity",
        "access-analyzer:CreateAnalyzer",
        "access-analyzer:PUT /analyzer",
        "unsigned:GET /",
        "iam:Getaway",
    ],
)
def test_anything_else_is_not(operation: str) -> None:
    assert not is_read_only(operation)


def test_the_guard_fails_on_a_recorded_write() -> None:
    check_read_only({"iam:ListUsers": 3, "sts:GetCallerIdentity": 1})
    with pytest.raises(ReadOnlyViolation) as caught:
        check_read_only({"iam:ListUsers": 3, "iam:CreateUser": 1, "iam:DeleteUser": 2})
    message = str(caught.value)
    assert "iam:CreateUser x1" in message
    assert "iam:DeleteUser x2" in message
    assert "ListUsers" not in message


def test_the_printed_policy_is_on_the_allow_list() -> None:
    assert [a for a in required_actions() if not is_read_only(a)] == []


def test_the_guard_sees_writes_reaching_the_server_and_the_stub(
    aws_client: AwsClient, server: MotoServer, aa_stub: AccessAnalyzerStub
) -> None:
    # A log of this test's own, so the violations below do not fail it at teardown.
    log = OperationLog()
    iam = aws_client("iam")
    with pytest.raises(ReadOnlyViolation, match=r"iam:CreateUser x1"), log.watch(server, aa_stub):
        iam.list_users()
        iam.create_user(UserName="intruder")
    assert log.runs == [{"iam:CreateUser": 1, "iam:ListUsers": 1}]

    access_analyzer = aws_client("accessanalyzer")
    with (
        pytest.raises(ReadOnlyViolation, match=r"access-analyzer:PUT /analyzer"),
        log.watch(server, aa_stub),
        pytest.raises(ClientError),  # the stub answers only ListAnalyzers
    ):
        access_analyzer.create_analyzer(analyzerName="x", type="ACCOUNT")
    assert log.runs[-1] == {"access-analyzer:PUT /analyzer": 1}


@pytest.fixture
def auditor_role(aws_client: AwsClient, aa_stub: AccessAnalyzerStub) -> str:
    """A small account with a role the CLI can assume (``--role-arn``); the role's ARN."""
    iam = aws_client("iam")
    iam.create_user(UserName="alice")
    iam.create_access_key(UserName="alice")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName="auditor", AssumeRolePolicyDocument=json.dumps(trust))
    aa_stub.set_analyzers(ANY_REGION, [analyzer("ExternalAccess")])
    moto_account.set_root_state(access_keys_present=False, mfa_enabled=True)
    return str(role["Role"]["Arn"])


def test_a_full_audit_calls_only_what_the_policy_names(
    auditor_role: str,
    server: MotoServer,
    run_cli: RunCli,
    cli_operations: OperationLog,
    tmp_path: Path,
) -> None:
    out = tmp_path / "reports"
    done = run_cli(
        "audit", "--role-arn", auditor_role, "--output-dir", out, "--format", "json", "-q"
    )
    assert done.returncode in (0, 1), done.stderr
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["complete"] is True

    (calls,) = cli_operations.runs
    # Exactly the documented policy (plus assuming the role): no undeclared read either.
    assert set(calls) == {*required_actions(), "sts:AssumeRole"}
    assert calls["sts:AssumeRole"] == 1
    # The setup's writes reached the same server but are not the CLI's.
    assert server.calls()["iam:CreateUser"] == 1
    assert "iam:CreateUser" not in calls
