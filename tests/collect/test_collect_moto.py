"""``collect`` end to end against an in-process moto account: contents and call counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto.iam.models import IAMBackend, iam_backends

from auditor.collect import CredentialsError, collect
from auditor.demo import moto_account
from auditor.model import Source
from auditor.snapshot import dumps, loads

from .conftest import ACCOUNT_ID, FakeTime

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "vendor-42"}},
        }
    ],
}
READ_V1 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
}
# The default version after set_default_policy_version; "50%" must survive decoding.
READ_V2 = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": "arn:aws:s3:::reports/*",
            "Condition": {"StringLike": {"s3:prefix": "50%"}},
        }
    ],
}
INLINE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}],
}


def build_small_account(session: boto3.Session) -> dict[str, Any]:
    """Users, a group, a role, a customer policy, MFA, a certificate, IdPs, a password policy."""
    iam = session.client("iam")
    policy_arn = iam.create_policy(PolicyName="ReadReports", PolicyDocument=json.dumps(READ_V1))[
        "Policy"
    ]["Arn"]
    iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=json.dumps(READ_V2))
    iam.set_default_policy_version(PolicyArn=policy_arn, VersionId="v2")

    iam.create_group(GroupName="analysts")
    iam.attach_group_policy(GroupName="analysts", PolicyArn=policy_arn)
    iam.put_group_policy(
        GroupName="analysts", PolicyName="queue", PolicyDocument=json.dumps(INLINE)
    )

    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "data"}])
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-Battery-9")
    alice_key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    iam.add_user_to_group(GroupName="analysts", UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="direct", PolicyDocument=json.dumps(INLINE))
    serial = moto_account.add_virtual_mfa(iam, "alice", device_name="alice-phone")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="spare")

    iam.create_user(UserName="ci-bot")
    iam.create_access_key(UserName="ci-bot")
    old = iam.create_access_key(UserName="ci-bot")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="ci-bot", AccessKeyId=old, Status="Inactive")

    iam.create_role(
        RoleName="vendor-audit",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Tags=[{"Key": "owner", "Value": "secops"}],
    )
    iam.attach_role_policy(RoleName="vendor-audit", PolicyArn=policy_arn)
    iam.put_role_policy(
        RoleName="vendor-audit", PolicyName="queue", PolicyDocument=json.dumps(INLINE)
    )
    iam.put_role_permissions_boundary(RoleName="vendor-audit", PermissionsBoundary=policy_arn)

    iam.upload_server_certificate(
        ServerCertificateName="web",
        CertificateBody="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        PrivateKey="not-a-real-key",
    )
    iam.create_saml_provider(Name="okta", SAMLMetadataDocument="<md/>" * 200)
    iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com",
        ThumbprintList=["a" * 40],
        ClientIDList=["sts.amazonaws.com"],
    )
    iam.update_account_password_policy(
        MinimumPasswordLength=16,
        RequireSymbols=True,
        RequireNumbers=True,
        PasswordReusePrevention=24,
        MaxPasswordAge=90,
    )
    return {"policy_arn": policy_arn, "alice_key": alice_key, "mfa_serial": serial}


def enabled_regions(session: boto3.Session) -> set[str]:
    """What moto calls enabled, within the aws partition as botocore knows it.

    moto lists regions of every partition; real AWS lists only the caller's.
    """
    regions = session.client("ec2").describe_regions()["Regions"]
    aws_partition = set(session.get_available_regions("ec2", partition_name="aws"))
    return {
        r["RegionName"]
        for r in regions
        if r.get("OptInStatus") != "not-opted-in" and r["RegionName"] in aws_partition
    }


def backend() -> IAMBackend:
    return iam_backends[ACCOUNT_ID]["global"]


def test_small_account_is_collected_completely(mocked: boto3.Session, fake_time: FakeTime):
    made = build_small_account(mocked)
    lines: list[str] = []

    snap = collect(
        mocked, list(Source), progress=lines.append, sleep=fake_time.sleep, clock=fake_time.clock
    )

    assert snap.account_id == ACCOUNT_ID
    assert snap.partition == "aws"
    assert snap.collected_at.tzinfo is not None
    assert abs((datetime.now(UTC) - snap.collected_at).total_seconds()) < 3600
    # Every source; moto does not implement Access Analyzer, so its regions are all gaps
    # (AA-001 reports each of them as ERROR).
    assert snap.sources == frozenset(Source)
    assert snap.access_analyzer is not None
    assert snap.access_analyzer.analyzers == ()
    aa_gaps = {g.region for g in snap.gaps if g.source is Source.ACCESS_ANALYZER}
    assert aa_gaps == set(snap.access_analyzer.regions)

    # credential report
    report = snap.credential_report
    assert report is not None
    assert report.generated_at == datetime(2015, 2, 2, 20, 2, 2, tzinfo=UTC)
    rows = {r.user: r for r in report.rows}
    assert set(rows) == {"alice", "ci-bot"}
    alice, bot = rows["alice"], rows["ci-bot"]
    assert alice.password_enabled is True
    assert alice.mfa_active is True
    assert [k.slot for k in alice.active_keys] == [1]
    assert bot.password_enabled is False
    assert bot.mfa_active is False
    assert [(k.slot, k.active) for k in bot.access_keys] == [(1, True), (2, False)]
    assert all(not r.problems for r in report.rows)

    # authorization details
    auth = snap.authorization
    assert auth is not None
    users = {u.name: u for u in auth.users}
    assert set(users) == {"alice", "ci-bot"}
    assert users["alice"].groups == ("analysts",)
    assert users["alice"].tags == {"team": "data"}
    assert [(p.name, p.document) for p in users["alice"].inline_policies] == [("direct", INLINE)]
    assert users["alice"].create_date is not None
    assert users["alice"].create_date.tzinfo is UTC
    group = auth.group("analysts")
    assert group is not None
    assert [a.arn for a in group.attached_policies] == [made["policy_arn"]]
    assert [p.name for p in group.inline_policies] == ["queue"]
    (role,) = auth.roles
    assert role.name == "vendor-audit"
    assert role.trust_policy == TRUST
    assert role.permissions_boundary_arn == made["policy_arn"]
    assert role.tags == {"owner": "secops"}
    assert [a.name for a in role.attached_policies] == ["ReadReports"]
    assert role.last_used is None
    policy = auth.policy(made["policy_arn"])
    assert policy is not None
    assert policy.name == "ReadReports"
    assert policy.default_version_id == "v2"
    assert policy.document == READ_V2
    assert policy.attachment_count == 2
    assert not policy.aws_managed

    # account-level sources
    assert snap.account_summary is not None
    assert snap.account_summary["Users"] == 2
    assert snap.account_summary["Groups"] == 1
    pp = snap.password_policy
    assert pp is not None
    assert (pp.minimum_password_length, pp.password_reuse_prevention) == (16, 24)
    assert (pp.require_symbols, pp.require_numbers, pp.require_uppercase_characters) == (
        True,
        True,
        False,
    )
    assert pp.max_password_age == 90
    mfa = {d.serial_number: d for d in snap.virtual_mfa_devices or ()}
    assert mfa[made["mfa_serial"]].user_name == "alice"
    assert mfa[made["mfa_serial"]].user_arn == f"arn:aws:iam::{ACCOUNT_ID}:user/alice"
    assert mfa[f"arn:aws:iam::{ACCOUNT_ID}:mfa/spare"].user_arn is None
    (cert,) = snap.server_certificates or ()
    assert cert.name == "web"
    assert cert.expiration is not None
    assert cert.expiration.tzinfo is UTC
    assert [p.arn for p in snap.saml_providers or ()] == [
        f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/okta"
    ]
    assert [p.host for p in snap.oidc_providers or ()] == ["token.actions.githubusercontent.com"]

    # Access Analyzer: a regional gap per enabled region, never a crash, never a pass.
    regions = enabled_regions(mocked)
    assert "us-east-1" in regions
    assert {g.region for g in snap.gaps} == regions
    assert all(
        (g.source, g.operation, g.error)
        == (Source.ACCESS_ANALYZER, "access-analyzer:ListAnalyzers", "404")
        for g in snap.gaps
    )
    assert snap.gap(Source.ACCESS_ANALYZER) is None  # only regional gaps

    # One call per operation (per page, per region): independent of the number of users.
    assert snap.api_calls == {
        "access-analyzer:ListAnalyzers": len(regions),
        "ec2:DescribeRegions": 1,
        "iam:GenerateCredentialReport": 2,
        "iam:GetAccountAuthorizationDetails": 1,
        "iam:GetAccountPasswordPolicy": 1,
        "iam:GetAccountSummary": 1,
        "iam:GetCredentialReport": 1,
        "iam:ListOpenIDConnectProviders": 1,
        "iam:ListSAMLProviders": 1,
        "iam:ListServerCertificates": 1,
        "iam:ListVirtualMFADevices": 1,
        "organizations:ListAccounts": 1,
        "sts:GetCallerIdentity": 1,
    }
    # The report was requested first and was ready by the time it was fetched.
    assert fake_time.sleeps == []
    assert lines[0] == "generating credential report…"
    assert any("Access Analyzer" in line for line in lines)

    # The snapshot survives its JSON round trip.
    assert loads(dumps(snap)) == snap


def test_call_count_does_not_grow_with_users(mocked: boto3.Session, fake_time: FakeTime):
    iam = mocked.client("iam")
    for n in range(30):
        iam.create_user(UserName=f"user-{n}")
        iam.create_access_key(UserName=f"user-{n}")
    wanted = [Source.CREDENTIAL_REPORT, Source.AUTHORIZATION_DETAILS]

    snap = collect(mocked, wanted, sleep=fake_time.sleep, clock=fake_time.clock)

    assert snap.credential_report is not None
    assert len(snap.credential_report.users) == 30
    assert snap.authorization is not None
    assert len(snap.authorization.users) == 30
    assert sum(snap.api_calls.values()) == 5  # identity, 2 x generate, get, one page


def test_only_requested_sources_are_collected(mocked: boto3.Session):
    snap = collect(mocked, [Source.PASSWORD_POLICY, Source.OIDC_PROVIDERS])

    assert snap.sources == {Source.PASSWORD_POLICY, Source.OIDC_PROVIDERS}
    assert snap.password_policy is None  # none set: collected, and there is none
    assert snap.oidc_providers == ()
    assert snap.credential_report is None
    assert snap.authorization is None
    assert snap.gaps == ()
    assert snap.api_calls == {
        "iam:GetAccountPasswordPolicy": 1,
        "iam:ListOpenIDConnectProviders": 1,
        "sts:GetCallerIdentity": 1,
    }


def test_root_row_and_root_state(mocked: boto3.Session, monkeypatch: pytest.MonkeyPatch):
    """moto has no root user: add root's report row and summary flags to its backend."""
    original = IAMBackend.get_credential_report
    root_row = (
        f"<root_account>,arn:aws:iam::{ACCOUNT_ID}:root,2019-03-01T08:00:00+00:00,"
        "not_supported,2026-10-30T12:34:56+00:00,not_supported,not_supported,true,"
        "true,2020-01-01T00:00:00+00:00,2026-11-01T10:00:00+00:00,us-east-1,s3,"
        "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
    )

    def with_root(self: IAMBackend) -> str:
        header, _, rest = original(self).partition("\n")
        return f"{header}\n{root_row}{rest}"

    # Patched on the class: moto resets its backend objects when the mock ends.
    monkeypatch.setattr(IAMBackend, "get_credential_report", with_root)
    summary = backend().account_summary
    summary._account_mfa_enabled = 1
    summary._account_access_keys_present = 1

    snap = collect(mocked, [Source.CREDENTIAL_REPORT, Source.ACCOUNT_SUMMARY])

    assert snap.credential_report is not None
    root = snap.credential_report.root
    assert root is not None
    assert root.arn == snap.root_arn
    assert root.password_enabled is None
    assert root.password_last_used == datetime(2026, 10, 30, 12, 34, 56, tzinfo=UTC)
    (key,) = root.active_keys
    assert key.last_used == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    assert (key.last_used_region, key.last_used_service) == ("us-east-1", "s3")
    assert snap.credential_report.users == ()
    assert snap.account_summary is not None
    assert snap.account_summary["AccountMFAEnabled"] == 1
    assert snap.account_summary["AccountAccessKeysPresent"] == 1


