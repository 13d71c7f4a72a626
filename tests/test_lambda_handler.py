"""The Lambda handler, invoked as Lambda invokes it: an event dict and a context object.

Everything runs on an in-process moto (``mock_aws``): the handler makes its own boto3
session from the environment, as it does in Lambda, and writes to a moto S3 bucket. Times
are frozen with freezegun, so the dated keys are known in advance. The state machine's
Distributed Map results are written into the bucket as Step Functions' ResultWriter writes
them (a manifest.json and JSON arrays of child executions), each child's output made by
the item processor of deploy/template.yaml itself.
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.decode import decode
from freezegun import freeze_time

from auditor import lambda_handler
from auditor.collect.session import CallRecorder
from auditor.config import ConfigError
from auditor.diff import diff_reports
from auditor.lambda_handler import (
    WORST_ACCOUNTS_MAX,
    HandlerError,
    JsonFormatter,
    LambdaSettings,
    Mode,
    child_result,
    handler,
    parse_event,
)
from auditor.report.json_read import read_report
from auditor.report.json_report import changes_to_dict
from auditor.sink import SinkError
from auditor.testing import moto_account

ACCOUNT = "123456789012"
BUCKET = "iam-auditor-reports-test"
PREFIX = "audits"
FIRST = "2026-11-23 10:00:00"
FIRST_FOLDER = f"{PREFIX}/{ACCOUNT}/2026/11/23/100000Z"
SECOND = "2026-11-24 06:30:15"
SECOND_FOLDER = f"{PREFIX}/{ACCOUNT}/2026/11/24/063015Z"
LATEST_FOLDER = f"{PREFIX}/{ACCOUNT}/latest"
NAMES = ("report.json", "report.csv", "report.html")
# AA-001 would ERROR in every region (moto has no Access Analyzer); without it the audit of
# an empty moto account is complete, and faster.
NO_AA = "[checks.AA-001]\nenabled = false\n"
SECRET_KEY = "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEYq1"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLEsessionTOKENzz9"


@dataclass
class FakeContext:
    """What the Lambda runtime passes as ``context`` (the parts the handler reads)."""

    aws_request_id: str = "3f1c9e52-5b7e-4a53-9d0e-7a2b4c1d8e6f"
    function_name: str = "iam-auditor"
    memory_limit_in_mb: int = 512

    def get_remaining_time_in_millis(self) -> int:
        return 840_000


# The handler installs its JSON log formatter on the root logger.
pytestmark = pytest.mark.usefixtures("restore_root_logger")


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, aws_session: boto3.Session) -> Any:
    """The report bucket in moto, and the function's environment pointing at it."""
    for name in list(os.environ):
        if name.startswith("AUDITOR_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AUDITOR_REPORT_BUCKET", BUCKET)
    monkeypatch.setenv("AUDITOR_REPORT_PREFIX", PREFIX)
    monkeypatch.setenv("AUDITOR_CONFIG", NO_AA)
    client = aws_session.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def invoke(event: Any = None, at: str = FIRST) -> dict[str, Any]:
    with freeze_time(at):
        return handler({} if event is None else event, FakeContext())


