"""What the check modules share: the reference links, the helpers that read a snapshot, the
results about the account, a user's report row or a principal, and ``per_user``, the loop
over the credential report's users every per-user check runs in (with an ERROR, naming the
check's own question, for a row that could not be read).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import TypeVar

from auditor.checks.registry import CheckContext, CheckFn
from auditor.model import ResourceType, Result, Source, Status
from auditor.policy import IamPrincipal
from auditor.snapshot import CredentialRow, Group, Role, Snapshot, User

T = TypeVar("T")
P = TypeVar("P")

MFA_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html"
UNUSED_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html"
BEST_PRACTICES_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html"
SECURITY_HUB_IAM_DOC = "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html"


def need(value: T | None, source: Source) -> T:
    """The collected part a check declared in ``needs``; the analyzer guarantees it is there.

    Raising (rather than judging an empty default) keeps a broken contract loud: the
    analyzer turns a crashed check into ERROR, never into PASS.
    """
    if value is None:
        raise LookupError(f"source {source.value} is missing; the check needs it")
    return value


def age_days(now: datetime, then: datetime) -> int:
    """Whole days from ``then`` to ``now`` (a snapshot's datetimes are all UTC-aware)."""
    return (now - then).days


def iso(value: datetime | None) -> str | None:
    """An ISO 8601 string for evidence, or None."""
    return value.isoformat() if value is not None else None


def unused_for(
    snap: Snapshot,
    ctx: CheckContext,
    credential: str,
    last_used: datetime | None,
    since: datetime,
    *,
    set_word: str,
) -> tuple[Status, str, dict[str, object]]:
    """Status, detail and evidence of a credential unused since ``since``.

    KEY-001 and USER-003 apply the one rule (CIS: credentials unused for the configured
    ``unused_credentials_days`` are removed) to an access key and a console password: a
    credential never used counts from when it was ``set_word`` ("created", "set").
    """
    limit = ctx.thresholds.unused_credentials_days
    days = age_days(snap.collected_at, since)
    if last_used is None:
        what = f"{credential} has never been used and was {set_word} {days} days ago"
    else:
        what = f"{credential} was last used {days} days ago"
    evidence: dict[str, object] = {
        "never_used": last_used is None,
        "days_since_use": days,
        "limit_days": limit,
    }
    status = Status.PASS if days <= limit else Status.FAIL
    return status, f"{what}; the limit is {limit}.", evidence


def problem_result(row: CredentialRow, question: str) -> Result:
    """ERROR for a credential-report row whose cells could not all be parsed.

    Every credential-report check reads the same row, so each names the ``question`` it
    could not answer ("whether the user has MFA"): otherwise a reader sees one check's
    ERROR and cannot tell which of the other checks on that user went unjudged.
    """
    who = "The root user's" if row.is_root else f"{row.user}'s"
    return _result(
        Status.ERROR,
        f"{who} credential report row could not be read ({'; '.join(row.problems)}), "
        f"so {question} cannot be judged.",
        {"problems": list(row.problems)},
        arn=row.arn,
        name=row.user,
        resource_type=ResourceType.ACCOUNT if row.is_root else ResourceType.USER,
    )


def account_result(snap: Snapshot, status: Status, detail: str, **evidence: object) -> Result:
    """A result about the account itself (resource: the account root ARN, named by its id)."""
    return _result(
        status,
        detail,
        evidence,
        arn=snap.root_arn,
        name=snap.account_id,
        resource_type=ResourceType.ACCOUNT,
    )


def user_result(row: CredentialRow, status: Status, detail: str, **evidence: object) -> Result:
    """A result about the IAM user of a credential-report row."""
    return _result(
        status, detail, evidence, arn=row.arn, name=row.user, resource_type=ResourceType.USER
    )


def principal_result(
    principal: IamPrincipal, status: Status, detail: str, **evidence: object
) -> Result:
    """A result about a user, group or role, typed as such."""
    return _result(
        status,
        detail,
        evidence,
        arn=principal.arn,
        name=principal.name,
        resource_type=principal_type(principal),
    )


def principal_type(principal: IamPrincipal) -> ResourceType:
    """The ASFF resource type of a user, group or role."""
    if isinstance(principal, User):
        return ResourceType.USER
    if isinstance(principal, Group):
        return ResourceType.GROUP
    return ResourceType.ROLE


def principal_kind(principal: IamPrincipal) -> str:
    """``User`` / ``Group`` / ``Role``, for details."""
    return {User: "User", Group: "Group", Role: "Role"}[type(principal)]


def _result(
    status: Status,
    detail: str,
    evidence: Mapping[str, object],
    *,
    arn: str,
    name: str,
    resource_type: ResourceType,
) -> Result:
    return Result(
        status=status,
        resource_arn=arn,
        resource_name=name,
        detail=detail,
        evidence=evidence,
        resource_type=resource_type,
    )


def credential_users(snap: Snapshot) -> tuple[CredentialRow, ...]:
    """The IAM users' rows of the credential report (root excluded)."""
    return need(snap.credential_report, Source.CREDENTIAL_REPORT).users


def per_user_with(
    prepare: Callable[[Snapshot], P], question: str
) -> Callable[[Callable[[CredentialRow, P, CheckContext], Iterable[Result]]], CheckFn]:
    """Like ``per_user``, but ``judge`` gets ``prepare(snap)`` in place of the snapshot.

    ``prepare`` runs once, before the first row, so what it builds (or the missing source
    it raises on) is shared by every row rather than redone per user.
    """

    def wrap(judge: Callable[[CredentialRow, P, CheckContext], Iterable[Result]]) -> CheckFn:
        @functools.wraps(judge)
        def run(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
            prepared = prepare(snap)
            for row in credential_users(snap):
                if row.problems:
                    yield problem_result(row, question)
                else:
                    yield from judge(row, prepared, ctx)

        return run

    return wrap


def _snapshot(snap: Snapshot) -> Snapshot:
    return snap


def per_user(
    question: str,
) -> Callable[[Callable[[CredentialRow, Snapshot, CheckContext], Iterable[Result]]], CheckFn]:
    """A check made of ``judge(row, snap, ctx)`` run on every IAM user's report row.

    Put ``@per_user("whether the user ...")`` between ``@check(...)`` and the function. A
    row with ``problems`` gets the ``problem_result`` ERROR, naming ``question``, and is not
    judged: guessing a value from a broken cell could turn a FAIL into a PASS.
    """
    return per_user_with(_snapshot, question)


def slots(keys: tuple[int, ...]) -> str:
    """``key 1`` / ``keys 1 and 2`` for details."""
    if len(keys) == 1:
        return f"key {keys[0]}"
    return "keys " + " and ".join(str(k) for k in keys)
