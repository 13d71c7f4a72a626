"""The handler end to end: an account audited on a schedule, failing loudly before auditing
anything, the audit's configuration, JSON log lines and the collection deadline.
"""

from __future__ import annotations

import io
import json
import logging
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditor.aws_lambda import handler as handler_module
from auditor.aws_lambda.results import AuditedResult, OrgCounts, OrgResult, WorstAudited
from auditor.aws_lambda.settings import HandlerError
from auditor.config import ConfigError

from .conftest import (
    ACCOUNT,
    BUCKET,
    FIRST,
    FIRST_FOLDER,
    LATEST_FOLDER,
    NAMES,
    NO_AA,
    SECOND,
    SECRET_KEY,
    SESSION_TOKEN,
    FakeContext,
    all_keys,
    audit_report,
    body,
    invoke,
    recorded_session,
)

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
    session = handler_module._default_session()

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


def test_bad_event_fails_the_invocation(s3: Any) -> None:
    with pytest.raises(HandlerError, match="unknown action"):
        invoke({"action": "delete_everything"})
    assert all_keys(s3) == []


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


def test_collection_ends_before_the_invocation_would() -> None:
    from auditor.aws_lambda.handler import (
        FINISH_RESERVE_S,
        MIN_COLLECTION_S,
        collection_deadline,
    )
    from auditor.config import Settings

    base = Settings()
    ten_minutes = collection_deadline(base, lambda: 600_000)
    assert ten_minutes.collection_deadline == 600 - FINISH_RESERVE_S
    nearly_out = collection_deadline(base, lambda: 5_000)
    assert nearly_out.collection_deadline == MIN_COLLECTION_S
    # A long invocation keeps the configured deadline; no context keeps everything.
    assert collection_deadline(base, lambda: 10_000_000) == base
    assert collection_deadline(base, None) == base


def test_the_package_ships_in_the_wheel() -> None:
    # Packages are listed, not discovered: an unlisted one would be missing from the
    # deployment zip, and the function would fail to import.
    config = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert "auditor.aws_lambda" in config["tool"]["setuptools"]["packages"]


def test_results_keep_their_keys_in_the_declared_order(s3: Any) -> None:
    # The result is a contract (a Step Functions state's data, the SNS summary): its keys
    # and their order are what each TypedDict declares, and what releases before returned.
    member = invoke({"account_id": ACCOUNT, "name": "master"})
    assert (
        list(member)
        == list(AuditedResult.__annotations__)
        == [
            "account_id",
            "name",
            "audited",
            "score",
            "complete",
            "summary",
            "exit_code",
            "keys",
            "latest_keys",
            "report_json_key",
        ]
    )
    assert type(member["exit_code"]) is int
    org = invoke({"action": "aggregate", "results": [member]}, at=SECOND)
    assert (
        list(org)
        == list(OrgResult.__annotations__)
        == [
            "mode",
            "runner_account_id",
            "generated_at",
            "complete",
            "exit_code",
            "counts",
            "worst_accounts",
            "summary_keys",
            "summary_latest_keys",
        ]
    )
    assert list(org["counts"]) == list(OrgCounts.__annotations__)
    (entry,) = org["worst_accounts"]
    assert list(entry) == list(WorstAudited.__annotations__)
    assert type(org["exit_code"]) is type(entry["exit_code"]) is int