def body(s3: Any, key: str) -> bytes:
    return bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def report_json(s3: Any, key: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(body(s3, key))
    return data


def audit_report(s3: Any, key: str) -> dict[str, Any]:
    """An account's report.json, its findings complete (version 1's shape) whatever its version."""
    return read_report(report_json(s3, key), key)


def all_keys(s3: Any) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def recorded_session(monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    """Make the handler use a session whose API calls are counted."""
    recorder = CallRecorder()
    session = boto3.Session()
    recorder.attach(session)
    monkeypatch.setattr(lambda_handler, "_default_session", lambda: session)
    return recorder


# --- one account ---------------------------------------------------------------------------


def test_scheduled_event_writes_encrypted_reports_and_returns_their_summary(
    s3: Any, aws_session: boto3.Session
) -> None:
    aws_session.client("iam").create_user(UserName="alice")
    scheduled = {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2026-11-23T10:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/iam-auditor"],
        "detail": {},
    }
    result = invoke(scheduled)

    dated = [f"{FIRST_FOLDER}/{n}" for n in NAMES]
    latest = [f"{LATEST_FOLDER}/{n}" for n in NAMES]
    assert result["keys"] == dated
    assert result["latest_keys"] == latest
    assert result["report_json_key"] == f"{FIRST_FOLDER}/report.json"
    assert all_keys(s3) == sorted(dated + latest)
    types = ["application/json", "text/csv; charset=utf-8", "text/html; charset=utf-8"]
    for key, expected_type in zip(dated + latest, types * 2, strict=True):
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
        assert head["ContentType"] == expected_type
    for name in NAMES:
        assert body(s3, f"{FIRST_FOLDER}/{name}") == body(s3, f"{LATEST_FOLDER}/{name}")

    report = audit_report(s3, result["report_json_key"])
    assert report["generated_at"] == "2026-11-23T10:00:00Z"
    assert result["account_id"] == report["account_id"] == ACCOUNT
    assert result["audited"] is True
    assert result["score"] == report["score"]
    assert result["summary"] == report["summary"]
    assert result["complete"] is report["complete"]
    assert any(f["resource_name"] == "alice" for f in report["findings"])
    # moto has no root user, so the root-use checks ERROR: the audit is incomplete.
    assert report["complete"] is False
    assert result["exit_code"] == 3
    assert json.loads(json.dumps(result)) == result


def test_kms_key_encrypts_every_object_with_it(
    s3: Any, aws_session: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id = aws_session.client("kms").create_key()["KeyMetadata"]["KeyId"]
    monkeypatch.setenv("AUDITOR_KMS_KEY_ID", key_id)
    result = invoke()
    keys = result["keys"] + result["latest_keys"]
    assert len(keys) == 6
    for key in keys:
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"].endswith(key_id)


def test_second_run_replaces_latest_and_leaves_the_first_dated_reports(
    s3: Any, aws_session: boto3.Session
) -> None:
    first = invoke(at=FIRST)
    before = {k: (body(s3, k), s3.head_object(Bucket=BUCKET, Key=k)["ETag"]) for k in first["keys"]}
    aws_session.client("iam").create_user(UserName="bob")
    second = invoke(at=SECOND)

    assert second["keys"] == [f"{SECOND_FOLDER}/{n}" for n in NAMES]
    assert second["latest_keys"] == first["latest_keys"]
    for key, (content, etag) in before.items():
        assert body(s3, key) == content
        assert s3.head_object(Bucket=BUCKET, Key=key)["ETag"] == etag
    for name in NAMES:
        assert body(s3, f"{LATEST_FOLDER}/{name}") == body(s3, f"{SECOND_FOLDER}/{name}")
        assert body(s3, f"{LATEST_FOLDER}/{name}") != body(s3, f"{FIRST_FOLDER}/{name}")
    latest = audit_report(s3, f"{LATEST_FOLDER}/report.json")
    assert latest["generated_at"] == "2026-11-24T06:30:15Z"
    assert any(f["resource_name"] == "bob" for f in latest["findings"])
    assert len(all_keys(s3)) == 9


def test_an_existing_dated_key_is_never_overwritten(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"{FIRST_FOLDER}/report.json", Body=b"earlier run")
    with pytest.raises(SinkError) as caught:
        invoke(at=FIRST)
    message = str(caught.value)
    assert f"s3://{BUCKET}/{FIRST_FOLDER}/report.json" in message
    assert "PreconditionFailed" in message
    assert body(s3, f"{FIRST_FOLDER}/report.json") == b"earlier run"
    # Dated keys come first: latest/ is not touched by a run that could not be filed.
    assert not [k for k in all_keys(s3) if "/latest/" in k]


# --- failing loudly, before auditing ----------------------------------------------------


def test_missing_bucket_variable_is_a_clear_error(
    s3: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("AUDITOR_REPORT_BUCKET")
    with pytest.raises(HandlerError, match="AUDITOR_REPORT_BUCKET is not set"):
        invoke()
    assert all_keys(s3) == []
    assert any("AUDITOR_REPORT_BUCKET is not set" in r.getMessage() for r in caplog.records)


def test_missing_bucket_fails_before_anything_is_audited(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_REPORT_BUCKET", "iam-auditor-no-such-bucket")
    recorder = recorded_session(monkeypatch)
    with pytest.raises(HandlerError) as caught:
        invoke()
    message = str(caught.value)
    assert "'iam-auditor-no-such-bucket'" in message
    assert "does not exist" in message
    assert "nothing was audited" in message
    assert recorder.calls == {"s3:HeadBucket": 1}


def test_bucket_access_denied_fails_before_anything_is_audited(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = recorded_session(monkeypatch)
    session = lambda_handler._default_session()

    def deny(**_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadBucket")

    session.events.register("before-call.s3.HeadBucket", deny)
    with pytest.raises(HandlerError, match=r"not accessible.*s3:ListBucket.*\[HeadBucket: 403\]"):
        invoke()
    assert not [op for op in recorder.calls if not op.startswith("s3:")]
    assert all_keys(s3) == []


# --- configuration -------------------------------------------------------------------------


def _check_ids(report: Mapping[str, Any]) -> set[str]:
    return {f["check_id"] for f in report["findings"]}


def test_config_from_the_environment(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    default = audit_report(s3, invoke(at=FIRST)["report_json_key"])
    assert "PWD-001" in _check_ids(default)
    monkeypatch.setenv("AUDITOR_CONFIG", NO_AA + "[checks.PWD-001]\nenabled = false\n")
    configured = audit_report(s3, invoke(at=SECOND)["report_json_key"])
    assert "PWD-001" not in _check_ids(configured)
    assert _check_ids(configured) == _check_ids(default) - {"PWD-001"}


def test_config_from_s3(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    s3.create_bucket(Bucket="iam-auditor-config-test")
    s3.put_object(
        Bucket="iam-auditor-config-test",
        Key="conf/iam-auditor.toml",
        Body=(NO_AA + "[checks.PWD-001]\nenabled = false\n").encode(),
    )
    monkeypatch.delenv("AUDITOR_CONFIG")
    monkeypatch.setenv(
        "AUDITOR_CONFIG_S3_URI", "s3://iam-auditor-config-test/conf/iam-auditor.toml"
    )
    result = invoke()
    report = audit_report(s3, result["report_json_key"])
    assert "PWD-001" not in _check_ids(report)
    assert "AA-001" not in _check_ids(report)
    assert "PWD-002" in _check_ids(report)


def test_bad_toml_is_a_clear_error_and_nothing_is_audited(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_CONFIG", "[thresholds]\nkey_rotation_days = \n")
    recorder = recorded_session(monkeypatch)
    with pytest.raises(ConfigError, match=r"^AUDITOR_CONFIG:2: TOML syntax error"):
        invoke()
    assert not [op for op in recorder.calls if op.startswith("iam:")]
    assert all_keys(s3) == []


def test_unknown_config_key_in_s3_names_the_object(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.put_object(Bucket=BUCKET, Key="config.toml", Body=b"[thresholds]\nkey_rotation = 90\n")
    monkeypatch.delenv("AUDITOR_CONFIG")
    monkeypatch.setenv("AUDITOR_CONFIG_S3_URI", f"s3://{BUCKET}/config.toml")
    with pytest.raises(ConfigError, match=rf"^s3://{BUCKET}/config.toml:2: .*key_rotation"):
        invoke()
    assert all_keys(s3) == ["config.toml"]


def test_missing_config_object_is_a_clear_error(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUDITOR_CONFIG")
    monkeypatch.setenv("AUDITOR_CONFIG_S3_URI", f"s3://{BUCKET}/nope.toml")
    with pytest.raises(HandlerError, match=rf"s3://{BUCKET}/nope.toml failed: NoSuchKey"):
        invoke()


# --- settings and events -------------------------------------------------------------------

BASE_ENV = {"AUDITOR_REPORT_BUCKET": BUCKET}


def test_settings_defaults() -> None:
    settings = LambdaSettings.from_env(BASE_ENV)
    assert settings == LambdaSettings(bucket=BUCKET)
    assert settings.prefix == "iam-auditor"
    assert settings.mode is Mode.ACCOUNT
    assert settings.role_name == "OrganizationAccountAccessRole"
    assert settings.max_workers == 8
    assert settings.kms_key_id is settings.sns_topic_arn is settings.config_text is None


def test_settings_from_every_variable() -> None:
    env = {
        **BASE_ENV,
        "AUDITOR_REPORT_PREFIX": "/security/iam/",
        "AUDITOR_CONFIG_S3_URI": "s3://cfg-bucket/a/b.toml",
        "AUDITOR_KMS_KEY_ID": "alias/reports",
        "AUDITOR_SNS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:audits",
        "AUDITOR_MODE": "ORG",
        "AUDITOR_ROLE_NAME": "AuditRole",
        "AUDITOR_EXTERNAL_ID": "ext-1234",
        "AUDITOR_MAX_WORKERS": "32",
        # Templates pass "" for an optional parameter left blank.
        "AUDITOR_CONFIG": "",
    }
    settings = LambdaSettings.from_env(env)
    assert settings.prefix == "security/iam"
    assert settings.config_s3_uri == "s3://cfg-bucket/a/b.toml"
    assert settings.config_text is None
    assert settings.kms_key_id == "alias/reports"
    assert settings.sns_topic_arn == "arn:aws:sns:eu-west-1:123456789012:audits"
    assert settings.mode is Mode.ORG
    assert settings.role_name == "AuditRole"
    assert settings.external_id == "ext-1234"
    assert "ext-1234" not in repr(settings)
    assert settings.max_workers == 32


def test_default_role_name_is_the_org_runners() -> None:
    from auditor.org import DEFAULT_ROLE_NAME

    assert LambdaSettings.from_env(BASE_ENV).role_name == DEFAULT_ROLE_NAME


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "AUDITOR_REPORT_BUCKET is not set"),
        ({"AUDITOR_REPORT_BUCKET": "  "}, "AUDITOR_REPORT_BUCKET is not set"),
        ({"AUDITOR_REPORT_BUCKET": "s3://bucket"}, "not an S3 bucket name"),
        ({**BASE_ENV, "AUDITOR_MODE": "all"}, "AUDITOR_MODE='all' is not valid; use 'account' or"),
        (
            {**BASE_ENV, "AUDITOR_CONFIG": "x = 1", "AUDITOR_CONFIG_S3_URI": "s3://b-b/c"},
            "set AUDITOR_CONFIG or AUDITOR_CONFIG_S3_URI, not both",
        ),
        ({**BASE_ENV, "AUDITOR_CONFIG_S3_URI": "https://x/y"}, "not an s3://bucket/key URI"),
        ({**BASE_ENV, "AUDITOR_CONFIG_S3_URI": "s3://bucket-only"}, "not an s3://bucket/key"),
        ({**BASE_ENV, "AUDITOR_MAX_WORKERS": "0"}, "AUDITOR_MAX_WORKERS='0' must be a whole"),
        ({**BASE_ENV, "AUDITOR_MAX_WORKERS": "65"}, "from 1 to 64"),
        ({**BASE_ENV, "AUDITOR_MAX_WORKERS": "eight"}, "AUDITOR_MAX_WORKERS='eight'"),
        ({**BASE_ENV, "AUDITOR_REPORT_PREFIX": "a/../b"}, "'..' is not a usable key segment"),
        ({**BASE_ENV, "AUDITOR_ROLE_NAME": "role/with spaces"}, "not an IAM role name"),
        ({**BASE_ENV, "AUDITOR_EXTERNAL_ID": "x"}, "AUDITOR_EXTERNAL_ID is not a valid"),
    ],
)
def test_bad_settings_are_clear_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(HandlerError) as caught:
        LambdaSettings.from_env(env)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([], "the event must be a JSON object, not list"),
        ({"action": "audit"}, "unknown action 'audit'"),
        ({"action": "aggregate"}, "needs 'results'"),
        ({"action": "aggregate", "results": [1]}, "needs 'results'"),
        ({"action": "aggregate", "results": [], "result_writer": {}}, "or 'result_writer'"),
        ({"action": "aggregate", "result_writer": "s3://b/k"}, "'result_writer' must be"),
        ({"action": "aggregate", "result_writer": {"Bucket": BUCKET}}, "'result_writer' must be"),
        ({"account_id": "12345"}, "not a 12-digit account id"),
        ({"account_id": 123456789012}, "not a 12-digit account id"),
        ({"account_id": ACCOUNT, "role_name": "a b"}, "not an IAM role name"),
    ],
)
def test_bad_events_are_clear_errors(event: Any, message: str) -> None:
    with pytest.raises(HandlerError) as caught:
        parse_event(event)
    assert message in str(caught.value)


def test_bad_event_fails_the_invocation(s3: Any) -> None:
    with pytest.raises(HandlerError, match="unknown action"):
        invoke({"action": "delete_everything"})
    assert all_keys(s3) == []


# --- SNS -----------------------------------------------------------------------------------


def subscribe_queue(session: boto3.Session, topic_arn: str) -> tuple[Any, str]:
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName="audit-summaries")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    session.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return sqs, url


def received(sqs: Any, url: str, at: str = FIRST) -> list[dict[str, Any]]:
    """The queue's messages, read at ``at``: the frozen instant the handler published at.

    The handler publishes under ``freeze_time``, so SQS stamps the message with that date.
    Read on the real clock, the message would be as old as the days since that date, and
    SQS (moto too) deletes messages past the queue's retention period (4 days by default,
    14 at most): the test would pass only in the days after the frozen date. Read at the
    same instant, the message is as old as it is in AWS when a subscriber reads it at once.
    """
    with freeze_time(at):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_one_sns_message_with_the_summary(
    s3: Any, aws_session: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = aws_session.client("sns").create_topic(Name="iam-auditor")["TopicArn"]
    sqs, url = subscribe_queue(aws_session, topic)
    monkeypatch.setenv("AUDITOR_SNS_TOPIC_ARN", topic)
    result = invoke()

    (envelope,) = received(sqs, url)
    report = audit_report(s3, result["report_json_key"])
    critical_high = sum(
        1
        for f in report["findings"]
        if f["status"] == "FAIL" and not f["muted"] and f["severity"] in {"critical", "high"}
    )
    score = report["score"]
    subject = envelope["Subject"]
    assert subject == (
        f"iam-auditor {ACCOUNT}: {score['grade']} {score['value']:.1f}, "
        f"{critical_high} critical/high FAIL" + ("" if report["complete"] else ", incomplete")
    )
    assert len(subject) < 100
    message = json.loads(envelope["Message"])
    assert message["summary"] == result
    assert message["reports"] == [
        f"s3://{BUCKET}/{k}" for k in result["keys"] + result["latest_keys"]
    ]


def test_sns_failure_fails_the_invocation_after_writing(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:no-such-topic"
    monkeypatch.setenv("AUDITOR_SNS_TOPIC_ARN", topic)
    with pytest.raises(HandlerError, match=rf"publishing the summary to {topic} failed: NotFound"):
        invoke()
    assert len(all_keys(s3)) == 6


# --- logs ----------------------------------------------------------------------------------


def test_log_lines_are_json_with_the_request_id_and_no_credentials(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    # What the Lambda runtime does before importing the function: a plain-text handler.
    stream = io.StringIO()
    runtime_handler = logging.StreamHandler(stream)
    runtime_handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    logging.getLogger().addHandler(runtime_handler)
    try:
        result = invoke()
        monkeypatch.setenv("AUDITOR_MODE", "sideways")
        with pytest.raises(HandlerError):
            invoke()
    finally:
        logging.getLogger().removeHandler(runtime_handler)

    text = stream.getvalue()
    assert SECRET_KEY not in text
    assert SESSION_TOKEN not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) >= 4
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys()
        assert line["aws_request_id"] == FakeContext.aws_request_id
        assert line["function_name"] == "iam-auditor"
    audited = [line for line in lines if line["message"] == "account audited"]
    assert len(audited) == 1
    assert audited[0]["account_id"] == ACCOUNT
    assert audited[0]["score"] == result["score"]
    written = [line for line in lines if line["message"] == "reports written"]
    assert written[0]["keys"] == result["keys"]
    failed = lines[-1]
    assert failed["level"] == "ERROR"
    assert "AUDITOR_MODE='sideways' is not valid" in failed["message"]
    assert failed["error_type"] == "HandlerError"


def test_formatter_redacts_credential_fields_and_keeps_one_line() -> None:
    record = logging.LogRecord("auditor.x", logging.WARNING, __file__, 1, "a\nb %s", ("c",), None)
    record.aws_secret_access_key = SECRET_KEY
    record.SessionToken = SESSION_TOKEN
    record.account_id = ACCOUNT
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "a\nb c"
    assert data["level"] == "WARNING"
    assert data["logger"] == "auditor.x"
    assert data["account_id"] == ACCOUNT
    assert data["aws_secret_access_key"] == data["SessionToken"] == "[redacted]"
    assert SECRET_KEY not in line
    assert SESSION_TOKEN not in line
    assert data["time"].endswith("Z")


def test_formatter_includes_the_exception() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    data = json.loads(JsonFormatter().format(record))
    assert "RuntimeError: boom" in data["exception"]


def test_installing_twice_keeps_one_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    lambda_handler.install_json_logging()
    lambda_handler.install_json_logging()
    assert len(root.handlers) == 1
    assert isinstance(root.handlers[0].formatter, JsonFormatter)
    assert root.level == logging.INFO


# --- organization --------------------------------------------------------------------------


def org_report_keys(s3: Any, account_id: str) -> list[str]:
    return [k for k in all_keys(s3) if k.startswith(f"{PREFIX}/{account_id}/")]


def test_list_accounts_gives_the_map_items(s3: Any) -> None:
    members = moto_account.create_organization("alpha", "beta")
    result = invoke({"action": "list_accounts"})
    expected = sorted(
        [{"account_id": ACCOUNT, "name": "master"}]
        + [{"account_id": m.account_id, "name": m.name} for m in members],
        key=lambda a: a["account_id"],
    )
    assert result == {"accounts": expected}
    assert all_keys(s3) == []


def test_list_accounts_outside_an_organization_fails(s3: Any) -> None:
    from auditor.org import OrgError

    with pytest.raises(OrgError, match="organizations:ListAccounts"):
        invoke({"action": "list_accounts"})


def test_member_events_then_aggregate_write_the_org_summary(
    s3: Any, aws_session: boto3.Session
) -> None:
    alpha, beta = moto_account.create_organization("alpha", "beta")
    beta_role = f"arn:aws:iam::{beta.account_id}:role/OrganizationAccountAccessRole"
    moto_account.deny_assume_role(beta_role)

    audited = invoke({"account_id": alpha.account_id, "name": alpha.name})
    denied = invoke({"account_id": beta.account_id, "name": beta.name})
    own = invoke({"account_id": ACCOUNT, "name": "master"})

    # The denied member: reported, not audited, nothing written for it.
    assert denied["audited"] is False
    assert denied["account_id"] == beta.account_id
    assert denied["name"] == "beta"
    assert "AccessDenied" in denied["error"]
    assert beta_role in denied["error"]
    assert org_report_keys(s3, beta.account_id) == []
    # The member audited through its role: its own account's report, in its own folder.
    alpha_folder = f"{PREFIX}/{alpha.account_id}/2026/11/23/100000Z"
    assert audited["keys"] == [f"{alpha_folder}/{n}" for n in NAMES]
    alpha_report = report_json(s3, audited["report_json_key"])
    assert alpha_report["account_id"] == alpha.account_id
    assert audited["score"] == alpha_report["score"]
    assert audited["summary"] == alpha_report["summary"]
    # The runner's own account needs no role.
    assert own["audited"] is True
    assert report_json(s3, own["report_json_key"])["account_id"] == ACCOUNT

    result = invoke({"action": "aggregate", "results": [audited, denied, own]}, at=SECOND)

    org_folder = f"{PREFIX}/organization/2026/11/24/063015Z"
    names = ("org-summary.json", "org-summary.csv", "org-summary.html")
    assert result["summary_keys"] == [f"{org_folder}/{n}" for n in names]
    assert result["summary_latest_keys"] == [f"{PREFIX}/organization/latest/{n}" for n in names]
    for key in result["summary_keys"] + result["summary_latest_keys"]:
        assert s3.head_object(Bucket=BUCKET, Key=key)["ServerSideEncryption"] == "AES256"
    summary = report_json(s3, f"{org_folder}/org-summary.json")
    assert summary == report_json(s3, f"{PREFIX}/organization/latest/org-summary.json")
    assert summary["kind"] == "org-summary"
    assert summary["runner_account_id"] == ACCOUNT
    assert summary["complete"] is False
    assert summary["not_audited"] == [
        {"account_id": beta.account_id, "name": "beta", "error": denied["error"]}
    ]
    by_id = {a["account_id"]: a for a in summary["accounts"]}
    assert set(by_id) == {alpha.account_id, beta.account_id, ACCOUNT}
    assert by_id[alpha.account_id]["score"] == alpha_report["score"]
    assert by_id[alpha.account_id]["summary"] == alpha_report["summary"]
    assert by_id[alpha.account_id]["reports"] == [f"s3://{BUCKET}/{k}" for k in audited["keys"]]
    assert by_id[beta.account_id]["audited"] is False

    assert result["mode"] == "org"
    assert result["complete"] is False
    assert result["exit_code"] == 3
    assert result["counts"] == {"accounts": 3, "audited": 2, "not_audited": 1, "incomplete": 2}
    # No per-account list: the few worst accounts, in org-summary.json's order.
    assert "accounts" not in result
    worst = result["worst_accounts"]
    assert [a["account_id"] for a in worst] == [a["account_id"] for a in summary["accounts"]]
    assert worst[0] == {
        "account_id": beta.account_id,
        "name": "beta",
        "audited": False,
        "error": denied["error"],
    }
    for member in (audited, own):
        (entry,) = [a for a in worst if a["account_id"] == member["account_id"]]
        expected = ("name", "audited", "score", "complete", "summary", "exit_code")
        assert {k: entry[k] for k in expected} == {k: member[k] for k in expected}
        assert entry["report_json_key"] == member["report_json_key"]
    assert json.loads(json.dumps(result)) == result


def test_aggregate_reports_a_missing_report_as_not_audited(s3: Any) -> None:
    own = invoke({"account_id": ACCOUNT})
    s3.delete_object(Bucket=BUCKET, Key=own["report_json_key"])
    result = invoke({"action": "aggregate", "results": [own]}, at=SECOND)
    (account,) = result["worst_accounts"]
    assert account["audited"] is False
    assert account["error"] == f"report s3://{BUCKET}/{own['report_json_key']} not found"
    assert result["counts"]["not_audited"] == 1


def test_aggregate_reads_member_reports_of_either_version(s3: Any) -> None:
    own = invoke({"account_id": ACCOUNT})
    written = report_json(s3, own["report_json_key"])
    v1 = read_report(written, "v2")  # the same report as releases before 2 wrote it
    assert (written["schema_version"], v1["schema_version"]) == (2, 1)
    summaries = []
    for data, at in ((written, SECOND), (v1, "2026-11-24 07:00:00")):
        s3.put_object(Bucket=BUCKET, Key=own["report_json_key"], Body=json.dumps(data).encode())
        result = invoke({"action": "aggregate", "results": [own]}, at=at)
        summaries.append(report_json(s3, result["summary_keys"][0]))
    from_v2, from_v1 = summaries
    assert from_v1["accounts"] == from_v2["accounts"]
    assert from_v1["checks"] == from_v2["checks"] != []

    unknown = {**written, "schema_version": 3}
    s3.put_object(Bucket=BUCKET, Key=own["report_json_key"], Body=json.dumps(unknown).encode())
    result = invoke({"action": "aggregate", "results": [own]}, at="2026-11-24 08:00:00")
    (account,) = result["worst_accounts"]
    assert account["error"] == (
        f"report s3://{BUCKET}/{own['report_json_key']}: report schema_version 3 is not "
        "supported (this iam-auditor reads schema_version 1 and 2)"
    )


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ([{"audited": True}], r"results\[0\] has no 12-digit account_id"),
        ([{"account_id": ACCOUNT}, {"account_id": ACCOUNT}], "appears twice"),
        (
            [{"account_id": ACCOUNT, "audited": True, "report_json_key": "other/report.json"}],
            "is not under audits/123456789012/",
        ),
    ],
)
def test_aggregate_rejects_bad_results(s3: Any, results: list[Any], message: str) -> None:
    with pytest.raises(HandlerError, match=message):
        invoke({"action": "aggregate", "results": results})
    assert all_keys(s3) == []


def test_org_mode_audits_every_account_in_one_invocation(
    s3: Any, aws_session: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    (alpha,) = moto_account.create_organization("alpha")
    topic = aws_session.client("sns").create_topic(Name="iam-auditor")["TopicArn"]
    sqs, url = subscribe_queue(aws_session, topic)
    monkeypatch.setenv("AUDITOR_SNS_TOPIC_ARN", topic)
    monkeypatch.setenv("AUDITOR_MODE", "org")
    monkeypatch.setenv("AUDITOR_MAX_WORKERS", "2")

    result = invoke()

    assert result["mode"] == "org"
    assert result["runner_account_id"] == ACCOUNT
    assert result["generated_at"] == "2026-11-23T10:00:00Z"
    assert "accounts" not in result
    worst = result["worst_accounts"]
    assert sorted(a["account_id"] for a in worst) == sorted([ACCOUNT, alpha.account_id])
    for account in worst:
        folder = f"{PREFIX}/{account['account_id']}/2026/11/23/100000Z"
        assert account["audited"] is True
        assert account["report_json_key"] == f"{folder}/report.json"
        latest = [f"{PREFIX}/{account['account_id']}/latest/{n}" for n in NAMES]
        assert set(latest + [f"{folder}/{n}" for n in NAMES]) <= set(all_keys(s3))
        report = report_json(s3, account["report_json_key"])
        assert report["account_id"] == account["account_id"]
        assert account["score"] == report["score"]
        assert account["summary"] == report["summary"]
    summary = report_json(s3, f"{PREFIX}/organization/2026/11/23/100000Z/org-summary.json")
    assert sorted(a["account_id"] for a in summary["accounts"]) == sorted(
        [ACCOUNT, alpha.account_id]
    )
    assert [a["account_id"] for a in worst] == [a["account_id"] for a in summary["accounts"]]
    assert result["counts"]["audited"] == 2

    (envelope,) = received(sqs, url)
    assert envelope["Subject"].startswith(
        f"iam-auditor org {ACCOUNT}: 2 accounts, 0 not audited, 2 incomplete, worst "
    )
    assert len(envelope["Subject"]) < 100
    assert json.loads(envelope["Message"])["summary"] == result


# --- Step Functions: the Distributed Map's results in S3 -----------------------------------

TEMPLATE = Path(__file__).resolve().parents[1] / "deploy" / "template.yaml"
MAP_RUN = "8f2c1d3e-5b4a-3c6d-9e8f-0a1b2c3d4e5f"
MAP_PREFIX = f"{PREFIX}/organization/step-functions"
MAP_FOLDER = f"{MAP_PREFIX}/{MAP_RUN}"
STATE_MACHINE = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:OrgAuditStateMachine-x1"
EXECUTIONS = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:OrgAuditStateMachine-x1"
MAP_RUN_ARN = (
    f"arn:aws:states:us-east-1:{ACCOUNT}:mapRun:OrgAuditStateMachine-x1/AuditAccounts:{MAP_RUN}"
)
# What a Lambda task's failure looks like in Step Functions: the function's error as JSON.
TIMEOUT_MESSAGE = "2026-11-24T06:45:01.002Z 1c2d Task timed out after 900.00 seconds"
LAMBDA_CAUSE = {
    "errorMessage": TIMEOUT_MESSAGE,
    "errorType": "Sandbox.Timedout",
    "stackTrace": ['  File "/var/task/auditor/audit.py", line 1, in run_audit\n'] * 40,
}


@cache
def item_processor() -> dict[str, Any]:
    template, matches = decode(str(TEMPLATE))
    assert not matches
    assert template is not None
    machine = template["Resources"]["OrgAuditStateMachine"]["Properties"]["Definition"]
    processor: dict[str, Any] = machine["States"]["AuditAccounts"]["ItemProcessor"]
    return processor


def select(parameters: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """Step Functions' Parameters on ``data``: ``"key.$": "$.a.b"`` paths, other values as-is."""
    out: dict[str, Any] = {}
    for key, value in parameters.items():
        if key.endswith(".$"):
            node: Any = data
            for part in str(value).removeprefix("$.").split("."):
                node = node[part]
            out[key.removesuffix(".$")] = node
        else:
            out[key] = value
    return out


def child_output(result: Mapping[str, Any]) -> dict[str, Any]:
    """What the template's item processor returns for an account the function returned
    ``result`` for: AuditAccount puts the result at ``$.audit``, WasAudited chooses."""
    states = item_processor()["States"]
    state_input = {"account_id": result["account_id"], "name": result["name"], "audit": result}
    (choice,) = states["WasAudited"]["Choices"]
    assert choice["Variable"] == "$.audit.audited"
    chosen = choice["Next"] if result["audited"] is True else states["WasAudited"]["Default"]
    return select(states[chosen]["Parameters"], state_input)


def execution(
    index: int,
    account_id: str,
    name: str,
    status: str,
    *,
    output: Mapping[str, Any] | None = None,
    error: str | None = None,
    cause: str | None = None,
) -> dict[str, Any]:
    """One child execution as a ResultWriter result file lists it (Transformation NONE)."""
    child = f"{MAP_RUN}_{index:012x}"
    entry: dict[str, Any] = {
        "ExecutionArn": f"{EXECUTIONS}/AuditAccounts:{child}",
        "Input": json.dumps({"account_id": account_id, "name": name}),
        "InputDetails": {"Included": True},
        "Name": child,
        "RedriveCount": 0,
        "RedriveStatus": "NOT_REDRIVABLE" if status == "SUCCEEDED" else "REDRIVABLE_BY_MAP_RUN",
        "StartDate": "2026-11-24T06:30:20.114Z",
        "StateMachineArn": STATE_MACHINE,
        "Status": status,
        "StopDate": "2026-11-24T06:31:02.873Z",
    }
    if output is not None:
        entry["Output"] = json.dumps(output)
        entry["OutputDetails"] = {"Included": True}
    if error is not None:
        entry["Error"] = error
        entry["Cause"] = cause
    return entry


def write_map_results(
    s3: Any, by_status: Mapping[str, Sequence[Mapping[str, Any]]], per_file: int = 1000
) -> str:
    """The manifest.json and result files of one map run; returns the manifest's key."""
    files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    for status, executions in by_status.items():
        for number, start in enumerate(range(0, len(executions), per_file)):
            key = f"{MAP_FOLDER}/{status}_{number}.json"
            data = json.dumps(list(executions[start : start + per_file])).encode()
            s3.put_object(Bucket=BUCKET, Key=key, Body=data)
            files[status].append({"Key": key, "Size": len(data)})
    manifest = {"DestinationBucket": BUCKET, "MapRunArn": MAP_RUN_ARN, "ResultFiles": files}
    key = f"{MAP_FOLDER}/manifest.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(manifest).encode())
    return key


def writer_event(key: str, bucket: str = BUCKET) -> dict[str, Any]:
    return {"action": "aggregate", "result_writer": {"Bucket": bucket, "Key": key}}


def test_aggregate_reads_the_map_results_step_functions_wrote(s3: Any) -> None:
    alpha, beta, gamma = moto_account.create_organization("alpha", "beta", "gamma")
    moto_account.deny_assume_role(
        f"arn:aws:iam::{beta.account_id}:role/OrganizationAccountAccessRole"
    )
    audited = invoke({"account_id": alpha.account_id, "name": alpha.name})
    denied = invoke({"account_id": beta.account_id, "name": beta.name})
    own = invoke({"account_id": ACCOUNT, "name": "master"})
    assert (audited["audited"], denied["audited"], own["audited"]) == (True, False, True)
    cause = json.dumps(LAMBDA_CAUSE)
    manifest = write_map_results(
        s3,
        {
            "SUCCEEDED": [
                execution(i, r["account_id"], r["name"], "SUCCEEDED", output=child_output(r))
                for i, r in enumerate([audited, denied, own])
            ],
            "FAILED": [
                execution(
                    3, gamma.account_id, "gamma", "FAILED", error="States.Runtime", cause=cause
                )
            ],
        },
    )

    result = invoke(writer_event(manifest), at=SECOND)

    org_folder = f"{PREFIX}/organization/2026/11/24/063015Z"
    summary = report_json(s3, f"{org_folder}/org-summary.json")
    assert summary == report_json(s3, f"{PREFIX}/organization/latest/org-summary.json")
    assert result["summary_keys"][0] == f"{org_folder}/org-summary.json"
    by_id = {a["account_id"]: a for a in summary["accounts"]}
    assert set(by_id) == {alpha.account_id, beta.account_id, gamma.account_id, ACCOUNT}
    alpha_report = report_json(s3, audited["report_json_key"])
    assert by_id[alpha.account_id]["score"] == alpha_report["score"]
    assert by_id[alpha.account_id]["summary"] == alpha_report["summary"]
    assert by_id[alpha.account_id]["reports"] == [f"s3://{BUCKET}/{k}" for k in audited["keys"]]
    assert by_id[ACCOUNT]["score"] == report_json(s3, own["report_json_key"])["score"]
    not_audited = {a["account_id"]: a for a in summary["not_audited"]}
    assert set(not_audited) == {beta.account_id, gamma.account_id}
    assert not_audited[beta.account_id]["error"] == denied["error"]
    gamma_error = not_audited[gamma.account_id]["error"]
    assert not_audited[gamma.account_id]["name"] == "gamma"
    assert gamma_error == (
        "its Step Functions child execution failed (States.Runtime): " + TIMEOUT_MESSAGE
    )
    assert summary["complete"] is False

    assert result["counts"] == {"accounts": 4, "audited": 2, "not_audited": 2, "incomplete": 2}
    assert result["complete"] is False
    assert result["exit_code"] == 3
    assert "accounts" not in result
    worst = [a["account_id"] for a in result["worst_accounts"]]
    assert worst == [a["account_id"] for a in summary["accounts"]]
    assert worst[:2] == sorted([beta.account_id, gamma.account_id])


def test_aggregate_with_pending_children_a_redriven_account_and_many_files(s3: Any) -> None:
    own = invoke({"account_id": ACCOUNT, "name": "master"})
    members = [f"{210000000000 + i}" for i in range(3)]
    manifest = write_map_results(
        s3,
        {
            "SUCCEEDED": [execution(0, ACCOUNT, "master", "SUCCEEDED", output=child_output(own))],
            # The same account failed in an earlier attempt: its audit counts, once.
            "FAILED": [execution(9, ACCOUNT, "master", "FAILED", error="States.Runtime")],
            "PENDING": [execution(i + 1, m, f"m{i}", "PENDING") for i, m in enumerate(members)],
        },
        per_file=2,
    )
    assert len(report_json(s3, manifest)["ResultFiles"]["PENDING"]) == 2
    result = invoke(writer_event(manifest), at=SECOND)
    assert result["counts"] == {"accounts": 4, "audited": 1, "not_audited": 3, "incomplete": 1}
    not_audited = [a for a in result["worst_accounts"] if not a["audited"]]
    assert [a["account_id"] for a in not_audited] == members
    assert all("never finished" in a["error"] for a in not_audited)
    (audited,) = [a for a in result["worst_accounts"] if a["audited"]]
    assert audited["account_id"] == ACCOUNT
    assert audited["report_json_key"] == own["report_json_key"]


@pytest.mark.parametrize(
    ("bucket", "key"),
    [
        # Another object of the report bucket: an account's report.
        (BUCKET, f"{PREFIX}/{ACCOUNT}/latest/report.json"),
        # A sibling folder whose name merely starts like the map results' folder.
        (BUCKET, f"{PREFIX}/organization/step-functions-old/{MAP_RUN}/manifest.json"),
        # The right key in another bucket.
        ("someone-elses-bucket", f"{MAP_FOLDER}/manifest.json"),
    ],
    ids=["report", "sibling-folder", "other-bucket"],
)
def test_aggregate_refuses_a_manifest_outside_the_map_results(
    s3: Any, monkeypatch: pytest.MonkeyPatch, bucket: str, key: str
) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=b'{"ResultFiles": {}}')
    recorder = recorded_session(monkeypatch)
    with pytest.raises(HandlerError) as caught:
        invoke(writer_event(key, bucket))
    assert str(caught.value) == (
        f"aggregate: refusing to read the Distributed Map manifest s3://{bucket}/{key}: "
        f"only objects under s3://{BUCKET}/{MAP_PREFIX}/ are read"
    )
    assert "s3:GetObject" not in recorder.calls
    assert all_keys(s3) == [key]


def test_aggregate_refuses_a_result_file_outside_the_map_results(s3: Any) -> None:
    outside = f"{PREFIX}/{ACCOUNT}/latest/report.json"
    s3.put_object(Bucket=BUCKET, Key=outside, Body=b"[]")
    manifest = {
        "DestinationBucket": BUCKET,
        "MapRunArn": MAP_RUN_ARN,
        "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": [{"Key": outside, "Size": 2}]},
    }
    key = f"{MAP_FOLDER}/manifest.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(manifest).encode())
    with pytest.raises(HandlerError, match=rf"SUCCEEDED result file s3://{BUCKET}/{outside}:"):
        invoke(writer_event(key))
    assert not [k for k in all_keys(s3) if "org-summary" in k]


def test_aggregate_fails_loudly_on_a_missing_manifest(s3: Any) -> None:
    key = f"{MAP_FOLDER}/manifest.json"
    with pytest.raises(HandlerError, match=rf"s3://{BUCKET}/{key} failed: NoSuchKey"):
        invoke(writer_event(key))


def test_aggregate_result_stays_small_for_a_large_organization(s3: Any) -> None:
    own = invoke({"account_id": ACCOUNT, "name": "master"})
    template = report_json(s3, own["report_json_key"])
    audited_ids = [f"{300000000000 + i}" for i in range(250)]
    failed_ids = [f"{400000000000 + i}" for i in range(50)]
    succeeded = []
    for index, account_id in enumerate(audited_ids):
        folder = f"{PREFIX}/{account_id}/2026/11/23/100000Z"
        report = {**template, "account_id": account_id}
        s3.put_object(Bucket=BUCKET, Key=f"{folder}/report.json", Body=json.dumps(report).encode())
        result = {
            **own,
            "account_id": account_id,
            "name": f"workload-{index:03d}-production-eu-west-1",
            "keys": [f"{folder}/{n}" for n in NAMES],
            "latest_keys": [f"{PREFIX}/{account_id}/latest/{n}" for n in NAMES],
            "report_json_key": f"{folder}/report.json",
        }
        succeeded.append(
            execution(index, account_id, result["name"], "SUCCEEDED", output=child_output(result))
        )
    long_cause = json.dumps({**LAMBDA_CAUSE, "errorMessage": "x" * 5000})
    failed = [
        execution(1000 + i, a, f"sandbox-{i}", "FAILED", error="Lambda.Unknown", cause=long_cause)
        for i, a in enumerate(failed_ids)
    ]
    manifest = write_map_results(s3, {"SUCCEEDED": succeeded, "FAILED": failed}, per_file=128)

    result = invoke(writer_event(manifest), at=SECOND)

    size = len(json.dumps(result).encode("utf-8"))
    assert size < 256 * 1024
    assert result["counts"] == {
        "accounts": 300,
        "audited": 250,
        "not_audited": 50,
        "incomplete": 0 if template["complete"] else 250,
    }
    worst = result["worst_accounts"]
    assert len(worst) == WORST_ACCOUNTS_MAX
    assert [a["account_id"] for a in worst] == sorted(failed_ids)[:WORST_ACCOUNTS_MAX]
    assert all(len(a["error"]) <= 300 for a in worst)
    summary = report_json(s3, result["summary_keys"][0])
    assert len(summary["accounts"]) == 300
    assert {a["account_id"] for a in summary["not_audited"]} == set(failed_ids)


@pytest.mark.parametrize(
    ("child", "status", "expected"),
    [
        (
            execution(0, ACCOUNT, "m", "FAILED", error="States.Timeout", cause="")
            | {"Status": "TIMED_OUT"},
            "FAILED",
            "its Step Functions child execution timed out (States.Timeout)",
        ),
        (
            execution(0, ACCOUNT, "m", "FAILED") | {"Status": "ABORTED"},
            "FAILED",
            "its Step Functions child execution aborted",
        ),
        (
            execution(0, ACCOUNT, "m", "SUCCEEDED") | {"Output": "not json"},
            "SUCCEEDED",
            "its Step Functions child execution succeeded without an account result",
        ),
        (
            execution(
                0, ACCOUNT, "m", "SUCCEEDED", output={"account_id": "210987654321", "audited": True}
            ),
            "SUCCEEDED",
            "its Step Functions child execution returned the result of account '210987654321'",
        ),
    ],
    ids=["timed-out", "aborted", "unreadable-output", "other-account"],
)
def test_child_results_that_are_not_audits(
    child: dict[str, Any], status: str, expected: str
) -> None:
    assert child_result(child, status, "here") == {
        "account_id": ACCOUNT,
        "name": "m",
        "audited": False,
        "error": expected,
    }


def test_child_without_an_account_is_an_error() -> None:
    child = execution(0, ACCOUNT, "m", "FAILED") | {"Input": "{}"}
    with pytest.raises(HandlerError, match=r"^aggregate: here: a FAILED child execution's Input"):
        child_result(child, "FAILED", "here")


# --- the previous report as baseline --------------------------------------------------------


def _open_ids(report: Mapping[str, Any]) -> set[str]:
    return {f["finding_id"] for f in report["findings"] if f["status"] == "FAIL" and not f["muted"]}


def test_second_run_reports_changes_since_the_previous_latest_report(
    s3: Any, aws_session: boto3.Session
) -> None:
    first = invoke(at=FIRST)
    first_report = audit_report(s3, first["report_json_key"])
    assert "changes" not in first_report  # nothing to compare the first run with
    iam = aws_session.client("iam")
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Str0ng-Passw0rd!-for-tests")

    second = invoke(at=SECOND)

    report = audit_report(s3, second["report_json_key"])
    changes = report["changes"]
    assert changes["baseline"]["generated_at"] == "2026-11-23T10:00:00Z"
    assert changes["baseline"]["account_id"] == ACCOUNT
    new_ids = {c["finding_id"] for c in changes["new"]}
    assert new_ids == _open_ids(report) - _open_ids(first_report)
    # bob's own findings, and account-level ones a console user brings (FED-001).
    assert "bob" in {c["resource_name"] for c in changes["new"]}
    assert {c["finding_id"] for c in changes["still_open"]} == (
        _open_ids(report) & _open_ids(first_report)
    )
    assert changes["score"]["before"] == first_report["score"]
    assert changes["score"]["after"] == report["score"]
    assert report_json(s3, f"{LATEST_FOLDER}/report.json")["changes"] == changes
    html = body(s3, f"{SECOND_FOLDER}/report.html").decode("utf-8")
    assert 'id="since-last-run"' in html
    assert html.count('data-change="new"') == len(new_ids)


def test_a_previous_report_of_version_1_is_a_baseline_too(
    s3: Any, aws_session: boto3.Session
) -> None:
    invoke(at=FIRST)
    written = report_json(s3, f"{LATEST_FOLDER}/report.json")
    v1 = read_report(written, "first")  # the same report as releases before 2 wrote it
    s3.put_object(Bucket=BUCKET, Key=f"{LATEST_FOLDER}/report.json", Body=json.dumps(v1).encode())
    iam = aws_session.client("iam")
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Str0ng-Passw0rd!-for-tests")

    second = invoke(at=SECOND)

    report = report_json(s3, second["report_json_key"])
    assert report["changes"] == changes_to_dict(diff_reports(written, report))
    assert "bob" in {c["resource_name"] for c in report["changes"]["new"]}
    assert report["changes"]["still_open"]


@pytest.mark.parametrize(
    ("previous", "says"),
    [
        (b"<html>not json</html>", "invalid JSON"),
        (json.dumps({"schema_version": 3}).encode(), "schema_version 3"),
        (None, "different accounts"),
    ],
)
def test_an_unusable_baseline_is_a_warning_and_the_run_goes_on(
    s3: Any, caplog: pytest.LogCaptureFixture, previous: bytes | None, says: str
) -> None:
    if previous is None:
        invoke(at=FIRST)
        other = report_json(s3, f"{LATEST_FOLDER}/report.json")
        previous = json.dumps({**other, "account_id": "210987654321"}).encode()
    s3.put_object(Bucket=BUCKET, Key=f"{LATEST_FOLDER}/report.json", Body=previous)

    with caplog.at_level(logging.WARNING, logger=lambda_handler.__name__):
        result = invoke(at=SECOND)

    assert result["audited"] is True
    assert "changes" not in report_json(s3, result["report_json_key"])
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("no baseline" in w and says in w for w in warnings), warnings


def test_collection_ends_before_the_invocation_would() -> None:
    from auditor.config import Settings
    from auditor.lambda_handler import FINISH_RESERVE_S, MIN_COLLECTION_S, collection_deadline

    base = Settings()
    ten_minutes = collection_deadline(base, lambda: 600_000)
    assert ten_minutes.collection_deadline == 600 - FINISH_RESERVE_S
    nearly_out = collection_deadline(base, lambda: 5_000)
    assert nearly_out.collection_deadline == MIN_COLLECTION_S
    # A long invocation keeps the configured deadline; no context keeps everything.
    assert collection_deadline(base, lambda: 10_000_000) == base
    assert collection_deadline(base, None) == base
