"""Every check of the core audit, end to end: real API calls, the installed CLI, report.json.

Three accounts hold all the situations, so the whole catalog costs three CLI runs:

- **weak**: root with an access key in use, a virtual MFA and a signing certificate; a
  weak password policy; one user per credential situation, boundaries included (keys 89
  and 91 days old, keys and passwords unused 44 and 46 days, never-used ones created 10
  and 60 days ago, an old inactive key); direct, group and role admin grants,
  CloudShell access; used, unused and new roles; expired, expiring and valid server
  certificates; a GitHub OIDC provider only; analyzers in some regions.
- **strong**: the same checks' PASS side where only an account-level finding exists
  (root with hardware MFA, a strict password policy, a support role, a SAML provider, an
  analyzer everywhere, no certificates) — it audits clean, exit code 0.
- **neglected**: root without MFA holding an inactive key, no password policy, and one
  region whose Access Analyzer denies access — AA-001 is ERROR there and the exit code is 3.

Each account is built with boto3 calls on the moto server and backdated through moto's
in-process objects (``auditor.demo.moto_account``; see docs/architecture.md); each test
asserts a table of ``Expect`` rows against one run's report.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.demo import moto_account
from auditor.demo.access_analyzer import ANY_REGION, analyzer
from testkit.server import AccessAnalyzerStub

from .audit_helpers import (
    ABSENT,
    ACCOUNT_ID,
    CORE_CHECKS,
    ERROR,
    FAIL,
    PASS,
    PASSWORD,
    REPORT_FILES,
    Expect,
    allow,
    assert_table,
    audit,
    policy_doc,
    statuses_by_check,
    trust,
)
from .conftest import AwsClient, RunCli

ROOT = "root"
GITHUB_OIDC = "token.actions.githubusercontent.com"
GITHUB_PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{GITHUB_OIDC}"
HARDWARE_MFA_SERIAL = "GAHT12345678"  # a hardware token's serial: never a virtual device


# --- building blocks ------------------------------------------------------------------------


def add_user(iam: Any, name: str, *, created_days_ago: float | None = None) -> None:
    """A user, optionally older than now (also ages a password it gets later)."""
    iam.create_user(UserName=name)
    if created_days_ago is not None:
        moto_account.backdate_user(name, created_days_ago=created_days_ago)


def add_key(
    iam: Any,
    user: str,
    *,
    created_days_ago: float | None,
    used_days_ago: float | None,
    active: bool = True,
) -> None:
    """An access key created and last used that long ago (``None``: now / never)."""
    key_id = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    moto_account.backdate_access_key(
        user, key_id, created_days_ago=created_days_ago, last_used_days_ago=used_days_ago
    )
    if not active:
        iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")


def add_console(iam: Any, user: str, *, used_days_ago: float | None) -> None:
    """A console password, last used that long ago (``None``: never)."""
    iam.create_login_profile(UserName=user, Password=PASSWORD)
    moto_account.backdate_password(user, last_used_days_ago=used_days_ago)


def add_hardware_mfa(iam: Any, user: str) -> None:
    """A hardware MFA token (its serial is no virtual device's ARN), enabled for ``user``."""
    moto_account.enable_mfa(iam, user, f"{HARDWARE_MFA_SERIAL}{user[:4]}")


def add_role(
    iam: Any, name: str, *, created_days_ago: float | None, used_days_ago: float | None
) -> None:
    """An EC2 role created and last used that long ago (``None``: now / never)."""
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    moto_account.backdate_role(
        name, created_days_ago=created_days_ago, last_used_days_ago=used_days_ago
    )


def add_server_certificate(iam: Any, name: str, *, issued: float, expires_in: float) -> None:
    """A server certificate whose real validity dates moto will report."""
    body, key = moto_account.make_server_certificate(
        f"{name}.example.com", issued_days_ago=issued, expires_in_days=expires_in
    )
    iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=key)


