"""Checks on IAM users' credentials, read from the credential report (USER-001..008).

One result per user, PASS included; a row that could not be fully parsed gives that user an
ERROR (``per_user``), since guessing a broken cell could turn a FAIL into a PASS. Ages are
whole days before ``snap.collected_at``, so a saved snapshot re-audits the same.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.common import (
    BEST_PRACTICES_DOC,
    MFA_DOC,
    SECURITY_HUB_IAM_DOC,
    UNUSED_DOC,
    age_days,
    iso,
    need,
    per_user,
    per_user_with,
    slots,
    unused_for,
    user_result,
)
from auditor.checks.registry import CheckContext, check
from auditor.model import ResourceType, Result, Severity, Source, Status
from auditor.snapshot import CredentialRow, Snapshot, VirtualMfaDevice

CREDENTIAL_REPORT_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html"
)


def _console(row: CredentialRow) -> bool:
    return row.password_enabled is True


def _virtual_mfa_devices(snap: Snapshot) -> tuple[VirtualMfaDevice, ...]:
    return need(snap.virtual_mfa_devices, Source.VIRTUAL_MFA)


# --- checks ------------------------------------------------------------------------------


@check(
    id="USER-001",
    slug="console-user-no-mfa",
    title="IAM users with a console password have MFA enabled",
    severity=Severity.HIGH,
    resource_type=ResourceType.USER,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "A console password alone can be phished, guessed or reused from another breach. "
        "MFA makes a stolen password insufficient to sign in to the account."
    ),
    remediation=(
        "IAM console > Users > the user > Security credentials > Multi-factor "
        "authentication (MFA) > Assign MFA device; prefer a passkey or security key. If the "
        "user does not need the console, delete the console password instead."
    ),
    remediation_cli="aws iam delete-login-profile --user-name USER_NAME",
    references=(MFA_DOC, SECURITY_HUB_IAM_DOC),
    cis_7=("2.10",),
    cis_5=("1.9",),
    fsbp=("IAM.5",),
)
@per_user("whether the user's console sign-in is protected by MFA")
def console_user_no_mfa(row: CredentialRow, snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each user with a console password and no active MFA device."""
    if not _console(row):
        yield user_result(row, Status.PASS, f"{row.user} has no console password.")
    elif row.mfa_active:
        yield user_result(row, Status.PASS, f"{row.user} signs in to the console with MFA.")
    else:
        yield user_result(
            row,
            Status.FAIL,
            f"{row.user} has a console password and no MFA device.",
            password_enabled=True,
            mfa_active=False,
            password_last_used=iso(row.password_last_used),
        )


