"""The aggregation of a Step Functions Distributed Map's results, as its ResultWriter wrote
them to the report bucket: a manifest.json and JSON arrays of child executions, each
child's output made by the item processor of deploy/template.yaml itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from auditor.aws_lambda.manifest import child_result
from auditor.aws_lambda.results import WORST_ACCOUNTS_MAX
from auditor.aws_lambda.settings import HandlerError
from auditor.demo import moto_account

from .conftest import (
    ACCOUNT,
    BUCKET,
    NAMES,
    PREFIX,
    SECOND,
    all_keys,
    invoke,
    recorded_session,
    report_json,
)

MEMBER = "111122223333"


# --- Step Functions: the Distributed Map's results in S3 -----------------------------------

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "template.yaml"
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


def test_a_map_child_whose_input_account_ends_in_a_newline_has_no_account() -> None:
    execution = {"Input": json.dumps({"account_id": f"{MEMBER}\n"}), "Status": "FAILED"}
    with pytest.raises(HandlerError, match="has no 12-digit account_id"):
        child_result(execution, "FAILED", "results/FAILED_0.json #0")