def saml_metadata() -> str:
    """IdP metadata with a signing certificate (the API wants at least 1,000 characters)."""
    pem, _ = moto_account.make_server_certificate(
        "idp.example.com", issued_days_ago=10, expires_in_days=700
    )
    cert = "".join(line for line in pem.splitlines() if "CERTIFICATE" not in line)
    return (
        '<?xml version="1.0"?><md:EntityDescriptor '
        'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/saml">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        'Location="https://idp.example.com/saml/sso"/></md:IDPSSODescriptor>'
        "</md:EntityDescriptor>" + " " * 1000
    )


# --- the weak account -----------------------------------------------------------------------


def build_weak_account(iam: Any, aa_stub: AccessAnalyzerStub) -> None:
    """Most FAILs, and the per-resource PASSes beside them (boundaries on both sides)."""
    moto_account.set_root_state(
        access_keys_present=True,
        mfa_enabled=True,
        virtual_mfa=True,
        root_key_created_days_ago=500,
        root_key_last_used_days_ago=10,
        password_last_used_days_ago=30,
        signing_certificate_active=True,
    )
    iam.update_account_password_policy(
        MinimumPasswordLength=8,
        PasswordReusePrevention=5,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        RequireNumbers=True,
        RequireSymbols=False,
        MaxPasswordAge=180,
    )

    # Workload users: key age and key use, each on both sides of its limit.
    for name, created, used in (
        ("key-89-days", 89, 1),
        ("key-91-days", 91, 1),
        ("key-unused-44", 60, 44),
        ("key-unused-46", 60, 46),
        ("key-never-used-60", 60, None),
    ):
        add_user(iam, name, created_days_ago=200)
        add_key(iam, name, created_days_ago=created, used_days_ago=used)
    add_user(iam, "key-never-used-10", created_days_ago=10)
    add_key(iam, "key-never-used-10", created_days_ago=10, used_days_ago=None)
    # An old key nobody can use any more: not a rotation or unused-key failure, but its
    # user is dormant.
    add_user(iam, "key-inactive-old", created_days_ago=400)
    add_key(iam, "key-inactive-old", created_days_ago=400, used_days_ago=None, active=False)
    # A finished rotation: the old key 1 deactivated, the new key 2 in use.
    add_user(iam, "rotated-keys", created_days_ago=300)
    add_key(iam, "rotated-keys", created_days_ago=200, used_days_ago=150, active=False)
    add_key(iam, "rotated-keys", created_days_ago=10, used_days_ago=1)
    # An unfinished one: both keys active.
    add_user(iam, "two-keys", created_days_ago=300)
    add_key(iam, "two-keys", created_days_ago=30, used_days_ago=2)
    add_key(iam, "two-keys", created_days_ago=5, used_days_ago=1)

    # Console users: MFA kinds, password use on both sides of 45 days, dormancy.
    for name, used in (
        ("console-no-mfa", 2),
        ("console-virtual-mfa", 1),
        ("console-hardware-mfa", 1),
    ):
        add_user(iam, name, created_days_ago=100)
        add_console(iam, name, used_days_ago=used)
    moto_account.add_virtual_mfa(iam, "console-virtual-mfa")
    add_hardware_mfa(iam, "console-hardware-mfa")
    for name, created, used in (
        ("password-used-44", 200, 44),
        ("password-used-46", 200, 46),
        ("password-never-used-10", 10, None),
        ("password-never-used-60", 60, None),
        ("dormant-console", 200, 120),
    ):
        add_user(iam, name, created_days_ago=created)
        add_console(iam, name, used_days_ago=used)

    # Console users with keys: one in use, one made with the user and never used, one
    # made long after the user and never used.
    add_user(iam, "console-with-key", created_days_ago=100)
    add_console(iam, "console-with-key", used_days_ago=1)
    add_key(iam, "console-with-key", created_days_ago=30, used_days_ago=1)
    add_user(iam, "key-at-setup")  # the user, its password and its key, all in one go
    iam.create_login_profile(UserName="key-at-setup", Password=PASSWORD)
    iam.create_access_key(UserName="key-at-setup")
    add_user(iam, "key-after-setup", created_days_ago=100)
    add_console(iam, "key-after-setup", used_days_ago=1)
    add_key(iam, "key-after-setup", created_days_ago=10, used_days_ago=None)

    # X.509 signing certificates, active and deactivated.
    cert_pem, _ = moto_account.make_server_certificate(
        "signing.example.com", issued_days_ago=30, expires_in_days=300
    )
    for name, active in (("signing-cert", True), ("signing-cert-inactive", False)):
        add_user(iam, name)
        cert_id = iam.upload_signing_certificate(UserName=name, CertificateBody=cert_pem)[
            "Certificate"
        ]["CertificateId"]
        if not active:
            iam.update_signing_certificate(UserName=name, CertificateId=cert_id, Status="Inactive")

    # Permissions: full admin granted inline, through a group and to a role; a narrow
    # managed policy attached directly; CloudShell.
    admin_arn, cloudshell_arn = moto_account.add_aws_managed_policies(
        "AdministratorAccess", "AWSCloudShellFullAccess"
    )
    add_user(iam, "inline-admin")
    iam.put_user_policy(
        UserName="inline-admin", PolicyName="FullAdmin", PolicyDocument=policy_doc(allow("*"))
    )
    narrow = iam.create_policy(
        PolicyName="ReadReports",
        PolicyDocument=policy_doc(allow("s3:GetObject", "arn:aws:s3:::example-reports/*")),
    )["Policy"]["Arn"]
    add_user(iam, "attached-policy")
    iam.attach_user_policy(UserName="attached-policy", PolicyArn=narrow)
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=admin_arn)
    add_user(iam, "group-admin")
    iam.add_user_to_group(GroupName="admins", UserName="group-admin")
    add_user(iam, "cloudshell-user")
    iam.attach_user_policy(UserName="cloudshell-user", PolicyArn=cloudshell_arn)

    # Roles: admin, unused for long, used long ago, new, in use.
    add_role(iam, "role-admin", created_days_ago=None, used_days_ago=None)
    iam.attach_role_policy(RoleName="role-admin", PolicyArn=admin_arn)
    add_role(iam, "role-unused-200", created_days_ago=200, used_days_ago=None)
    add_role(iam, "role-last-used-100", created_days_ago=300, used_days_ago=100)
    add_role(iam, "role-new-10", created_days_ago=10, used_days_ago=None)
    add_role(iam, "role-used-5", created_days_ago=300, used_days_ago=5)

    # Server certificates: expired, expiring within 30 days, valid for long.
    moto_account.use_real_certificate_dates()
    add_server_certificate(iam, "expired-cert", issued=400, expires_in=-20)
    add_server_certificate(iam, "expiring-cert", issued=300, expires_in=10)
    add_server_certificate(iam, "valid-cert", issued=100, expires_in=200)

    # Federation for CI only: GitHub Actions is a workload provider, not people's sign-in.
    iam.create_open_id_connect_provider(
        Url=f"https://{GITHUB_OIDC}",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
    )

    # Access Analyzer: account and organization analyzers in two regions, one still being
    # created in a third, none anywhere else.
    aa_stub.set_analyzers("us-east-1", [analyzer("external", region="us-east-1")])
    aa_stub.set_analyzers(
        "eu-central-1", [analyzer("org", region="eu-central-1", type="ORGANIZATION")]
    )
    aa_stub.set_analyzers(
        "eu-west-1", [analyzer("external", region="eu-west-1", status="CREATING")]
    )


