"""The least-privilege policy: exactly the actions the collectors call, all read-only."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from auditor.collect import collect
from auditor.model import Source
from auditor.permissions import ALWAYS, REQUIRED_ACTIONS, policy_document, required_actions

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


def actions(doc: dict[str, object]) -> list[str]:
    (statement,) = doc["Statement"]  # type: ignore[misc]
    return list(statement["Action"])


def test_policy_shape():
    doc = policy_document()
    assert doc["Version"] == "2012-10-17"
    (statement,) = doc["Statement"]
    assert statement["Sid"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "*"
    assert statement["Action"] == sorted(set(statement["Action"]))
    json.dumps(doc)  # printable as-is by the CLI


def test_policy_is_the_union_of_required_actions():
    union = set(ALWAYS).union(*REQUIRED_ACTIONS.values())
    assert set(actions(policy_document())) == union
    assert set(REQUIRED_ACTIONS) == set(Source)


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


def _run_as_auditor(policy: dict[str, object]) -> object:
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


@set_initial_no_auth_action_count(3)  # the three setup calls above; then IAM is enforced
def test_the_documented_policy_is_enough(aws: None):
    snap = _run_as_auditor(policy_document())
    assert snap.sources == frozenset(Source)
    # Access Analyzer is not implemented by the local AWS: regional 404s, never AccessDenied.
    assert snap.gaps
    assert {(g.source, g.error) for g in snap.gaps} == {(Source.ACCESS_ANALYZER, "404")}


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
