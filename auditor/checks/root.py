"""Checks on the account's root user (ROOT-001..005), every result on the account root ARN.

They read ``GetAccountSummary``, the virtual MFA devices and the credential report's
``<root_account>`` row. Where the row is the only source (ROOT-004, ROOT-005) a missing row
is an ERROR worded for the check's own question, never "root unused".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from auditor.checks.common import SECURITY_HUB_IAM_DOC, age_days, iso, need, problem_result
from auditor.checks.registry import CheckContext, check
from auditor.model import ResourceType, Result, Severity, Source, Status
from auditor.snapshot import CredentialRow, Snapshot, VirtualMfaDevice

ROOT_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html"
ROOT_MFA_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-mfa-for-root.html"
ROOT_KEY_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_delete-key.html"
)
ROOT_SERIAL_SUFFIX = ":mfa/root-account-mfa-device"


def _account(snap: Snapshot, status: Status, detail: str, **evidence: object) -> Result:
    return Result(
        status=status,
        resource_arn=snap.root_arn,
        resource_name="root",
        detail=detail,
        evidence=evidence,
        resource_type=ResourceType.ACCOUNT,
    )


def _summary(snap: Snapshot) -> Mapping[str, int]:
    return need(snap.account_summary, Source.ACCOUNT_SUMMARY)


def _root_row(snap: Snapshot, question: str) -> CredentialRow | Result:
    """The root row, or the ERROR result that stands in for it.

    ROOT-004 and ROOT-005 both read the row, so the ERROR names the calling check's own
    ``question`` ("whether the root user ..."), never the other's.
    """
    report = need(snap.credential_report, Source.CREDENTIAL_REPORT)
    row = report.root
    if row is None:
        return _account(
            snap,
            Status.ERROR,
            f"The credential report has no <root_account> row, so {question} cannot be judged.",
            operation="iam:GetCredentialReport",
        )
    if row.problems:
        return problem_result(row, question)
    return row


def is_root_device(device: VirtualMfaDevice, root_arn: str) -> bool:
    """True for a virtual MFA device assigned to the root user."""
    return (
        device.user_arn == root_arn
        or (device.user_arn is not None and device.user_arn.endswith(":root"))
        or device.serial_number.endswith(ROOT_SERIAL_SUFFIX)
    )


@check(
    id="ROOT-001",
    slug="root-access-key",
    title="The root user has no access keys",
    severity=Severity.CRITICAL,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.ACCOUNT_SUMMARY},
    rationale=(
        "Root access keys carry unrestricted power over the account that no IAM policy can "
        "limit. An inactive root key can be re-activated by whoever signs in as root, so it "
        "still counts."
    ),
    remediation=(
        "Sign in as the root user > account name (top right) > Security credentials > "
        "Access keys > Actions > Delete. With centralized root access, delete the root "
        "credentials from the Organizations management account (IAM > Root access "
        "management)."
    ),
    remediation_cli=(
        "aws iam delete-access-key --access-key-id ROOT_ACCESS_KEY_ID  # with root "
        "credentials, or a session from 'aws sts assume-root'"
    ),
    references=(ROOT_KEY_DOC, ROOT_DOC, SECURITY_HUB_IAM_DOC),
    cis_7=("2.4",),
    cis_5=("1.3",),
    fsbp=("IAM.4",),
)
def root_access_key(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL when the root user has any access key, active or not."""
    present = int(_summary(snap).get("AccountAccessKeysPresent", 0))
    row = snap.credential_report.root if snap.credential_report is not None else None
    # In the credential report a key slot exists when it is active or has a rotation date.
    listed = [k for k in row.access_keys if k.active or k.last_rotated] if row else []
    if not present and not listed:
        yield _account(snap, Status.PASS, "The root user has no access keys.")
        return
    evidence: dict[str, object] = {"AccountAccessKeysPresent": present}
    if listed:
        states = ", ".join(f"key {k.slot} {'active' if k.active else 'inactive'}" for k in listed)
        detail = f"The root user has {len(listed)} access key{'s' if len(listed) > 1 else ''} "
        detail += f"({states})."
        evidence["keys"] = [
            {"key": k.slot, "active": k.active, "last_rotated": iso(k.last_rotated)} for k in listed
        ]
    else:
        detail = "The root user has access keys (GetAccountSummary AccountAccessKeysPresent = 1)."
    yield _account(snap, Status.FAIL, detail, **evidence)