WEAK = (
    # Root: an active, recently used key (critical), virtual MFA, a signing certificate.
    Expect("ROOT-001", ROOT, FAIL, detail="key 1 active"),
    Expect("ROOT-002", ROOT, PASS, evidence={"AccountMFAEnabled": 1}),
    Expect("ROOT-003", ROOT, FAIL, detail="virtual"),
    Expect(
        "ROOT-004",
        ROOT,
        FAIL,
        evidence={"key_days_since_use": {"key1": 10}, "password_days_since_use": 30},
        severity="critical",
    ),
    Expect("ROOT-005", ROOT, FAIL, evidence={"active_cert_slots": [1]}),
    # A password policy that is there but weak.
    Expect("PWD-001", ACCOUNT_ID, PASS, evidence={"policy_present": True}),
    Expect("PWD-002", ACCOUNT_ID, FAIL, evidence={"minimum_password_length": 8}),
    Expect("PWD-003", ACCOUNT_ID, FAIL, evidence={"password_reuse_prevention": 5}),
    Expect("PWD-004", ACCOUNT_ID, FAIL, evidence={"not_required": ["symbols"]}),
    Expect("PWD-005", ACCOUNT_ID, FAIL, evidence={"max_password_age": 180}),
    # MFA.
    Expect("USER-001", "console-no-mfa", FAIL),
    Expect("USER-001", "console-virtual-mfa", PASS),
    Expect("USER-001", "console-hardware-mfa", PASS),
    Expect("USER-001", "key-89-days", PASS, detail="no console password"),
    Expect("USER-002", "console-no-mfa", FAIL),
    Expect("USER-002", "key-89-days", FAIL),
    Expect("USER-002", "console-virtual-mfa", PASS),
    Expect("USER-002", "console-hardware-mfa", PASS),
    Expect("USER-008", "console-virtual-mfa", FAIL),
    Expect("USER-008", "console-hardware-mfa", PASS),
    Expect("USER-008", "console-no-mfa", ABSENT),  # no MFA at all is USER-002's
    # Console password use: 45 days, and a never-used one counts from when it was set.
    Expect("USER-003", "password-used-44", PASS, evidence={"days_since_use": 44}),
    Expect("USER-003", "password-used-46", FAIL, evidence={"days_since_use": 46}),
    Expect(
        "USER-003",
        "password-never-used-10",
        PASS,
        evidence={"never_used": True, "days_since_use": 10},
    ),
    Expect(
        "USER-003",
        "password-never-used-60",
        FAIL,
        evidence={"never_used": True, "days_since_use": 60},
    ),
    Expect("USER-003", "key-89-days", PASS, detail="no console password"),
    # Dormancy.
    Expect("USER-004", "dormant-console", FAIL, evidence={"days_since_use": 120}),
    Expect("USER-004", "key-inactive-old", FAIL, evidence={"days_since_use": None}),
    Expect("USER-004", "key-89-days", PASS, evidence={"days_since_use": 1}),
    Expect("USER-004", "password-never-used-10", PASS, detail="created 10 days ago"),
    # Signing certificates.
    Expect("USER-005", "signing-cert", FAIL, evidence={"active_cert_slots": [1]}),
    Expect("USER-005", "signing-cert-inactive", PASS),
    # Console users with keys, and workload users.
    Expect("USER-006", "console-with-key", FAIL, evidence={"active_key_slots": [1]}),
    Expect("USER-006", "console-no-mfa", PASS),
    Expect("USER-007", "key-89-days", FAIL, evidence={"active_key_slots": [1]}),
    Expect("USER-007", "console-with-key", PASS),
    Expect("USER-007", "key-inactive-old", PASS, detail="no active access keys"),
    # Key use: 45 days; a never-used key counts from its creation.
    Expect("KEY-001", "key-unused-44", PASS, evidence={"key": 1, "days_since_use": 44}),
    Expect("KEY-001", "key-unused-46", FAIL, evidence={"key": 1, "days_since_use": 46}),
    Expect(
        "KEY-001",
        "key-never-used-10",
        PASS,
        evidence={"key": 1, "never_used": True, "days_since_use": 10},
    ),
    Expect(
        "KEY-001",
        "key-never-used-60",
        FAIL,
        evidence={"key": 1, "never_used": True, "days_since_use": 60},
    ),
    # One finding for the user, none for its inactive key.
    Expect("KEY-001", "key-inactive-old", PASS, detail="no active access keys"),
    # Key rotation: 89 days passes, 91 fails, an inactive key is not judged.
    Expect("KEY-002", "key-89-days", PASS, evidence={"key": 1, "age_days": 89}),
    Expect("KEY-002", "key-91-days", FAIL, evidence={"key": 1, "age_days": 91}),
    Expect("KEY-002", "key-inactive-old", PASS, detail="no active access keys"),
    Expect("KEY-002", "rotated-keys", PASS, evidence={"key": 2, "age_days": 10}),
    Expect("KEY-002", "rotated-keys", ABSENT, evidence={"key": 1}),
    # Two active keys.
    Expect("KEY-003", "two-keys", FAIL, evidence={"active_key_slots": [1, 2]}),
    Expect("KEY-003", "rotated-keys", PASS, evidence={"active_key_slots": [2]}),
    # Keys made at user setup.
    Expect("KEY-004", "key-at-setup", FAIL, evidence={"key": 1}),
    Expect("KEY-004", "key-after-setup", PASS, evidence={"key": 1}, detail="not created at"),
    Expect("KEY-004", "console-with-key", PASS, evidence={"key": 1}, detail="has been used"),
    # Permissions.
    Expect("PERM-001", "inline-admin", FAIL, evidence={"inline_policies": ["FullAdmin"]}),
    Expect(
        "PERM-001",
        "attached-policy",
        FAIL,
        evidence={"attached_policies": [f"arn:aws:iam::{ACCOUNT_ID}:policy/ReadReports"]},
    ),
    Expect("PERM-001", "group-admin", PASS),
    Expect("PERM-002", "inline-admin", FAIL),
    Expect("PERM-002", "admins", FAIL, detail="AdministratorAccess"),
    Expect("PERM-002", "role-admin", FAIL),
    Expect("PERM-002", "group-admin", PASS, evidence={"inherited_from_groups": ["admins"]}),
    Expect("PERM-002", "attached-policy", PASS),
    Expect(
        "PERM-009",
        "cloudshell-user",
        FAIL,
        evidence={"policy_arn": "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"},
    ),
    Expect("PERM-009", ACCOUNT_ID, ABSENT),
    # Roles.
    Expect("ROLE-015", "role-unused-200", FAIL, evidence={"days_since_use": None}),
    Expect("ROLE-015", "role-last-used-100", FAIL, evidence={"days_since_use": 100}),
    Expect("ROLE-015", "role-new-10", PASS, detail="created 10 days ago"),
    Expect("ROLE-015", "role-used-5", PASS, evidence={"days_since_use": 5}),
    Expect("ROLE-016", ACCOUNT_ID, FAIL, evidence={"support_roles": []}),
    # Access Analyzer per region.
    Expect("AA-001", "us-east-1", PASS, evidence={"analyzers": ["external"]}),
    Expect("AA-001", "eu-central-1", PASS, evidence={"analyzers": ["org"]}),
    Expect("AA-001", "eu-west-1", FAIL, detail="CREATING"),
    Expect("AA-001", "us-west-2", FAIL, evidence={"analyzers_seen": []}),
    # Server certificates: an expired one is CERT-001's only.
    Expect("CERT-001", "expired-cert", FAIL),
    Expect("CERT-001", "expiring-cert", PASS),
    Expect("CERT-001", "valid-cert", PASS),
    Expect("CERT-002", "expiring-cert", FAIL),
    Expect("CERT-002", "valid-cert", PASS),
    Expect("CERT-002", "expired-cert", ABSENT),
    # Console users and only a CI/CD identity provider: people are not federated.
    Expect(
        "FED-001",
        ACCOUNT_ID,
        FAIL,
        evidence={"saml_providers": [], "workload_oidc_providers": [GITHUB_PROVIDER_ARN]},
        detail="console-no-mfa",
    ),
)