@check(
    id="USER-002",
    slug="user-no-mfa",
    title="Every IAM user has MFA enabled",
    severity=Severity.LOW,
    resource_type=ResourceType.USER,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "MFA on every user protects the console password and lets policies require "
        "aws:MultiFactorAuthPresent for sensitive API calls. A user without MFA is one "
        "leaked secret away from compromise."
    ),
    remediation=(
        "IAM console > Users > the user > Security credentials > Multi-factor "
        "authentication (MFA) > Assign MFA device."
    ),
    remediation_cli=(
        "aws iam enable-mfa-device --user-name USER_NAME --serial-number MFA_SERIAL_ARN "
        "--authentication-code1 CODE1 --authentication-code2 CODE2"
    ),
    references=(MFA_DOC, SECURITY_HUB_IAM_DOC),
    fsbp=("IAM.19",),
)
@per_user("whether the user has MFA")
def user_no_mfa(row: CredentialRow, snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each user without an active MFA device, console password or not."""
    if row.mfa_active:
        yield user_result(row, Status.PASS, f"{row.user} has MFA enabled.")
    else:
        yield user_result(row, Status.FAIL, f"{row.user} has no MFA device.", mfa_active=False)


@check(
    id="USER-003",
    slug="console-password-unused",
    title="Console passwords unused for 45 days are removed",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.USER,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "A console password nobody uses is attack surface with no owner watching it. "
        "Removing unused passwords shrinks what an attacker can guess or phish."
    ),
    remediation=(
        "IAM console > Users > the user > Security credentials > Console sign-in > Manage "
        "console access > Disable."
    ),
    remediation_cli="aws iam delete-login-profile --user-name USER_NAME",
    references=(UNUSED_DOC, SECURITY_HUB_IAM_DOC),
    cis_7=("2.11",),
    cis_5=("1.11",),
    fsbp=("IAM.22",),
)
@per_user("whether the user's console password is still in use")
def console_password_unused(
    row: CredentialRow, snap: Snapshot, ctx: CheckContext
) -> Iterator[Result]:
    """FAIL for each console password unused (or, never used, set) longer than the limit."""
    if not _console(row):
        yield user_result(row, Status.PASS, f"{row.user} has no console password.")
        return
    since = row.password_last_used or row.password_last_changed or row.user_creation_time
    if since is None:
        yield user_result(
            row,
            Status.ERROR,
            f"{row.user}'s console password has no last-used, last-changed or creation "
            "date in the credential report, so how long it has gone unused cannot be judged.",
        )
        return
    status, detail, evidence = unused_for(
        snap, ctx, f"{row.user}'s console password", row.password_last_used, since, set_word="set"
    )
    yield user_result(
        row,
        status,
        detail,
        **evidence,
        password_last_used=iso(row.password_last_used),
        password_last_changed=iso(row.password_last_changed),
    )


@check(
    id="USER-004",
    slug="dormant-user",
    title="IAM users have used a credential within 90 days",
    severity=Severity.LOW,
    resource_type=ResourceType.USER,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "A user that has not signed in or called the API for months usually belongs to "
        "someone who left or a workload that was retired. Dormant users keep their "
        "permissions and are rarely watched."
    ),
    remediation=(
        "Confirm the user's owner. If it is no longer needed, IAM console > Users > select "
        "the user > Delete; otherwise deactivate its credentials until they are needed."
    ),
    remediation_cli="aws iam delete-user --user-name USER_NAME",
    references=(UNUSED_DOC,),
)
@per_user("whether the user has used a credential recently")
def dormant_user(row: CredentialRow, snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for users older than the limit with no password or key use within it."""
    limit = ctx.thresholds.dormant_user_days
    created = row.user_creation_time
    if created is not None and age_days(snap.collected_at, created) <= limit:
        days = age_days(snap.collected_at, created)
        yield user_result(
            row, Status.PASS, f"{row.user} was created {days} days ago, within {limit}."
        )
        return
    uses = [row.password_last_used, *(k.last_used for k in row.access_keys)]
    last = max((u for u in uses if u is not None), default=None)
    last_days = age_days(snap.collected_at, last) if last is not None else None
    evidence: dict[str, object] = {
        "last_credential_use": iso(last),
        "days_since_use": last_days,
        "limit_days": limit,
        "user_creation_time": iso(created),
    }
    if last_days is not None and last_days <= limit:
        yield user_result(
            row,
            Status.PASS,
            f"{row.user} last used a credential {last_days} days ago.",
            **evidence,
        )
    else:
        when = "never" if last_days is None else f"{last_days} days ago"
        yield user_result(
            row,
            Status.FAIL,
            f"{row.user} has used no password or access key in {limit} days (last use: {when}).",
            **evidence,
        )


@check(
    id="USER-005",
    slug="user-signing-cert",
    title="IAM users have no active X.509 signing certificates",
    severity=Severity.LOW,
    resource_type=ResourceType.USER,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "X.509 signing certificates are a legacy long-term credential used by a few old "
        "SOAP APIs. An active one is a credential that key-rotation processes usually miss."
    ),
    remediation=(
        "IAM console > Users > the user > Security credentials > X.509 signing "
        "certificates > Actions > Deactivate, then Delete once nothing breaks."
    ),
    remediation_cli=(
        "aws iam update-signing-certificate --user-name USER_NAME --certificate-id CERT_ID "
        "--status Inactive"
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateSigningCertificate.html",
        CREDENTIAL_REPORT_DOC,
    ),
)
@per_user("whether the user holds an active X.509 signing certificate")
def user_signing_cert(row: CredentialRow, snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each user holding an active X.509 signing certificate."""
    active = tuple(c.slot for c in row.signing_certs if c.active)
    if active:
        cert = "certificate" if len(active) == 1 else "certificates"
        yield user_result(
            row,
            Status.FAIL,
            f"{row.user} has {len(active)} active X.509 signing {cert} "
            f"(slot {', '.join(map(str, active))}).",
            active_cert_slots=list(active),
        )
    else:
        yield user_result(row, Status.PASS, f"{row.user} has no active signing certificate.")


@check(
    id="USER-006",
    slug="console-user-with-keys",
    title="Console users do not also hold active access keys",
    severity=Severity.LOW,
    resource_type=ResourceType.USER,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "A person who signs in to the console can get short-lived CLI credentials through "
        "IAM Identity Center or CloudShell. Long-lived keys on a human user are the "
        "credential most often leaked in code and configuration."
    ),
    remediation=(
        "IAM console > Users > the user > Security credentials > Access keys > Actions > "
        "Deactivate, then Delete; use temporary credentials for the CLI."
    ),
    remediation_cli=(
        "aws iam update-access-key --user-name USER_NAME --access-key-id ACCESS_KEY_ID "
        "--status Inactive"
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
        BEST_PRACTICES_DOC,
    ),
)
@per_user("whether the user holds both a console password and active access keys")
def console_user_with_keys(
    row: CredentialRow, snap: Snapshot, ctx: CheckContext
) -> Iterator[Result]:
    """FAIL for each user with both a console password and an active access key."""
    active = tuple(k.slot for k in row.active_keys)
    if _console(row) and active:
        yield user_result(
            row,
            Status.FAIL,
            f"{row.user} signs in to the console and also holds active access {slots(active)}.",
            active_key_slots=list(active),
        )
    elif _console(row):
        yield user_result(row, Status.PASS, f"{row.user} is a console user with no active keys.")
    else:
        yield user_result(row, Status.PASS, f"{row.user} has no console password.")


@check(
    id="USER-007",
    slug="workload-user",
    title="Workloads use roles, not IAM users with access keys",
    severity=Severity.LOW,
    resource_type=ResourceType.USER,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "A user with access keys and no console password is a workload identity holding "
        "long-term credentials. Roles on AWS compute, and IAM Roles Anywhere or OIDC "
        "federation outside AWS, give workloads temporary credentials that expire by "
        "themselves."
    ),
    remediation=(
        "Give the workload a role (instance profile, task role, Lambda role; IAM Roles "
        "Anywhere or OIDC federation outside AWS), then IAM console > Users > the user > "
        "Security credentials > Access keys > Deactivate, and delete the user."
    ),
    remediation_cli=(
        "aws iam update-access-key --user-name USER_NAME --access-key-id ACCESS_KEY_ID "
        "--status Inactive"
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles.html",
        "https://docs.aws.amazon.com/rolesanywhere/latest/userguide/introduction.html",
        BEST_PRACTICES_DOC,
    ),
)
@per_user("whether the user is a workload holding long-term access keys")
def workload_user(row: CredentialRow, snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each user without a console password that holds an active access key."""
    active = tuple(k.slot for k in row.active_keys)
    if not _console(row) and active:
        yield user_result(
            row,
            Status.FAIL,
            f"{row.user} has no console password but holds active access {slots(active)}: "
            "a workload, which should use a role for temporary credentials.",
            active_key_slots=list(active),
        )
    elif active:
        yield user_result(row, Status.PASS, f"{row.user} is a console user, not a workload.")
    else:
        yield user_result(row, Status.PASS, f"{row.user} holds no active access keys.")


@check(
    id="USER-008",
    slug="phishing-resistant-mfa",
    title="IAM users' MFA is a security key or hardware token, not an authenticator app",
    severity=Severity.INFO,
    resource_type=ResourceType.USER,
    needs={Source.CREDENTIAL_REPORT, Source.VIRTUAL_MFA},
    rationale=(
        "Codes from an authenticator app can be relayed by a phishing site in real time; "
        "FIDO security keys and passkeys are bound to the real sign-in page and cannot. "
        "Users without any MFA are reported by USER-002 and not judged here."
    ),
    remediation=(
        "IAM console > Users > the user > Security credentials > Assign MFA device > "
        "Passkey or security key; then remove the virtual MFA device."
    ),
    remediation_cli=(
        "aws iam deactivate-mfa-device --user-name USER_NAME --serial-number VIRTUAL_MFA_ARN"
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_fido.html",
        MFA_DOC,
    ),
)
@per_user_with(_virtual_mfa_devices, "whether the user's MFA resists phishing")
def phishing_resistant_mfa(
    row: CredentialRow, devices: tuple[VirtualMfaDevice, ...], ctx: CheckContext
) -> Iterator[Result]:
    """FAIL for each MFA-enabled user with a virtual MFA device assigned."""
    if not row.mfa_active:
        return
    virtual = sorted(
        d.serial_number
        for d in devices
        if d.user_arn == row.arn or (d.user_name is not None and d.user_name == row.user)
    )
    if virtual:
        yield user_result(
            row,
            Status.FAIL,
            f"{row.user}'s MFA includes a virtual (authenticator app) device; register a "
            "security key or passkey instead.",
            virtual_mfa_devices=virtual,
        )
    else:
        yield user_result(
            row,
            Status.PASS,
            f"{row.user}'s MFA is a security key, passkey or hardware token.",
        )
