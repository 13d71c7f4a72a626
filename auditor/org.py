"""Organization fan-out: audit every ACTIVE account of an AWS Organization through one core.

The runner's own account is audited with its own session (no role to assume into oneself).
An account that cannot be assumed or read becomes an ``AccountOutcome`` with ``error`` and the
others go on; only failing to list the Organization (``OrgError``) or to store a report stops
the run. Each report goes to ``write`` as soon as it is ready and the ``OrgReport`` keeps only
each account's numbers, so memory does not grow with the Organization.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from auditor.analyze import selected_checks
from auditor.audit import TOOL, AuditResult, run_audit
from auditor.collect import identify
from auditor.collect.common import error_code, error_message, one_line
from auditor.collect.organization import is_active
from auditor.collect.session import (
    CLIENT_CONFIG,
    IDENTITY_CONFIG,
    CredentialsError,
    describe_credentials_failure,
)
from auditor.config import Settings
from auditor.defaults import ORG_MAX_WORKERS_LIMIT, ORG_ROLE_NAME
from auditor.errors import AuditorError, UsageError
from auditor.model import (
    AccountOutcome,
    CheckTally,
    Gap,
    OrgReport,
    Report,
    Score,
    Severity,
    Source,
    Status,
)
from auditor.names import is_account_id

if TYPE_CHECKING:
    import boto3

__all__ = [
    "MemberAccount",
    "OrgError",
    "OrgProgress",
    "list_member_accounts",
    "member_session",
    "outcome_from_report",
    "outcome_from_report_json",
    "outcome_not_audited",
    "role_arn",
    "run_org_audit",
]

logger = logging.getLogger(__name__)

# The audit threads' names begin with this: they read as ours in a debugger or a thread dump,
# and the tests look for any left running after a run has raised.
WORKER_THREAD_PREFIX = "iam-auditor-org"


@dataclass(frozen=True)
class MemberAccount:
    """One ACTIVE account of the Organization, as ``ListAccounts`` names it."""

    account_id: str
    name: str


class OrgError(AuditorError):
    """The Organization cannot be listed (not in one, not allowed) or an id is not in it.

    ``str()`` is one line for the CLI, which exits with 2: nothing was audited.
    """


class OrgProgress(Protocol):
    """Receives per-account events of an organization run, from worker threads.

    Implementations must be thread-safe: several accounts report at once. ``planned``
    comes first, from the calling thread, with every account that will be audited;
    then each account gets ``started``, any number of ``step`` messages (assuming the
    role, the collector's own progress lines, writing reports) and one ``done``, whose
    outcome says whether the account was audited (``outcome.error`` is None) or why not.
    """

    def planned(self, accounts: Sequence[MemberAccount]) -> None:
        """The accounts of this run, in the order they are submitted."""

    def started(self, account: MemberAccount) -> None:
        """A worker picked up ``account``."""

    def step(self, account: MemberAccount, message: str) -> None:
        """What ``account``'s audit is doing now (a short line ending in an ellipsis)."""

    def done(self, account: MemberAccount, outcome: AccountOutcome) -> None:
        """``account`` is finished: audited (reports written) or not audited."""


# --- listing -------------------------------------------------------------------------------


def list_member_accounts(session: boto3.Session) -> list[MemberAccount]:
    """The Organization's ACTIVE accounts, the management account included, sorted by id.

    Raises ``OrgError`` (one line) when ``ListAccounts`` is denied, the account is in no
    Organization, AWS cannot be reached, or the answer lists no ACTIVE account or names an
    impossible account id.
    """
    doing = "listing the Organization's accounts"
    try:
        client = session.client(
            "organizations", region_name=session.region_name, config=CLIENT_CONFIG
        )
        entries = [
            entry
            for page in client.get_paginator("list_accounts").paginate()
            for entry in page.get("Accounts") or ()
        ]
    except ClientError as exc:
        raise OrgError(_listing_failure(exc)) from None
    except BotoCoreError as exc:
        raise OrgError(describe_credentials_failure(exc, doing)) from None
    accounts: dict[str, MemberAccount] = {}
    for entry in entries:
        if not is_active(entry):
            continue
        account_id = str(entry.get("Id", ""))
        if not is_account_id(account_id):
            # The id becomes a directory name and a role ARN: never take it on trust.
            raise OrgError(
                "organizations:ListAccounts answered an invalid account id "
                + one_line(repr(account_id), 40)
            )
        accounts[account_id] = MemberAccount(account_id, str(entry.get("Name") or ""))
    if not accounts:
        # AWS always lists at least the management account to those allowed to list.
        raise OrgError(
            "organizations:ListAccounts listed no ACTIVE account: run from the management "
            "account or a delegated administrator account of an Organization"
        )
    return [accounts[key] for key in sorted(accounts)]


def _listing_failure(exc: ClientError) -> str:
    code = error_code(exc)
    if code in {"AccessDeniedException", "AccessDenied"}:
        return (
            f"cannot list the Organization's accounts: organizations:ListAccounts was denied "
            f"({code}); run from the management account or a delegated administrator "
            "account with organizations:ListAccounts allowed"
        )
    if code == "AWSOrganizationsNotInUseException":
        return (
            "cannot list the Organization's accounts: the account of these credentials is "
            f"not in an AWS Organization ({code})"
        )
    return describe_credentials_failure(exc, "listing the Organization's accounts")


def _select(
    members: Sequence[MemberAccount], wanted: Collection[str] | None
) -> list[MemberAccount]:
    if wanted is None:
        return list(members)
    wanted_ids = {a.strip() for a in wanted}
    unknown = sorted(wanted_ids - {m.account_id for m in members})
    if unknown:
        raise OrgError(
            "not ACTIVE accounts of this Organization: "
            + ", ".join(one_line(u, 40) for u in unknown)
        )
    return [m for m in members if m.account_id in wanted_ids]


# --- assuming ------------------------------------------------------------------------------


def member_session(
    session: boto3.Session,
    account_id: str,
    *,
    role_name: str,
    external_id: str | None,
    partition: str = "aws",
    session_name: str = "iam-auditor",
) -> boto3.Session:
    """A session in ``account_id`` as ``arn:{partition}:iam::{account_id}:role/{role_name}``.

    Raises ``CredentialsError`` (one line) when the role cannot be assumed.
    """
    sts = session.client("sts", region_name=session.region_name, config=IDENTITY_CONFIG)
    return _assume(
        sts,
        role_arn(account_id, role_name, partition),
        external_id=external_id,
        session_name=session_name,
        region=session.region_name,
        loader=_data_loader(session),
    )


def _data_loader(session: boto3.Session) -> Any:
    """The botocore data loader of ``session``, to share with the member sessions.

    Each new boto3 session would otherwise parse the service models again (IAM, STS, EC2,
    Access Analyzer): about two thirds of an account's CPU time in an organization run.
    The loader is a read-mostly cache, safe to share between threads.
    """
    return session._session.get_component("data_loader")


def role_arn(account_id: str, role_name: str, partition: str = "aws") -> str:
    """The ARN of the role to assume in ``account_id``."""
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def _assume(
    sts: Any,
    arn: str,
    *,
    external_id: str | None,
    session_name: str,
    region: str | None,
    loader: Any = None,
) -> boto3.Session:
    import boto3  # noqa: PLC0415 (only when assuming)
    import botocore.session  # noqa: PLC0415

    params: dict[str, Any] = {"RoleArn": arn, "RoleSessionName": session_name}
    if external_id:
        params["ExternalId"] = external_id
    try:
        answer = sts.assume_role(**params)
    except ParamValidationError as exc:
        raise CredentialsError(f"cannot assume role {arn}: {error_message(exc)}") from None
    except (ClientError, BotoCoreError) as exc:
        raise CredentialsError(describe_credentials_failure(exc, f"assuming role {arn}")) from None
    creds = answer["Credentials"]
    # A session of its own per account: boto3 sessions are not safe to share across
    # threads for creating clients, and each account's audit runs in its own thread.
    core = botocore.session.get_session()
    if loader is not None:
        core.register_component("data_loader", loader)
    return boto3.Session(
        botocore_session=core,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


# --- outcomes ------------------------------------------------------------------------------


def outcome_not_audited(account_id: str, name: str, error: str) -> AccountOutcome:
    """An account that could not be assumed or read; ``error`` says why, on one line."""
    return AccountOutcome(account_id=account_id, name=name, error=one_line(error) or "unknown")


def outcome_from_report(
    report: Report, *, name: str, reports: Sequence[str] = ()
) -> AccountOutcome:
    """What the org summary keeps of one account's report: numbers, gaps, failing checks."""
    failures = [
        (f.check_id, f.title, f.severity)
        for f in report.findings
        if f.status is Status.FAIL and not f.muted
    ]
    return AccountOutcome(
        account_id=report.account_id,
        name=name,
        score=Score(value=float(report.score.value), grade=report.score.grade),
        complete=report.complete,
        summary=report.summary(),
        # report.json lists each distinct gap once; so does the outcome, whichever it came from.
        gaps=tuple(dict.fromkeys(report.gaps)),
        failing=_tally(failures),
        reports=tuple(str(r) for r in reports),
    )


def outcome_from_report_json(
    data: Mapping[str, Any],
    *,
    name: str,
    reports: Sequence[str] = (),
    source: str = "report.json",
) -> AccountOutcome:
    """The same outcome as ``outcome_from_report``, from a parsed ``report.json``.

    Any schema_version this build reads (``auditor.report.json_read``). Raises
    ``ValueError`` whose one line starts with ``source`` (where the report came from) and
    says what is wrong when ``data`` is not such a report.
    """
    from auditor.report.json_read import ReportError, read_report  # noqa: PLC0415

    report = read_report(data, source)
    try:
        failures = [
            (str(f["check_id"]), str(f["title"]), Severity.parse(str(f["severity"])))
            for f in report["findings"]
            if f["status"] == Status.FAIL.value and not f["muted"]
        ]
        gaps = tuple(
            dict.fromkeys(
                Gap(
                    source=Source(g["source"]),
                    operation=str(g["operation"]),
                    error=str(g["error"]),
                    message=str(g["message"]),
                    region=None if g.get("region") is None else str(g["region"]),
                )
                for g in report["gaps"]
            )
        )
        score = Score(value=float(report["score"]["value"]), grade=str(report["score"]["grade"]))
        summary = {str(k): int(v) for k, v in report["summary"].items()}
        return AccountOutcome(
            account_id=str(report["account_id"]),
            name=name,
            score=score,
            complete=bool(report["complete"]),
            summary=summary,
            gaps=gaps,
            failing=_tally(failures),
            reports=tuple(str(r) for r in reports),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReportError(f"{source}: malformed report.json: {type(exc).__name__}: {exc}") from None


def _tally(failures: Sequence[tuple[str, str, Severity]]) -> tuple[CheckTally, ...]:
    """Unmuted FAILs per check: count and highest severity; worst first, then by id."""
    by_check: dict[str, tuple[str, Severity, int]] = {}
    for check_id, title, severity in failures:
        seen = by_check.get(check_id)
        if seen is None:
            by_check[check_id] = (title, severity, 1)
        else:
            worst = severity if severity.rank > seen[1].rank else seen[1]
            by_check[check_id] = (seen[0], worst, seen[2] + 1)
    tallies = [
        CheckTally(check_id=cid, title=title, severity=sev, failed=n)
        for cid, (title, sev, n) in by_check.items()
    ]
    return tuple(sorted(tallies, key=lambda t: (-t.severity.rank, t.check_id)))


# --- the run -------------------------------------------------------------------------------


class _Stopped(Exception):
    """The run is being abandoned (interrupted, or another account's reports failed)."""


@dataclass(frozen=True)
class _Run:
    """What every account's worker shares; ``session`` is touched by one worker only."""

    settings: Settings
    session: boto3.Session
    runner_account_id: str
    partition: str
    region: str | None
    sts: Any
    write: Callable[[MemberAccount, AuditResult], Sequence[str]]
    role_name: str
    external_id: str | None
    session_name: str
    only: Collection[str] | None
    progress: OrgProgress | None
    stop: threading.Event


def run_org_audit(
    settings: Settings,
    session: boto3.Session,
    *,
    write: Callable[[MemberAccount, AuditResult], Sequence[str]],
    role_name: str = ORG_ROLE_NAME,
    external_id: str | None = None,
    accounts: Collection[str] | None = None,
    max_workers: int = 8,
    only: Collection[str] | None = None,
    progress: OrgProgress | None = None,
    session_name: str = "iam-auditor",
) -> OrgReport:
    """Audit the Organization's ACTIVE accounts (or ``accounts`` of them), concurrently.

    Every account: assume ``role_name`` (the runner's own account uses ``session``),
    ``run_audit`` it, then ``write(account, result)``, which stores its reports and returns
    their locations; ``write`` is called from worker threads, for different accounts at
    once. An account that cannot be assumed or read is an outcome with ``error`` and the
    others go on. Raises ``UsageError`` for a bad ``max_workers`` or an unknown check in
    ``only``, ``CredentialsError`` when ``session`` cannot be identified, ``OrgError`` when
    the Organization cannot be listed or ``accounts`` names an account not in it; an
    exception from ``write`` abandons the accounts not yet finished and is re-raised.
    """
    if not 1 <= max_workers <= ORG_MAX_WORKERS_LIMIT:
        raise UsageError(f"max_workers must be 1 to {ORG_MAX_WORKERS_LIMIT}, not {max_workers}")
    # An unknown check id is one error for the run, not one per account.
    selected_checks(settings, only)
    runner_account_id, partition = identify(session)
    chosen = _select(list_member_accounts(session), accounts)
    sts = None
    if any(a.account_id != runner_account_id for a in chosen):
        # Made here, once: clients are thread-safe, sessions are not; the runner's own
        # account's worker is then the only thread that uses ``session``.
        sts = session.client("sts", region_name=session.region_name, config=IDENTITY_CONFIG)
    run = _Run(
        settings=settings,
        session=session,
        runner_account_id=runner_account_id,
        partition=partition,
        region=session.region_name,
        sts=sts,
        write=write,
        role_name=role_name,
        external_id=external_id,
        session_name=session_name,
        only=only,
        progress=progress,
        stop=threading.Event(),
    )
    if progress is not None:
        progress.planned(chosen)
    outcomes = _fan_out(run, chosen, max_workers)
    return OrgReport(
        tool=TOOL,
        runner_account_id=runner_account_id,
        generated_at=datetime.now(UTC),
        accounts=tuple(outcomes[a.account_id] for a in chosen),
    )


def _fan_out(
    run: _Run, chosen: Sequence[MemberAccount], max_workers: int
) -> dict[str, AccountOutcome]:
    outcomes: dict[str, AccountOutcome] = {}
    if not chosen:
        return outcomes
    pool = ThreadPoolExecutor(
        max_workers=min(max_workers, len(chosen)), thread_name_prefix=WORKER_THREAD_PREFIX
    )
    try:
        futures: dict[Future[AccountOutcome], MemberAccount] = {
            pool.submit(_audit_account, run, account): account for account in chosen
        }
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[outcome.account_id] = outcome
    except BaseException:
        # Interrupted, or a write failed: accounts not started never start, and running
        # ones stop at their next progress step. Waiting for them costs at most one API
        # call (the interpreter joins pool threads at exit anyway) and means no audit goes
        # on using the caller's session after the exception reaches it: a warm Lambda, a
        # test's next fixture.
        run.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return outcomes


def _audit_account(run: _Run, account: MemberAccount) -> AccountOutcome:
    if run.stop.is_set():
        raise _Stopped
    progress = run.progress

    def step(message: str) -> None:
        if run.stop.is_set():
            raise _Stopped
        if progress is not None:
            progress.step(account, message)

    if progress is not None:
        progress.started(account)
    try:
        result = _audit(run, account, step)
    except CredentialsError as exc:
        outcome = outcome_not_audited(account.account_id, account.name, str(exc))
    except _Stopped:
        raise
    except Exception as exc:
        # One account's surprise must not end the others; KeyboardInterrupt still does.
        logger.debug("auditing account %s failed", account.account_id, exc_info=True)
        reason = f"unexpected error while auditing: {type(exc).__name__}: {one_line(str(exc))}"
        outcome = outcome_not_audited(account.account_id, account.name, reason)
    else:
        if result.report.account_id != account.account_id:
            outcome = outcome_not_audited(
                account.account_id,
                account.name,
                f"the credentials for this account belong to account {result.report.account_id}",
            )
        else:
            step("writing reports…")
            # Not caught: a sink that cannot store reports fails every account alike.
            locations = run.write(account, result)
            outcome = outcome_from_report(result.report, name=account.name, reports=locations)
    if progress is not None:
        progress.done(account, outcome)
    return outcome


def _audit(run: _Run, account: MemberAccount, step: Callable[[str], None]) -> AuditResult:
    if account.account_id == run.runner_account_id:
        member = run.session
    else:
        step(f"assuming role {run.role_name}…")
        member = _assume(
            run.sts,
            role_arn(account.account_id, run.role_name, run.partition),
            external_id=run.external_id,
            session_name=run.session_name,
            region=run.region,
            loader=_data_loader(run.session),
        )
    return run_audit(run.settings, session=member, only=run.only, progress=step)