def test_weak_account(
    aws_client: AwsClient,
    aa_stub: AccessAnalyzerStub,
    run_cli: RunCli,
    tmp_path: Path,
) -> None:
    build_weak_account(aws_client("iam"), aa_stub)

    run = audit(run_cli, tmp_path / "out", "--format", "json")

    assert run.proc.returncode == 1, run.proc.stderr
    assert run.report is not None
    assert (run.report["complete"], run.report["gaps"]) == (True, [])
    assert_table(run, WEAK)


# --- the strong account ---------------------------------------------------------------------


def build_strong_account(iam: Any, aa_stub: AccessAnalyzerStub) -> None:
    """A well-kept account: the account-level PASSes, and nothing failing at all."""
    moto_account.set_root_state(
        access_keys_present=False, mfa_enabled=True, password_last_used_days_ago=91
    )
    iam.update_account_password_policy(
        MinimumPasswordLength=14,
        PasswordReusePrevention=24,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        RequireNumbers=True,
        RequireSymbols=True,
        MaxPasswordAge=90,
        AllowUsersToChangePassword=True,
    )
    idp = iam.create_saml_provider(Name="CorporateIdP", SAMLMetadataDocument=saml_metadata())[
        "SAMLProviderArn"
    ]

    narrow = iam.create_policy(
        PolicyName="ReadReports",
        PolicyDocument=policy_doc(allow("s3:GetObject", "arn:aws:s3:::example-reports/*")),
    )["Policy"]["Arn"]
    iam.create_group(GroupName="analysts")
    iam.attach_group_policy(GroupName="analysts", PolicyArn=narrow)
    add_user(iam, "analyst", created_days_ago=200)
    iam.add_user_to_group(GroupName="analysts", UserName="analyst")
    add_console(iam, "analyst", used_days_ago=3)
    add_hardware_mfa(iam, "analyst")

    (support,) = moto_account.add_aws_managed_policies("AWSSupportAccess")
    iam.create_role(
        RoleName="aws-support",
        # People reach the support role through the company's IdP, pinned to AWS sign-in.
        AssumeRolePolicyDocument=policy_doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": idp},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
            }
        ),
    )
    iam.attach_role_policy(RoleName="aws-support", PolicyArn=support)
    moto_account.backdate_role("aws-support", created_days_ago=600, last_used_days_ago=45)

    aa_stub.set_analyzers(ANY_REGION, [analyzer("external")])


