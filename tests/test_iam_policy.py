"""The least-privilege policy: exactly the actions the collectors call, all read-only."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from auditor.analyze import analyze, needed_sources, selected_checks
from auditor.audit import TOOL
from auditor.collect import collect
from auditor.config import Settings
from auditor.demo import moto_account
from auditor.errors import ExitCode
from auditor.iam_policy import (
    ALWAYS,
    OPTIONAL_SID,
    POLICY_SID,
    optional_actions,
    policy_document,
    required_actions,
)
from auditor.model import Severity, Source, Status
from auditor.snapshot import Snapshot
from auditor.sources import OPTIONAL_SOURCES, SOURCES

ACCOUNT_ID = "123456789012"  # moto's default account

READ_ONLY = re.compile(r"^[a-z0-9-]+:(Get|List|Describe)[A-Za-z]+$")
ONLY_WRITE = "iam:GenerateCredentialReport"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    with mock_aws():
        yield


def actions(doc: dict[str, Any]) -> list[str]:
    """Every action of every statement, in order."""
    return [a for statement in doc["Statement"] for a in statement["Action"]]


def statement(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [s for s in doc["Statement"] if s["Sid"] == sid]
    return dict(found)


def test_policy_shape():
    doc = policy_document()
    assert doc["Version"] == "2012-10-17"
    assert [s["Sid"] for s in doc["Statement"]] == [POLICY_SID, OPTIONAL_SID]
    for statement_ in doc["Statement"]:
        assert statement_["Effect"] == "Allow"
        assert statement_["Resource"] == "*"
        assert statement_["Action"] == sorted(set(statement_["Action"]))
    json.dumps(doc)  # printable as-is by the CLI


def test_policy_is_the_union_of_required_actions():
    union = set(ALWAYS).union(*(spec.actions for spec in SOURCES.values()))
    assert sorted(actions(policy_document())) == sorted(union)  # each action once
    assert set(SOURCES) == set(Source)


def test_the_optional_statement_holds_exactly_list_accounts():
    doc = policy_document()
    assert statement(doc, OPTIONAL_SID)["Action"] == ["organizations:ListAccounts"]
    assert "organizations:ListAccounts" not in statement(doc, POLICY_SID)["Action"]
    assert {Source.ORGANIZATION} == OPTIONAL_SOURCES
    assert optional_actions() == ("organizations:ListAccounts",)
    # Without the optional source there is no optional statement at all.
    doc = policy_document([Source.AUTHORIZATION_DETAILS])
    assert [s["Sid"] for s in doc["Statement"]] == [POLICY_SID]
    doc = policy_document([Source.ORGANIZATION])
    assert statement(doc, POLICY_SID)["Action"] == list(ALWAYS)
    assert statement(doc, OPTIONAL_SID)["Action"] == ["organizations:ListAccounts"]


def test_no_check_needs_an_optional_source():
    # What keeps a denied optional action from turning any check to ERROR.
    for chk in selected_checks(Settings()):
        assert not chk.meta.needs & OPTIONAL_SOURCES, chk.meta.id
    # ...while the checks judging trust between accounts have it collected.
    assert Source.ORGANIZATION in needed_sources(selected_checks(Settings()))


def test_every_action_is_read_only():
    for action in actions(policy_document()):
        assert action == ONLY_WRITE or READ_ONLY.match(action), action


def test_policy_for_some_sources_holds_only_their_actions():
    doc = policy_document([Source.PASSWORD_POLICY, Source.ACCESS_ANALYZER])
    assert actions(doc) == [
        "access-analyzer:ListAnalyzers",
        "ec2:DescribeRegions",
        "iam:GetAccountPasswordPolicy",
        "sts:GetCallerIdentity",
    ]
    assert required_actions([]) == ALWAYS


@pytest.mark.parametrize("source", list(Source), ids=lambda s: s.value)
def test_collecting_a_source_calls_exactly_its_actions(aws: None, source: Source):
    snap = collect(boto3.Session(), [source], sleep=lambda _s: None)
    assert set(snap.api_calls) == set(required_actions([source]))


def _run_as_auditor(policy: dict[str, Any]) -> Snapshot:
    iam = boto3.client("iam")
    iam.create_user(UserName="auditor")
    iam.put_user_policy(UserName="auditor", PolicyName="audit", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    session = boto3.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    )
    return collect(session, list(Source), sleep=lambda _s: None)


def _make_organization() -> str:
    """Make the account an Organization's management account with one member; its id."""
    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    created = org.create_account(AccountName="workloads", Email="workloads@example.com")
    return str(created["CreateAccountStatus"]["AccountId"])


# The two Organization calls and the three auditor setup calls; then IAM is enforced.
@set_initial_no_auth_action_count(5)
def test_the_documented_policy_is_enough(aws: None):
    member = _make_organization()
    snap = _run_as_auditor(policy_document())
    assert snap.sources == frozenset(Source)
    assert snap.organization_account_ids == {ACCOUNT_ID, member}
    # Access Analyzer is not implemented by the local AWS: regional 404s, never AccessDenied.
    assert snap.gaps
    assert {(g.source, g.error) for g in snap.gaps} == {(Source.ACCESS_ANALYZER, "404")}


@set_initial_no_auth_action_count(5)
def test_without_the_optional_statement_no_check_errors(aws: None):
    _make_organization()
    moto_account.set_root_state(access_keys_present=False, mfa_enabled=True)  # ROOT-004/005
    doc = policy_document()
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != OPTIONAL_SID]

    snap = _run_as_auditor(doc)

    gap = snap.gap(Source.ORGANIZATION)
    assert gap is not None
    assert gap.operation == "organizations:ListAccounts"
    # moto answers this JSON-protocol denial in XML, which botocore reads as a bare "403";
    # AWS says AccessDeniedException. Either way the message names the action.
    assert gap.error in {"AccessDeniedException", "403"}
    assert "not authorized to perform: organizations:ListAccounts" in gap.message
    assert snap.organization_account_ids is None
    # Access Analyzer cannot be read here whatever the policy (see above): AA-001 aside.
    checks = [c for c in selected_checks(Settings()) if Source.ACCESS_ANALYZER not in c.meta.needs]
    report = analyze(snap, Settings(), checks, tool=TOOL)
    assert [f.check_id for f in report.findings if f.status is Status.ERROR] == []
    assert report.complete
    assert ExitCode.judge(report, Severity.INFO) != ExitCode.INCOMPLETE
    assert ExitCode.judge(report, None) == 0
    # The missing accounts are explained, not listed as a gap that makes the audit partial.
    assert all(g.source is not Source.ORGANIZATION for g in report.gaps)
    assert any("Organization member accounts not read" in n for n in report.notes)


@set_initial_no_auth_action_count(3)
def test_a_missing_action_is_an_access_denied_gap(aws: None):
    doc = policy_document()
    doc["Statement"][0]["Action"].remove("iam:GetAccountAuthorizationDetails")
    doc["Statement"][0]["Action"].remove("ec2:DescribeRegions")

    snap = _run_as_auditor(doc)

    assert Source.AUTHORIZATION_DETAILS not in snap.sources
    gap = snap.gap(Source.AUTHORIZATION_DETAILS)
    assert gap is not None
    assert (gap.operation, gap.error) == ("iam:GetAccountAuthorizationDetails", "AccessDenied")
    aa_gap = snap.gap(Source.ACCESS_ANALYZER)
    assert aa_gap is not None
    assert aa_gap.operation == "ec2:DescribeRegions"
    assert snap.sources == frozenset(Source) - {
        Source.AUTHORIZATION_DETAILS,
        Source.ACCESS_ANALYZER,
    }
