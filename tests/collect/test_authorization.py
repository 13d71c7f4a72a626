"""GetAccountAuthorizationDetails: pagination, document decoding and entity building."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from botocore.stub import Stubber

from auditor.collect.authorization import (
    FILTER,
    build_policy,
    build_role,
    fetch_authorization_details,
    parse_policy_document,
)
from auditor.collect.common import SourceError

from .conftest import stubbed_client

ACCOUNT = "123456789012"
CREATED = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
ALLOW_S3 = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"StringLike": {"s3:prefix": ["50%", "a b"]}},
        }
    ],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def user(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "Path": "/",
        "UserName": f"user{n}",
        "UserId": f"AIDA{n:016d}",
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/user{n}",
        "CreateDate": CREATED,
        **extra,
    }


def role(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": f"AROA{name.upper():0>16}",
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "CreateDate": CREATED,
        "AssumeRolePolicyDocument": quote(json.dumps(TRUST)),
        **extra,
    }


def policy(name: str, versions: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "PolicyName": name,
        "PolicyId": f"ANPA{name.upper():0>16}",
        "Arn": f"arn:aws:iam::{ACCOUNT}:policy/{name}",
        "Path": "/",
        "DefaultVersionId": next(v["VersionId"] for v in versions if v["IsDefaultVersion"]),
        "AttachmentCount": 3,
        "PermissionsBoundaryUsageCount": 1,
        "IsAttachable": True,
        "CreateDate": CREATED,
        "UpdateDate": CREATED,
        "PolicyVersionList": versions,
        **extra,
    }


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("iam") as pair:
        yield pair


def expect_page(stubber: Stubber, response: dict[str, Any], marker: str | None = None) -> None:
    params: dict[str, Any] = {"Filter": list(FILTER), "MaxItems": 1000}
    if marker is not None:
        params["Marker"] = marker
    stubber.add_response("get_account_authorization_details", response, params)


def test_pages_are_followed_and_merged(stubbed):
    client, stubber = stubbed
    expect_page(
        stubber,
        {
            "UserDetailList": [user(1), user(2)],
            "GroupDetailList": [],
            "RoleDetailList": [role("web")],
            "Policies": [],
            "IsTruncated": True,
            "Marker": "page-2",
        },
    )
    expect_page(
        stubber,
        {
            "UserDetailList": [user(3)],
            "GroupDetailList": [
                {
                    "Path": "/",
                    "GroupName": "admins",
                    "GroupId": "AGPA0000000000000001",
                    "Arn": f"arn:aws:iam::{ACCOUNT}:group/admins",
                    "CreateDate": CREATED,
                    "GroupPolicyList": [
                        {"PolicyName": "inline", "PolicyDocument": quote(json.dumps(ALLOW_S3))}
                    ],
                    "AttachedManagedPolicies": [
                        {
                            "PolicyName": "AdministratorAccess",
                            "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
                        }
                    ],
                }
            ],
            "RoleDetailList": [],
            "Policies": [],
            "IsTruncated": True,
            "Marker": "page-3",
        },
        marker="page-2",
    )
    expect_page(
        stubber,
        {
            "Policies": [
                policy(
                    "reports",
                    [
                        {"Document": "{}", "VersionId": "v1", "IsDefaultVersion": False},
                        {
                            "Document": quote(json.dumps(ALLOW_S3)),
                            "VersionId": "v2",
                            "IsDefaultVersion": True,
                        },
                    ],
                )
            ],
            "IsTruncated": False,
        },
        marker="page-3",
    )
    lines: list[str] = []

    details = fetch_authorization_details(client, progress=lines.append)

    assert [u.name for u in details.users] == ["user1", "user2", "user3"]
    assert [r.name for r in details.roles] == ["web"]
    assert details.roles[0].trust_policy == TRUST
    (group,) = details.groups
    assert group.inline_policies[0].document == ALLOW_S3
    assert group.attached_policies[0].name == "AdministratorAccess"
    (pol,) = details.policies
    assert (pol.default_version_id, pol.document) == ("v2", ALLOW_S3)
    assert lines == [
        "reading authorization details: page 1 (3 entities)…",
        "reading authorization details: page 2 (5 entities)…",
        "reading authorization details: page 3 (6 entities)…",
    ]


def test_a_failing_page_fails_the_whole_source(stubbed):
    client, stubber = stubbed
    expect_page(
        stubber,
        {"UserDetailList": [user(1)], "IsTruncated": True, "Marker": "m2"},
    )
    stubber.add_client_error(
        "get_account_authorization_details", "Throttling", "Rate exceeded", http_status_code=400
    )

    with pytest.raises(SourceError) as info:
        fetch_authorization_details(client)

    assert (info.value.operation, info.value.error, info.value.message) == (
        "iam:GetAccountAuthorizationDetails",
        "Throttling",
        "Rate exceeded",
    )


def test_truncated_page_without_marker_is_malformed(stubbed):
    client, stubber = stubbed
    expect_page(stubber, {"UserDetailList": [user(1)], "IsTruncated": True})

    with pytest.raises(ValueError, match="Marker"):
        fetch_authorization_details(client)


def test_user_fields(stubbed):
    client, stubber = stubbed
    expect_page(
        stubber,
        {
            "UserDetailList": [
                user(
                    7,
                    Path="/staff/",
                    UserPolicyList=[
                        {"PolicyName": "own", "PolicyDocument": quote(json.dumps(ALLOW_S3))}
                    ],
                    GroupList=["admins", "devs"],
                    AttachedManagedPolicies=[
                        {"PolicyName": "p", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/p"}
                    ],
                    PermissionsBoundary={
                        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                        "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/boundary",
                    },
                    Tags=[{"Key": "<script>", "Value": "=cmd()"}],
                )
            ],
            "IsTruncated": False,
        },
    )

    (u,) = fetch_authorization_details(client).users

    assert (u.name, u.path, u.user_id) == ("user7", "/staff/", "AIDA0000000000000007")
    assert u.create_date == CREATED
    assert u.inline_policies[0].document == ALLOW_S3
    assert u.groups == ("admins", "devs")
    assert u.attached_policies[0].arn == f"arn:aws:iam::{ACCOUNT}:policy/p"
    assert u.permissions_boundary_arn == f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    assert u.tags == {"<script>": "=cmd()"}  # kept verbatim; renderers neutralise


def test_role_fields_and_last_used_in_utc():
    paris = timezone(timedelta(hours=1))
    r = build_role(
        role(
            "deploy",
            AssumeRolePolicyDocument=TRUST,  # already decoded by botocore
            RoleLastUsed={
                "LastUsedDate": datetime(2026, 11, 1, 11, 0, tzinfo=paris),
                "Region": "eu-west-3",
            },
            PermissionsBoundary={"PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/b"},
            Tags=[{"Key": "env", "Value": "prod"}],
            RolePolicyList=[{"PolicyName": "i", "PolicyDocument": quote(json.dumps(ALLOW_S3))}],
        )
    )
    assert r.trust_policy == TRUST
    assert r.last_used == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    assert r.last_used is not None and r.last_used.tzinfo is UTC
    assert r.last_used_region == "eu-west-3"
    assert r.permissions_boundary_arn == f"arn:aws:iam::{ACCOUNT}:policy/b"
    assert r.tags == {"env": "prod"}
    assert r.inline_policies[0].document == ALLOW_S3
    assert r.description == ""


def test_never_used_role_has_no_last_used():
    r = build_role(role("idle", RoleLastUsed={}))
    assert (r.last_used, r.last_used_region) == (None, None)


def test_policy_default_version_falls_back_to_default_version_id():
    p = build_policy(
        {
            "Arn": "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
            "DefaultVersionId": "v3",
            "AttachmentCount": 0,
            "PolicyVersionList": [{"Document": ALLOW_S3, "VersionId": "v3"}],
        }
    )
    # No PolicyName (some emulators omit it): taken from the ARN.
    assert p.name == "ViewOnlyAccess"
    assert p.aws_managed
    assert p.document == ALLOW_S3
    assert (p.attachment_count, p.permissions_boundary_usage_count, p.is_attachable) == (0, 0, True)


def test_policy_without_default_version_is_malformed():
    with pytest.raises(ValueError, match="default version"):
        build_policy(
            policy("x", [{"Document": "{}", "VersionId": "v1", "IsDefaultVersion": True}])
            | {"PolicyVersionList": [], "DefaultVersionId": "v9"}
        )


@pytest.mark.parametrize(
    "raw",
    [
        ALLOW_S3,
        json.dumps(ALLOW_S3),
        quote(json.dumps(ALLOW_S3)),
        quote(json.dumps(ALLOW_S3), safe=""),
    ],
    ids=["dict", "json", "url-encoded", "fully-encoded"],
)
def test_policy_documents_in_every_shape(raw):
    assert parse_policy_document(raw) == ALLOW_S3


@pytest.mark.parametrize("raw", [None, "not json", quote("[1, 2]"), 42])
def test_unreadable_policy_document_is_an_error(raw):
    with pytest.raises(ValueError):
        parse_policy_document(raw)
