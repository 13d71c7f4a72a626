"""Account-level collectors: password policy, virtual MFA (root), certificates, IdPs, pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from auditor.collect.account import (
    build_virtual_mfa_device,
    fetch_account_summary,
    fetch_oidc_providers,
    fetch_password_policy,
    fetch_saml_providers,
    fetch_server_certificates,
    fetch_virtual_mfa_devices,
)
from auditor.collect.common import SourceError
from auditor.collect.session import CallRecorder
from auditor.demo import moto_account
from auditor.snapshot import PasswordPolicy

from .conftest import stubbed_client

ACCOUNT = "123456789012"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("iam") as pair:
        yield pair


def test_password_policy_fields(stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "get_account_password_policy",
        {
            "PasswordPolicy": {
                "MinimumPasswordLength": 14,
                "RequireSymbols": True,
                "RequireNumbers": True,
                "RequireUppercaseCharacters": True,
                "RequireLowercaseCharacters": False,
                "AllowUsersToChangePassword": True,
                "ExpirePasswords": True,
                "MaxPasswordAge": 60,
                "PasswordReusePrevention": 5,
                "HardExpiry": True,
            }
        },
    )
    assert fetch_password_policy(client) == PasswordPolicy(
        minimum_password_length=14,
        require_symbols=True,
        require_numbers=True,
        require_uppercase_characters=True,
        require_lowercase_characters=False,
        allow_users_to_change_password=True,
        expire_passwords=True,
        max_password_age=60,
        password_reuse_prevention=5,
        hard_expiry=True,
    )


def test_sparse_password_policy_takes_aws_defaults(stubbed):
    client, stubber = stubbed
    stubber.add_response("get_account_password_policy", {"PasswordPolicy": {}})
    policy = fetch_password_policy(client)
    assert policy == PasswordPolicy()
    assert policy is not None
    assert (policy.max_password_age, policy.password_reuse_prevention) == (None, None)


def test_no_password_policy_is_none_not_a_failure(stubbed):
    client, stubber = stubbed
    stubber.add_client_error(
        "get_account_password_policy", "NoSuchEntity", "no policy", http_status_code=404
    )
    assert fetch_password_policy(client) is None


def test_password_policy_access_denied_is_a_source_error(stubbed):
    client, stubber = stubbed
    stubber.add_client_error(
        "get_account_password_policy",
        "AccessDenied",
        "User: x is not authorized\nto perform: iam:GetAccountPasswordPolicy",
        http_status_code=403,
    )
    with pytest.raises(SourceError) as info:
        fetch_password_policy(client)
    assert (info.value.operation, info.value.error) == (
        "iam:GetAccountPasswordPolicy",
        "AccessDenied",
    )
    assert "\n" not in info.value.message
    assert "\n" not in str(info.value)


def test_account_summary(stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "get_account_summary",
        {"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0, "Users": 12}},
    )
    assert fetch_account_summary(client) == {
        "AccountMFAEnabled": 1,
        "AccountAccessKeysPresent": 0,
        "Users": 12,
    }


def test_virtual_mfa_pages(stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "list_virtual_mfa_devices",
        {
            "VirtualMFADevices": [
                {
                    "SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/alice",
                    "User": {
                        "Path": "/",
                        "UserName": "alice",
                        "UserId": "AIDA0000000000000001",
                        "Arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
                        "CreateDate": WHEN,
                    },
                    "EnableDate": WHEN,
                }
            ],
            "IsTruncated": True,
            "Marker": "next",
        },
        {"AssignmentStatus": "Any", "MaxItems": 1000},
    )
    stubber.add_response(
        "list_virtual_mfa_devices",
        {
            "VirtualMFADevices": [{"SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/unassigned"}],
            "IsTruncated": False,
        },
        {"AssignmentStatus": "Any", "MaxItems": 1000, "Marker": "next"},
    )

    alice, spare = fetch_virtual_mfa_devices(client)

    assert (alice.user_arn, alice.user_name) == (f"arn:aws:iam::{ACCOUNT}:user/alice", "alice")
    assert alice.enable_date == WHEN
    assert (spare.user_arn, spare.user_name, spare.enable_date) == (None, None, None)


def test_1500_virtual_mfa_devices_take_two_calls(mocked: boto3.Session):
    # moto pages ListVirtualMFADevices by MaxItems and Marker, defaulting to 100 as AWS does.
    backend = moto_account.iam_backend(ACCOUNT)
    for n in range(1500):
        backend.create_virtual_mfa_device(f"device-{n:04d}", "/")
    recorder = CallRecorder()
    recorder.attach(mocked)

    devices = fetch_virtual_mfa_devices(mocked.client("iam", region_name="us-east-1"))

    assert len({d.serial_number for d in devices}) == 1500
    assert recorder.calls == {"iam:ListVirtualMFADevices": 2}


def test_root_virtual_mfa_device():
    # Root's entry names the account as its user, without a user name.
    device = build_virtual_mfa_device(
        {
            "SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device",
            "User": {"UserId": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root", "CreateDate": WHEN},
            "EnableDate": WHEN,
        }
    )
    assert device.user_arn == f"arn:aws:iam::{ACCOUNT}:root"
    assert device.user_name is None
    assert device.enable_date == WHEN


def test_server_certificates(stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "list_server_certificates",
        {
            "ServerCertificateMetadataList": [
                {
                    "Path": "/cloudfront/",
                    "ServerCertificateName": "web",
                    "ServerCertificateId": "ASCA0000000000000001",
                    "Arn": f"arn:aws:iam::{ACCOUNT}:server-certificate/cloudfront/web",
                    "UploadDate": WHEN,
                    "Expiration": datetime(2027, 1, 1, tzinfo=UTC),
                }
            ],
            "IsTruncated": False,
        },
        {"MaxItems": 1000},  # IAM's largest page, not its default of 100
    )
    (cert,) = fetch_server_certificates(client)
    assert (cert.name, cert.path, cert.certificate_id) == (
        "web",
        "/cloudfront/",
        "ASCA0000000000000001",
    )
    assert cert.expiration == datetime(2027, 1, 1, tzinfo=UTC)
    assert cert.upload_date == WHEN


def test_identity_providers(stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "list_saml_providers",
        {
            "SAMLProviderList": [
                {
                    "Arn": f"arn:aws:iam::{ACCOUNT}:saml-provider/okta",
                    "ValidUntil": datetime(2030, 1, 1, tzinfo=UTC),
                    "CreateDate": WHEN,
                }
            ]
        },
    )
    stubber.add_response(
        "list_open_id_connect_providers",
        {
            "OpenIDConnectProviderList": [
                {"Arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}
            ]
        },
    )
    (saml,) = fetch_saml_providers(client)
    (oidc,) = fetch_oidc_providers(client)
    assert saml.valid_until == datetime(2030, 1, 1, tzinfo=UTC)
    assert saml.create_date == WHEN
    assert oidc.host == "token.actions.githubusercontent.com"


@pytest.mark.parametrize(
    ("fetch", "method", "operation"),
    [
        (fetch_account_summary, "get_account_summary", "iam:GetAccountSummary"),
        (fetch_virtual_mfa_devices, "list_virtual_mfa_devices", "iam:ListVirtualMFADevices"),
        (fetch_server_certificates, "list_server_certificates", "iam:ListServerCertificates"),
        (fetch_saml_providers, "list_saml_providers", "iam:ListSAMLProviders"),
        (fetch_oidc_providers, "list_open_id_connect_providers", "iam:ListOpenIDConnectProviders"),
    ],
)
def test_failures_name_the_operation(stubbed, fetch, method, operation):
    client, stubber = stubbed
    stubber.add_client_error(method, "AccessDenied", "denied", http_status_code=403)
    with pytest.raises(SourceError) as info:
        fetch(client)
    assert (info.value.operation, info.value.error, info.value.message) == (
        operation,
        "AccessDenied",
        "denied",
    )
