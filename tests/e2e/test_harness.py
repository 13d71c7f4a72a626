"""The end-to-end harness itself: what a test arranges is what a client sees over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

import auditor
from auditor.demo import moto_account
from auditor.demo.access_analyzer import ACCESS_ANALYZER_ENDPOINT_ENV, analyzer
from testkit.server import AccessAnalyzerStub, MotoServer, cli_env

from .conftest import AwsClient, RunCli


def _report(iam: Any) -> list[dict[str, str]]:
    iam.generate_credential_report()
    content = iam.get_credential_report()["Content"].decode("utf-8")
    return moto_account.credential_report_rows(content)


def _parse(cell: str) -> datetime:
    return datetime.fromisoformat(cell)


def test_backdated_key_shows_in_the_credential_report_over_http(
    aws_client: AwsClient, backend: Any, server: MotoServer
) -> None:
    iam = aws_client("iam")
    iam.create_user(UserName="alice")
    key_id = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]

    assert moto_account.backdate_access_key("alice", 1, created_days_ago=100) == key_id
    assert backend.get_user("alice").access_keys[0].access_key_id == key_id

    (row,) = _report(iam)
    rotated = _parse(row["access_key_1_last_rotated"])
    expected = datetime.now(UTC) - timedelta(days=100)
    assert abs(rotated - expected) < timedelta(minutes=5)
    assert row["access_key_1_last_used_date"] == "N/A"
    # The server counted exactly the calls this test made, by operation.
    assert server.calls() == {
        "iam:CreateUser": 1,
        "iam:CreateAccessKey": 1,
        "iam:GenerateCredentialReport": 1,
        "iam:GetCredentialReport": 1,
    }


def test_each_test_starts_from_an_empty_account(aws_client: AwsClient, server: MotoServer) -> None:
    # The previous test's user must be gone: the fixture reset the server.
    assert aws_client("iam").list_users()["Users"] == []
    assert server.calls() == {"iam:ListUsers": 1}


def test_root_state_reaches_summary_and_credential_report(aws_client: AwsClient) -> None:
    iam = aws_client("iam")
    iam.create_user(UserName="bob")
    patch = moto_account.set_root_state(
        access_keys_present=True, mfa_enabled=True, root_key_last_used_days_ago=3
    )

    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["AccountAccessKeysPresent"] == 1
    assert summary["AccountMFAEnabled"] == 1
    assert summary["AccountPasswordPresent"] == 1
    rows = _report(iam)
    assert [r["user"] for r in rows] == ["<root_account>", "bob"]
    root = rows[0]
    assert root["arn"] == "arn:aws:iam::123456789012:root"
    assert (root["mfa_active"], root["access_key_1_active"]) == ("true", "true")
    used = _parse(root["access_key_1_last_used_date"])
    assert abs(used - (datetime.now(UTC) - timedelta(days=3))) < timedelta(minutes=5)

    patch.undo()
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountAccessKeysPresent"], summary["AccountMFAEnabled"]) == (0, 0)
    assert [r["user"] for r in _report(iam)] == ["bob"]


def test_access_analyzer_stub_answers_boto3_through_the_env_variable(
    aa_stub: AccessAnalyzerStub, server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    aa_stub.set_analyzers("us-east-1", [analyzer("main", region="us-east-1")])
    aa_stub.fail("ap-south-1")
    # AWS_ENDPOINT_URL points at moto (which has no Access Analyzer); the service-specific
    # variable must win for accessanalyzer clients.
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
    monkeypatch.setenv(ACCESS_ANALYZER_ENDPOINT_ENV, aa_stub.endpoint)

    east = boto3.client("accessanalyzer", region_name="us-east-1")
    assert east.meta.endpoint_url == aa_stub.endpoint
    assert [a["name"] for a in east.list_analyzers()["analyzers"]] == ["main"]
    assert east.list_analyzers(type="ORGANIZATION")["analyzers"] == []
    assert (
        boto3.client("accessanalyzer", region_name="eu-west-1").list_analyzers()["analyzers"] == []
    )
    with pytest.raises(ClientError) as denied:
        boto3.client("accessanalyzer", region_name="ap-south-1").list_analyzers()
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert aa_stub.regions_asked() == ["us-east-1", "us-east-1", "eu-west-1", "ap-south-1"]
    assert server.calls() == {}


def test_cli_env_reaches_only_the_local_endpoints(
    server: MotoServer, aa_stub: AccessAnalyzerStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    env = cli_env(server.endpoint, aa_stub.endpoint)
    assert "AWS_PROFILE" not in env
    probe = (
        "import boto3, json; s = boto3.Session(); "
        "print(json.dumps({'iam': s.client('iam').meta.endpoint_url, "
        "'aa': s.client('accessanalyzer').meta.endpoint_url, "
        "'key': s.get_credentials().access_key, 'region': s.region_name}))"
    )
    out = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == {
        "iam": server.endpoint,
        "aa": aa_stub.endpoint,
        "key": "testing",
        "region": "us-east-1",
    }


def test_run_cli_runs_the_installed_console_script(run_cli: RunCli) -> None:
    done = run_cli("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"iam-auditor {auditor.__version__}"


def test_enforced_auth_holds_a_user_to_its_policy(
    aws_client: AwsClient, server: MotoServer
) -> None:
    iam = aws_client("iam")
    iam.create_user(UserName="auditor")
    iam.put_user_policy(
        UserName="auditor",
        PolicyName="list-users",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    server.enforce_auth()
    as_auditor = aws_client(
        "iam",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    assert [u["UserName"] for u in as_auditor.list_users()["Users"]] == ["auditor"]
    with pytest.raises(ClientError) as denied:
        as_auditor.create_user(UserName="intruder")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    server.stop_enforcing_auth()
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["auditor"]


def test_the_demo_account_can_be_built_on_the_server(
    aws_client: AwsClient, server: MotoServer
) -> None:
    from auditor.demo.account import build_demo_account

    build_demo_account(endpoint_url=server.endpoint)
    iam = aws_client("iam")
    names = {u["UserName"] for u in iam.list_users()["Users"]}
    # Every user the demo creates went through the server, the attack-path chain's too.
    assert {"alice.admin", "legacy-deployer", "ci-deploy"} <= names
    assert server.calls()["iam:CreateUser"] == len(names)
    assert iam.get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 1
