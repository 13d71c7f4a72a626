"""An Organization: listing its members, auditing them as member events or in one org-mode
invocation, and aggregating their results (passed in the event) into the org summary.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from auditor.aws_lambda.settings import HandlerError
from auditor.demo import moto_account
from auditor.report.json_read import read_report

from .conftest import (
    ACCOUNT,
    BUCKET,
    NAMES,
    PREFIX,
    SECOND,
    all_keys,
    invoke,
    received,
    report_json,
    subscribe_queue,
)

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
