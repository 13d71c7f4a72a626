"""The report bucket: dated keys written once, latest/ replaced, SSE, and the previous
latest/report.json as the baseline of the next run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import boto3
import pytest

from auditor.aws_lambda.settings import LOGGER
from auditor.diff import diff_reports
from auditor.report.json_read import read_report
from auditor.report.json_report import changes_to_dict
from auditor.sink import SinkError

from .conftest import (
    ACCOUNT,
    BUCKET,
    FIRST,
    FIRST_FOLDER,
    LATEST_FOLDER,
    NAMES,
    SECOND,
    SECOND_FOLDER,
    all_keys,
    audit_report,
    body,
    invoke,
    report_json,
)

# --- dated and latest keys ---------------------------------------------------------------


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

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        result = invoke(at=SECOND)

    assert result["audited"] is True
    assert "changes" not in report_json(s3, result["report_json_key"])
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("no baseline" in w and says in w for w in warnings), warnings
