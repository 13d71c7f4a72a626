"""The SNS notification: one message with the result, and a refusing topic fails the run."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from auditor.aws_lambda.settings import HandlerError

from .conftest import (
    ACCOUNT,
    BUCKET,
    all_keys,
    audit_report,
    invoke,
    received,
    subscribe_queue,
)


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