@check(
    id="ROOT-002",
    slug="root-mfa",
    title="The root user has MFA enabled",
    severity=Severity.CRITICAL,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.ACCOUNT_SUMMARY},
    rationale=(
        "Whoever holds the root password controls the account, its billing and its closure. "
        "MFA makes the password alone useless; an account whose root has no password "
        "(centrally managed root access) needs none."
    ),
    remediation=(
        "Sign in as the root user > account name > Security credentials > Multi-factor "
        "authentication (MFA) > Assign MFA device (a security key or passkey)."
    ),
    remediation_cli=(
        "aws iam get-account-summary --query SummaryMap.AccountMFAEnabled  # root MFA is "
        "assigned in the console as root; 1 confirms it"
    ),
    references=(ROOT_MFA_DOC, ROOT_DOC, SECURITY_HUB_IAM_DOC),
    cis_7=("2.5",),
    cis_5=("1.4",),
    fsbp=("IAM.9",),
)
def root_mfa(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL when root has a password and no MFA."""
    summary = _summary(snap)
    mfa = int(summary.get("AccountMFAEnabled", 0))
    # Absent from some answers: assume a password exists rather than excuse missing MFA.
    password = int(summary.get("AccountPasswordPresent", 1))
    evidence = {"AccountMFAEnabled": mfa, "AccountPasswordPresent": password}
    if mfa:
        yield _account(snap, Status.PASS, "The root user has MFA enabled.", **evidence)
    elif not password:
        yield _account(
            snap,
            Status.PASS,
            "The root user has no password (centrally managed root access), so it cannot "
            "sign in and needs no MFA.",
            **evidence,
        )
    else:
        yield _account(snap, Status.FAIL, "The root user has a password and no MFA.", **evidence)


@check(
    id="ROOT-003",
    slug="root-hardware-mfa",
    title="The root user's MFA is a hardware or FIDO device, not a virtual one",
    severity=Severity.HIGH,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.ACCOUNT_SUMMARY, Source.VIRTUAL_MFA},
    rationale=(
        "A virtual MFA lives on a phone that is lost, replaced or phished along with the "
        "password. A FIDO security key or hardware token kept in a safe place protects the "
        "most powerful identity of the account far better."
    ),
    remediation=(
        "Sign in as the root user > account name > Security credentials > Assign MFA "
        "device > Passkey or security key (or Hardware TOTP token); then remove the virtual "
        "device."
    ),
    remediation_cli=(
        "aws iam list-virtual-mfa-devices --assignment-status Assigned --query "
        "\"VirtualMFADevices[?ends_with(SerialNumber, 'root-account-mfa-device')]\"  # empty "
        "once root uses a hardware or FIDO device"
    ),
    references=(
        ROOT_MFA_DOC,
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_fido.html",
        SECURITY_HUB_IAM_DOC,
    ),
    cis_7=("2.6",),
    cis_5=("1.5",),
    fsbp=("IAM.6",),
)
def root_hardware_mfa(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL when root's MFA is a virtual device, or root has a password and no MFA at all."""
    summary = _summary(snap)
    devices = need(snap.virtual_mfa_devices, Source.VIRTUAL_MFA)
    virtual = sorted(d.serial_number for d in devices if is_root_device(d, snap.root_arn))
    mfa = int(summary.get("AccountMFAEnabled", 0))
    password = int(summary.get("AccountPasswordPresent", 1))
    if virtual:
        yield _account(
            snap,
            Status.FAIL,
            "The root user's MFA is a virtual (authenticator app) device.",
            virtual_mfa_devices=virtual,
        )
    elif mfa:
        yield _account(
            snap, Status.PASS, "The root user's MFA is a hardware token or FIDO security key."
        )
    elif not password:
        yield _account(
            snap, Status.PASS, "The root user has no password (centrally managed root access)."
        )
    else:
        yield _account(
            snap,
            Status.FAIL,
            "The root user has a password and no MFA at all, hardware or otherwise.",
            AccountMFAEnabled=mfa,
        )


@check(
    id="ROOT-004",
    slug="root-recent-use",
    title="The root user has not been used in the last 90 days",
    severity=Severity.HIGH,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "The root user is for the few tasks only it can do; routine use means its "
        "credentials are handled often and its actions bypass least privilege. A root "
        "access key in use is a critical finding: automation is running as root."
    ),
    remediation=(
        "Find who used root (CloudTrail: userIdentity.type = Root), move that work to IAM "
        "roles, delete root access keys and store the root password and MFA device safely."
    ),
    remediation_cli=(
        "aws cloudtrail lookup-events --lookup-attributes "
        "AttributeKey=Username,AttributeValue=root --max-results 50"
    ),
    references=(ROOT_DOC, f"{ROOT_DOC}#root-user-tasks"),
    cis_7=("2.7",),
    cis_5=("1.6",),
)
def root_recent_use(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL when root's password or a root key was used within the window (critical for keys)."""
    limit = ctx.thresholds.root_recent_use_days
    row = _root_row(snap, f"whether the root user was used in the last {limit} days")
    if isinstance(row, Result):
        yield row
        return
    now = snap.collected_at
    key_uses = {
        k.slot: age_days(now, k.last_used) for k in row.access_keys if k.last_used is not None
    }
    password_days = (
        age_days(now, row.password_last_used) if row.password_last_used is not None else None
    )
    evidence: dict[str, object] = {
        "limit_days": limit,
        "password_last_used": iso(row.password_last_used),
        "password_days_since_use": password_days,
        "key_days_since_use": {f"key{s}": d for s, d in sorted(key_uses.items())},
    }
    recent_keys = sorted(s for s, d in key_uses.items() if d <= limit)
    recent_password = password_days is not None and password_days <= limit
    parts = []
    if recent_password:
        parts.append(f"signed in with its password {password_days} days ago")
    for slot in recent_keys:
        parts.append(f"used access key {slot} {key_uses[slot]} days ago")
    if parts:
        yield Result(
            status=Status.FAIL,
            resource_arn=snap.root_arn,
            resource_name="root",
            detail=f"The root user {' and '.join(parts)}, within the last {limit} days.",
            evidence=evidence,
            resource_type=ResourceType.ACCOUNT,
            severity=Severity.CRITICAL if recent_keys else None,
        )
        return
    uses = [d for d in (password_days, *key_uses.values()) if d is not None]
    last = f"{min(uses)} days ago" if uses else "never"
    yield _account(
        snap,
        Status.PASS,
        f"The root user has not been used in {limit} days (last use: {last}).",
        **evidence,
    )


@check(
    id="ROOT-005",
    slug="root-signing-cert",
    title="The root user has no active X.509 signing certificate",
    severity=Severity.HIGH,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "A root signing certificate is a long-term root credential outside the usual key "
        "and password controls. Nothing today requires one."
    ),
    remediation=(
        "Sign in as the root user > account name > Security credentials > X.509 "
        "certificates > Deactivate, then Delete."
    ),
    remediation_cli=(
        "aws iam update-signing-certificate --certificate-id CERT_ID --status Inactive  "
        "# with root credentials"
    ),
    references=(
        ROOT_DOC,
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateSigningCertificate.html",
    ),
)
def root_signing_cert(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL when the root row shows an active signing certificate."""
    row = _root_row(snap, "whether the root user holds an active X.509 signing certificate")
    if isinstance(row, Result):
        yield row
        return
    active = [c.slot for c in row.signing_certs if c.active]
    if active:
        yield _account(
            snap,
            Status.FAIL,
            f"The root user has an active X.509 signing certificate "
            f"(slot {', '.join(map(str, active))}).",
            active_cert_slots=active,
        )
    else:
        yield _account(snap, Status.PASS, "The root user has no active signing certificate.")
