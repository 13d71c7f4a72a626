"""Fixtures and helpers of the Lambda tests: the handler invoked as Lambda invokes it.

Everything runs on an in-process moto (``mock_aws``): the handler makes its own boto3
session from the environment, as it does in Lambda, and writes to a moto S3 bucket. Times
are frozen with freezegun, so the dated keys are known in advance.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import boto3
import pytest
from freezegun import freeze_time

# Imported before any test freezes the clock: pandas (which the baseline's diff and the CSV
# report load lazily) crashes in its C datetime API when first imported under freezegun.
import auditor.diff  # noqa: F401
from auditor.aws_lambda import handler as handler_module
from auditor.aws_lambda.handler import handler
from auditor.collect.session import CallRecorder
from auditor.report.json_read import read_report

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
BASE_ENV = {"AUDITOR_REPORT_BUCKET": BUCKET}


@dataclass
class FakeContext:
    """What the Lambda runtime passes as ``context`` (the parts the handler reads)."""

    aws_request_id: str = "3f1c9e52-5b7e-4a53-9d0e-7a2b4c1d8e6f"
    function_name: str = "iam-auditor"
    memory_limit_in_mb: int = 512

    def get_remaining_time_in_millis(self) -> int:
        return 840_000


@pytest.fixture(autouse=True)
def _root_logger(restore_root_logger: None) -> Iterator[None]:
    """The handler installs its JSON log formatter on the root logger: put it back after."""
    yield


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
        return cast("dict[str, Any]", handler({} if event is None else event, FakeContext()))


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
    monkeypatch.setattr(handler_module, "_default_session", lambda: session)
    return recorder


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
