"""Checks on IAM users' access keys, read from the credential report (KEY-001..004).

The report has no key ids, so a key is named by its slot ("access key 1", qualifier
``key1``) on the user's ARN. Only active keys are judged - an inactive key cannot sign
requests - and a user with none gets one PASS.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.common import (
    BEST_PRACTICES_DOC,
    SECURITY_HUB_IAM_DOC,
    UNUSED_DOC,
    age_days,
    iso,
    per_user,
    slots,
    unused_for,
    user_result,
)
from auditor.checks.registry import CheckContext, check
from auditor.model import ResourceType, Result, Severity, Source, Status
from auditor.snapshot import AccessKeyState, CredentialRow, Snapshot

ACCESS_KEYS_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"


def _key_result(
    row: CredentialRow, key: AccessKeyState, status: Status, detail: str, **evidence: object
) -> Result:
    return Result(
        status=status,
        resource_arn=row.arn,
        resource_name=row.user,
        detail=detail,
        evidence={"key": key.slot, **evidence},
        qualifier=f"key{key.slot}",
        resource_type=ResourceType.USER,
    )


def _no_date(row: CredentialRow, key: AccessKeyState, question: str) -> Result:
    # An active key always has a creation date in a well-formed report; without one the
    # key's age is unknown, which must not read as compliant. KEY-001 and KEY-002 both
    # meet such a key, so each says which of its questions went unanswered.
    return _key_result(
        row,
        key,
        Status.ERROR,
        f"Access key {key.slot} of {row.user} is active but the credential report gives no "
        f"creation (last rotated) date, so {question} cannot be judged.",
    )


@check(
    id="KEY-001",
    slug="access-key-unused",
    title="Active access keys unused for 45 days are deactivated",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.USER,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "An active key nobody uses still works for whoever finds it in an old laptop, "
        "repository or CI log. Deactivating unused keys removes that standing risk at no "
        "cost to anyone."
    ),
    remediation=(
        "IAM console > Users > the user > Security credentials > Access keys > the key > "
        "Actions > Deactivate; delete it once nothing breaks."
    ),
    remediation_cli=(
        "aws iam update-access-key --user-name USER_NAME --access-key-id ACCESS_KEY_ID "
        "--status Inactive"
    ),
    references=(UNUSED_DOC, ACCESS_KEYS_DOC, SECURITY_HUB_IAM_DOC),
    cis_7=("2.11",),
    cis_5=("1.11",),
    fsbp=("IAM.22",),
)
@per_user("whether the user's active access keys are still in use")
def access_key_unused(row: CredentialRow, snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each active key unused (or, never used, created) longer than the limit."""
    if not row.active_keys:
        yield user_result(row, Status.PASS, f"{row.user} has no active access keys.")
    for key in row.active_keys:
        since = key.last_used or key.last_rotated
        if since is None:
            yield _no_date(row, key, "how long it has gone unused")
            continue
        status, detail, evidence = unused_for(
            snap, ctx, f"Access key {key.slot}", key.last_used, since, set_word="created"
        )
        yield _key_result(
            row,
            key,
            status,
            detail,
            **evidence,
            last_used=iso(key.last_used),
            last_rotated=iso(key.last_rotated),
        )