def test_never_ready_credential_report_is_a_gap_after_bounded_wait(
    mocked: boto3.Session, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime
):
    monkeypatch.setattr(IAMBackend, "report_generated", lambda self: False)

    snap = collect(
        mocked,
        [Source.CREDENTIAL_REPORT, Source.ACCOUNT_SUMMARY],
        credential_report_wait=30,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )

    assert snap.sources == {Source.ACCOUNT_SUMMARY}
    assert snap.credential_report is None
    gap = snap.gap(Source.CREDENTIAL_REPORT)
    assert gap is not None
    assert (gap.operation, gap.error) == ("iam:GenerateCredentialReport", "Timeout")
    assert 0 < sum(fake_time.sleeps) <= 30
    assert fake_time.sleeps == sorted(fake_time.sleeps)  # backing off, never speeding up
    assert snap.api_calls["iam:GenerateCredentialReport"] == len(fake_time.sleeps) + 2
    assert "iam:GetCredentialReport" not in snap.api_calls


def test_access_denied_is_a_gap_and_the_audit_goes_on(
    mocked: boto3.Session, monkeypatch: pytest.MonkeyPatch
):
    from moto.core.exceptions import AccessDeniedError

    def deny(self: IAMBackend) -> None:
        raise AccessDeniedError(user_arn="arn:aws:iam::123456789012:user/auditor", action="x")

    monkeypatch.setattr(IAMBackend, "list_saml_providers", deny)

    snap = collect(mocked, [Source.SAML_PROVIDERS, Source.SERVER_CERTIFICATES])

    assert snap.sources == {Source.SERVER_CERTIFICATES}
    assert snap.saml_providers is None
    gap = snap.gap(Source.SAML_PROVIDERS)
    assert gap is not None
    assert (gap.operation, gap.error) == ("iam:ListSAMLProviders", "AccessDenied")


