"""What the check modules share: the reference links, the helpers that read a snapshot, and
``per_user``, the loop over the credential report's users every per-user check runs in
(with an ERROR, naming the check's own question, for a row that could not be read).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TypeVar

from auditor.checks.registry import CheckContext, CheckFn
from auditor.model import ResourceType, Result, Source, Status
from auditor.snapshot import CredentialRow, Snapshot

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


def problem_result(row: CredentialRow, question: str) -> Result:
    """ERROR for a credential-report row whose cells could not all be parsed.

    Every credential-report check reads the same row, so each names the ``question`` it
    could not answer ("whether the user has MFA"): otherwise a reader sees one check's
    ERROR and cannot tell which of the other checks on that user went unjudged.
    """
    who = "The root user's" if row.is_root else f"{row.user}'s"
    return Result(
        status=Status.ERROR,
        resource_arn=row.arn,
        resource_name=row.user,
        detail=(
            f"{who} credential report row could not be read ({'; '.join(row.problems)}), "
            f"so {question} cannot be judged."
        ),
        evidence={"problems": list(row.problems)},
        resource_type=ResourceType.ACCOUNT if row.is_root else ResourceType.USER,
    )


def account_result(snap: Snapshot, status: Status, detail: str, **evidence: object) -> Result:
    """A result about the account itself (resource: the account root ARN, named by its id)."""
    return Result(
        status=status,
        resource_arn=snap.root_arn,
        resource_name=snap.account_id,
        detail=detail,
        evidence=evidence,
        resource_type=ResourceType.ACCOUNT,
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