STRONG = (
    *(Expect(f"ROOT-00{n}", ROOT, PASS) for n in (1, 2, 3, 5)),
    # Root's password was last used 91 days ago: just outside the 90-day window.
    Expect("ROOT-004", ROOT, PASS, evidence={"password_days_since_use": 91}),
    Expect("ROOT-003", ROOT, PASS, detail="hardware token or FIDO"),
    Expect("PWD-001", ACCOUNT_ID, PASS),
    Expect("PWD-002", ACCOUNT_ID, PASS, evidence={"minimum_password_length": 14}),
    Expect("PWD-003", ACCOUNT_ID, PASS, evidence={"password_reuse_prevention": 24}),
    Expect("PWD-004", ACCOUNT_ID, PASS, evidence={"not_required": []}),
    Expect("PWD-005", ACCOUNT_ID, PASS, evidence={"max_password_age": 90}),
    *(Expect(f"USER-00{n}", "analyst", PASS) for n in range(1, 9)),
    *(Expect(f"KEY-00{n}", "analyst", PASS) for n in range(1, 5)),
    Expect("PERM-001", "analyst", PASS),
    Expect("PERM-002", "analysts", PASS),
    Expect("PERM-002", "aws-support", PASS),
    Expect("PERM-009", ACCOUNT_ID, PASS),
    Expect("ROLE-015", "aws-support", PASS, evidence={"days_since_use": 45}),
    Expect("ROLE-016", ACCOUNT_ID, PASS, evidence={"support_roles": ["aws-support"]}),
    Expect("AA-001", "us-east-1", PASS),
    Expect("AA-001", "ap-south-1", PASS),
    Expect("CERT-001", ACCOUNT_ID, PASS, detail="No server certificates"),
    Expect("CERT-002", ACCOUNT_ID, PASS),
    Expect(
        "FED-001",
        ACCOUNT_ID,
        PASS,
        evidence={"saml_providers": [f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/CorporateIdP"]},
    ),
)


def test_strong_account_audits_clean(
    aws_client: AwsClient,
    aa_stub: AccessAnalyzerStub,
    run_cli: RunCli,
    tmp_path: Path,
) -> None:
    build_strong_account(aws_client("iam"), aa_stub)

    run = audit(run_cli, tmp_path / "out", "--format", "json")

    assert run.proc.returncode == 0, run.proc.stdout + run.proc.stderr
    assert_table(run, STRONG)
    assert run.report is not None
    assert run.report["summary"]["FAIL"] == run.report["summary"]["ERROR"] == 0
    regions = [f["resource_name"] for f in run.findings if f["check_id"] == "AA-001"]
    assert len(regions) > 2 and {f["status"] for f in run.findings} == {PASS}


# --- the neglected account ------------------------------------------------------------------


def build_neglected_account(aa_stub: AccessAnalyzerStub) -> None:
    """Root without MFA, an inactive root key, no password policy, one unreadable region."""
    moto_account.set_root_state(
        access_keys_present=True,
        access_key_active=False,
        mfa_enabled=False,
        password_last_used_days_ago=89,
    )
    aa_stub.fail("ap-south-1")


NEGLECTED = (
    # An inactive root key still counts.
    Expect("ROOT-001", ROOT, FAIL, detail="key 1 inactive"),
    Expect("ROOT-002", ROOT, FAIL, evidence={"AccountMFAEnabled": 0}),
    Expect("ROOT-003", ROOT, FAIL, detail="no MFA at all"),
    # Root's password used 89 days ago: inside the window; no key use, so high, not critical.
    Expect("ROOT-004", ROOT, FAIL, evidence={"password_days_since_use": 89}, severity="high"),
    Expect("ROOT-005", ROOT, PASS),
    # No password policy: PWD-002..005 fail against AWS's defaults, and say so.
    Expect("PWD-001", ACCOUNT_ID, FAIL, evidence={"policy_present": False}),
    Expect("PWD-002", ACCOUNT_ID, FAIL, evidence={"minimum_password_length": 8}),
    *(
        Expect(f"PWD-00{n}", ACCOUNT_ID, FAIL, evidence={"default_policy": True})
        for n in (2, 3, 4, 5)
    ),
    # The region that could not be read is an ERROR, never a PASS; the others still count.
    Expect(
        "AA-001",
        "ap-south-1",
        ERROR,
        evidence={"error": "AccessDeniedException", "operation": "access-analyzer:ListAnalyzers"},
    ),
    Expect("AA-001", "us-east-1", FAIL),
)


def test_neglected_account_with_an_unreadable_region(
    aa_stub: AccessAnalyzerStub, run_cli: RunCli, tmp_path: Path
) -> None:
    build_neglected_account(aa_stub)

    run = audit(run_cli, tmp_path / "out")

    # Incomplete: exit code 3, and the reports are still written.
    assert run.proc.returncode == 3, run.proc.stderr
    assert sorted(p.name for p in run.output_dir.iterdir()) == sorted(REPORT_FILES)
    assert_table(run, NEGLECTED)
    assert run.report is not None
    assert run.report["complete"] is False
    assert [(g["operation"], g["region"], g["checks"]) for g in run.report["gaps"]] == [
        ("access-analyzer:ListAnalyzers", "ap-south-1", ["AA-001"])
    ]
    errors = [(f["check_id"], f["resource_name"]) for f in run.findings if f["status"] == ERROR]
    assert errors == [("AA-001", "ap-south-1")]
    assert "AUDIT INCOMPLETE" in run.proc.stdout


# --- coverage of the tables themselves ------------------------------------------------------


def test_the_tables_cover_a_pass_and_a_fail_of_every_core_check() -> None:
    covered = statuses_by_check((*WEAK, *STRONG, *NEGLECTED))
    missing = {c: {PASS, FAIL} - covered.get(c, set()) for c in CORE_CHECKS}
    assert {c: m for c, m in missing.items() if m} == {}
    assert set(covered) == set(CORE_CHECKS)