def test_no_credentials_is_a_credentials_error(aws_env: None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    with pytest.raises(CredentialsError) as info:
        collect(boto3.Session(), [Source.ACCOUNT_SUMMARY])

    message = str(info.value)
    assert "no usable AWS credentials" in message
    assert "\n" not in message


def test_unreachable_endpoint_is_a_credentials_error(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
):
    from botocore.config import Config

    from auditor.collect import session as session_module

    # Port 9 (discard) on loopback refuses connections at once; one attempt keeps it quick.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(
        session_module,
        "IDENTITY_CONFIG",
        session_module.IDENTITY_CONFIG.merge(Config(retries={"max_attempts": 1})),
    )

    with pytest.raises(CredentialsError) as info:
        collect(boto3.Session(), [Source.ACCOUNT_SUMMARY])

    assert "cannot reach AWS" in str(info.value)
    assert "127.0.0.1:9" in str(info.value)


def test_malformed_answer_is_a_gap_not_a_crash(
    mocked: boto3.Session, monkeypatch: pytest.MonkeyPatch
):
    from auditor.collect import account

    def malformed(iam: Any) -> None:
        raise KeyError("SummaryMap")

    monkeypatch.setattr(account, "fetch_account_summary", malformed)

    snap = collect(mocked, [Source.ACCOUNT_SUMMARY, Source.OIDC_PROVIDERS])

    assert snap.sources == {Source.OIDC_PROVIDERS}
    gap = snap.gap(Source.ACCOUNT_SUMMARY)
    assert gap is not None
    assert (gap.operation, gap.error) == ("iam:GetAccountSummary", "MalformedResponse")
    assert "SummaryMap" in gap.message