@check(
    id="KEY-002",
    slug="access-key-rotation",
    title="Active access keys are rotated within 90 days",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.USER,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "The longer a key lives, the more places it has been copied to and the longer a "
        "leaked copy stays useful. Regular rotation bounds the life of a leak."
    ),
    remediation=(
        "IAM console > Users > the user > Security credentials > Create access key; move "
        "the workload to the new key, then deactivate and delete the old one."
    ),
    remediation_cli=(
        "aws iam create-access-key --user-name USER_NAME && aws iam update-access-key "
        "--user-name USER_NAME --access-key-id OLD_ACCESS_KEY_ID --status Inactive"
    ),
    references=(
        ACCESS_KEYS_DOC,
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id-credentials-access-keys-update.html",
        SECURITY_HUB_IAM_DOC,
    ),
    cis_7=("2.12",),
    cis_5=("1.13",),
    fsbp=("IAM.3",),
)
@per_user("whether the user's active access keys are rotated")
def access_key_rotation(row: CredentialRow, snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each active key older than the limit (whole days; the limit itself passes)."""
    limit = ctx.thresholds.key_rotation_days
    if not row.active_keys:
        yield user_result(row, Status.PASS, f"{row.user} has no active access keys.")
    for key in row.active_keys:
        if key.last_rotated is None:
            yield _no_date(row, key, "whether it is rotated within the limit")
            continue
        days = age_days(snap.collected_at, key.last_rotated)
        yield _key_result(
            row,
            key,
            Status.PASS if days <= limit else Status.FAIL,
            f"Access key {key.slot} is {days} days old; the limit is {limit}.",
            age_days=days,
            limit_days=limit,
            last_rotated=iso(key.last_rotated),
        )


@check(
    id="KEY-003",
    slug="two-active-keys",
    title="IAM users have at most one active access key",
    severity=Severity.LOW,
    resource_type=ResourceType.USER,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "Two active keys are meant to overlap briefly during a rotation. Left in place, the "
        "old key is usually forgotten yet still valid, doubling what can leak."
    ),
    remediation=(
        "IAM console > Users > the user > Security credentials > Access keys: find the key "
        "no longer in use (Last used), Deactivate it, then Delete it."
    ),
    remediation_cli=(
        "aws iam delete-access-key --user-name USER_NAME --access-key-id OLD_ACCESS_KEY_ID"
    ),
    references=(ACCESS_KEYS_DOC,),
    cis_5=("1.12",),
)
@per_user("whether the user holds more than one active access key")
def two_active_keys(row: CredentialRow, snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each user holding more than one active key."""
    active = tuple(k.slot for k in row.active_keys)
    status = Status.FAIL if len(active) > 1 else Status.PASS
    count = {0: "no active access keys", 1: "1 active access key"}.get(
        len(active), f"{len(active)} active access keys"
    )
    detail = f"{row.user} has {count}"
    yield user_result(
        row,
        status,
        f"{detail} ({slots(active)})." if active else f"{detail}.",
        active_key_slots=list(active),
    )


@check(
    id="KEY-004",
    slug="key-created-at-setup",
    title="Console users' access keys are not created at user setup and left unused",
    severity=Severity.LOW,
    resource_type=ResourceType.USER,
    needs={Source.CREDENTIAL_REPORT},
    rationale=(
        "Creating a key by default when a console user is set up hands out a long-term "
        "credential nobody asked for. A key created with the user and never used is such "
        "a key: it should not exist."
    ),
    remediation=(
        "IAM console > Users > the user > Security credentials > Access keys > the key "
        "(Last used: never) > Actions > Delete."
    ),
    remediation_cli="aws iam delete-access-key --user-name USER_NAME --access-key-id ACCESS_KEY_ID",
    references=(ACCESS_KEYS_DOC, BEST_PRACTICES_DOC),
    cis_5=("1.10",),
)
@per_user("whether the user's access keys were made at setup and left unused")
def key_created_at_setup(row: CredentialRow, snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each active, never-used key of a console user created with the user."""
    window = ctx.thresholds.key_setup_window_seconds
    if row.password_enabled is not True:
        yield user_result(row, Status.PASS, f"{row.user} has no console password.")
        return
    if not row.active_keys:
        yield user_result(row, Status.PASS, f"{row.user} has no active access keys.")
    for key in row.active_keys:
        created = row.user_creation_time
        gap = (
            abs((key.last_rotated - created).total_seconds())
            if key.last_rotated is not None and created is not None
            else None
        )
        if key.last_used is None and gap is not None and gap <= window:
            yield _key_result(
                row,
                key,
                Status.FAIL,
                f"Access key {key.slot} was created {gap:.0f} seconds after the user and "
                "has never been used.",
                seconds_after_user_creation=gap,
                window_seconds=window,
                last_rotated=iso(key.last_rotated),
                user_creation_time=iso(created),
            )
        elif key.last_used is not None:
            yield _key_result(row, key, Status.PASS, f"Access key {key.slot} has been used.")
        elif gap is None:
            # An unused key whose creation time (or the user's) is unknown may well be the
            # setup key: unknown data never reads as PASS.
            missing = "key's creation date" if key.last_rotated is None else "user's creation time"
            yield _key_result(
                row,
                key,
                Status.ERROR,
                f"Access key {key.slot} has never been used and the credential report gives "
                f"no {missing}, so whether it was "
                "made at user setup cannot be judged.",
                last_rotated=iso(key.last_rotated),
                user_creation_time=iso(created),
            )
        else:
            yield _key_result(
                row,
                key,
                Status.PASS,
                f"Access key {key.slot} was not created at user setup.",
                last_rotated=iso(key.last_rotated),
                user_creation_time=iso(created),
            )
