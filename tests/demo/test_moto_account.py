"""moto_account: backdating, root state, managed policies, certificate dates, bulk accounts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import moto
import pytest

from auditor.demo import moto_account

Report = dict[str, dict[str, str]]


@pytest.fixture
def iam(aws_session: boto3.Session) -> Any:
    return aws_session.client("iam")


def credential_report(iam: Any) -> Report:
    iam.generate_credential_report()
    rows = moto_account.credential_report_rows(iam.get_credential_report()["Content"].decode())
    return {r["user"]: r for r in rows}


def days_ago(when: str | datetime) -> float:
    moment = datetime.fromisoformat(when) if isinstance(when, str) else when
    return (datetime.now(UTC) - moment).total_seconds() / 86400


def test_backdating_users_keys_and_passwords(iam: Any) -> None:
    iam.create_user(UserName="carol")
    iam.create_login_profile(UserName="carol", Password="x-Password-1")
    first = iam.create_access_key(UserName="carol")["AccessKey"]["AccessKeyId"]
    second = iam.create_access_key(UserName="carol")["AccessKey"]["AccessKeyId"]

    moto_account.backdate_user("carol", created_days_ago=400)
    moto_account.backdate_password("carol", last_used_days_ago=50)
    assert moto_account.backdate_access_key("carol", 1, created_days_ago=300) == first
    assert (
        moto_account.backdate_access_key("carol", second, created_days_ago=10, last_used_days_ago=2)
        == second
    )

    row = credential_report(iam)["carol"]
    assert days_ago(row["user_creation_time"]) == pytest.approx(400, abs=0.01)
    # moto derives password_last_changed from the creation date.
    assert row["password_last_changed"] == row["user_creation_time"]
    assert days_ago(row["password_last_used"]) == pytest.approx(50, abs=0.01)
    assert days_ago(row["access_key_1_last_rotated"]) == pytest.approx(300, abs=0.01)
    assert row["access_key_1_last_used_date"] == "N/A"
    assert days_ago(row["access_key_2_last_rotated"]) == pytest.approx(10, abs=0.01)
    assert days_ago(row["access_key_2_last_used_date"]) == pytest.approx(2, abs=0.01)
    last_used = iam.get_access_key_last_used(AccessKeyId=second)["AccessKeyLastUsed"]
    assert days_ago(last_used["LastUsedDate"]) == pytest.approx(2, abs=0.01)


def test_backdating_rejects_what_does_not_exist(iam: Any) -> None:
    iam.create_user(UserName="dave")
    iam.create_access_key(UserName="dave")
    with pytest.raises(ValueError, match="no slot 2"):
        moto_account.backdate_access_key("dave", 2, created_days_ago=1)
    with pytest.raises(ValueError, match="no access key AKIAEXAMPLE"):
        moto_account.backdate_access_key("dave", "AKIAEXAMPLE", created_days_ago=1)
    with pytest.raises(ValueError, match="no console password"):
        moto_account.backdate_password("dave", last_used_days_ago=1)


def test_backdating_roles(iam: Any) -> None:
    iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    moto_account.backdate_role("r", created_days_ago=200, last_used_days_ago=30)
    role = iam.get_role(RoleName="r")["Role"]
    assert days_ago(role["CreateDate"]) == pytest.approx(200, abs=0.01)
    assert days_ago(role["RoleLastUsed"]["LastUsedDate"]) == pytest.approx(30, abs=0.01)
    assert role["RoleLastUsed"]["Region"] == "us-east-1"

    moto_account.backdate_role("r", last_used_days_ago=None)
    role = iam.get_role(RoleName="r")["Role"]
    assert "LastUsedDate" not in role.get("RoleLastUsed", {})
    assert days_ago(role["CreateDate"]) == pytest.approx(200, abs=0.01)


def test_root_state_is_replaced_and_undone(iam: Any) -> None:
    first = moto_account.set_root_state(access_keys_present=True, mfa_enabled=False)
    second = moto_account.set_root_state(
        access_keys_present=False,
        mfa_enabled=True,
        password_present=False,
        virtual_mfa=True,
        signing_certificate_active=True,
    )
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["AccountAccessKeysPresent"] == 0
    assert summary["AccountMFAEnabled"] == 1
    assert summary["AccountPasswordPresent"] == 0
    assert summary["AccountSigningCertificatesPresent"] == 1
    assert summary["UsersQuota"] == 5000  # the rest of moto's summary still answers
    (root,) = credential_report(iam).values()
    assert root["user"] == "<root_account>"
    assert (root["password_last_used"], root["access_key_1_active"]) == ("N/A", "false")
    assert root["cert_1_active"] == "true"
    devices = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert [(d["SerialNumber"], d["User"]["Arn"]) for d in devices] == [
        (
            "arn:aws:iam::123456789012:mfa/root-account-mfa-device",
            "arn:aws:iam::123456789012:root",
        )
    ]

    first.undo()  # already replaced: must not disturb the second
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 1
    with second:
        pass
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 0
    assert "AccountPasswordPresent" not in iam.get_account_summary()["SummaryMap"]
    assert credential_report(iam) == {}
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_root_state_dies_with_the_mock() -> None:
    with moto.mock_aws():
        moto_account.set_root_state(access_keys_present=True, mfa_enabled=False)
        client = boto3.client("iam")
        assert client.get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 1
    with moto.mock_aws():
        client = boto3.client("iam")
        assert client.get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 0


def test_aws_managed_policies_are_added_one_by_one(iam: Any) -> None:
    arns = moto_account.add_aws_managed_policies("AWSSupportAccess", "AWSCloudShellFullAccess")
    assert arns == [
        "arn:aws:iam::aws:policy/AWSSupportAccess",
        "arn:aws:iam::aws:policy/AWSCloudShellFullAccess",
    ]
    assert moto_account.add_aws_managed_policies("AWSSupportAccess") == arns[:1]
    policies = iam.get_account_authorization_details()["Policies"]
    assert sorted(p["Arn"] for p in policies) == sorted(arns)
    doc = iam.get_policy_version(PolicyArn=arns[0], VersionId=policies[0]["DefaultVersionId"])
    assert any("support:*" in str(s) for s in doc["PolicyVersion"]["Document"]["Statement"])
    with pytest.raises(ValueError, match="not an AWS managed policy"):
        moto_account.add_aws_managed_policies("NoSuchPolicy")


def test_server_certificates_report_their_own_dates(iam: Any) -> None:
    for name, expires in (("old", -5), ("new", 90)):
        body, key = moto_account.make_server_certificate(
            f"{name}.example.com", issued_days_ago=30, expires_in_days=expires
        )
        iam.upload_server_certificate(
            ServerCertificateName=name, CertificateBody=body, PrivateKey=key
        )
    fixed = iam.list_server_certificates()["ServerCertificateMetadataList"]
    assert {c["Expiration"].year for c in fixed} == {2012}  # moto's own answer

    moto_account.use_real_certificate_dates()
    listed = {
        c["ServerCertificateName"]: c
        for c in iam.list_server_certificates()["ServerCertificateMetadataList"]
    }
    assert days_ago(listed["old"]["Expiration"]) == pytest.approx(5, abs=0.01)
    assert days_ago(listed["new"]["Expiration"]) == pytest.approx(-90, abs=0.01)
    assert days_ago(listed["new"]["UploadDate"]) == pytest.approx(30, abs=0.01)
    assert listed["old"]["ServerCertificateId"] != listed["new"]["ServerCertificateId"]
    one = iam.get_server_certificate(ServerCertificateName="old")["ServerCertificate"]
    assert one["ServerCertificateMetadata"]["Expiration"] == listed["old"]["Expiration"]


def test_bulk_create_builds_what_it_reports(iam: Any) -> None:
    made = moto_account.bulk_create(users=300, roles=60, keys_per_user=2, seed=7)
    assert (made.users, made.roles, made.groups, made.access_keys) == (300, 60, 3, 600)

    report = credential_report(iam)
    assert len(report) == 300
    assert sum(r["password_enabled"] == "true" for r in report.values()) == made.console_users
    assert sum(r["mfa_active"] == "true" for r in report.values()) == made.mfa_users
    assert 0 < made.mfa_users < made.console_users < 300
    assert all(r["access_key_2_active"] == "true" for r in report.values())
    details = iam.get_account_authorization_details()
    assert len(details["RoleDetailList"]) == 60
    assert len(details["GroupDetailList"]) == 3
    inline = sum(bool(u.get("UserPolicyList")) for u in details["UserDetailList"])
    assert inline == made.inline_policies
    # Ages are spread, not all "now".
    ages = [days_ago(r["access_key_1_last_rotated"]) for r in report.values()]
    assert min(ages) < 100
    assert max(ages) > 400


def test_bulk_create_is_deterministic_per_seed() -> None:
    runs = []
    for seed in (1, 1, 2):
        with moto.mock_aws():
            runs.append(moto_account.bulk_create(users=200, roles=0, seed=seed))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    with pytest.raises(ValueError, match="0 to 2"):
        moto_account.bulk_create(users=1, roles=0, keys_per_user=3)
