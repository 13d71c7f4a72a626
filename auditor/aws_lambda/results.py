"""What the Lambda returns: each result shape declared once, and built in one place.

The result is the invocation's output: a Step Functions state's data, the aggregation's
input and the SNS message's ``summary``, so its keys and their order are a contract. An
account is either audited (``AuditedResult``; in an org result's short list, without its
key lists: ``WorstAudited``) or not (``NotAuditedResult``, saying why). An org run returns
counts and at most ``WORST_ACCOUNTS_MAX`` accounts, never one entry per account, so its
size does not grow with the Organization.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal, TypedDict

from auditor.aws_lambda.store import REPORT_JSON, Stored
from auditor.errors import ExitCode, Judged
from auditor.model import AccountOutcome, OrgReport, Report, Score, Severity, Status
from auditor.report.common import utc_timestamp
from auditor.report.org_summary import ordered_accounts

if TYPE_CHECKING:
    from auditor.org import MemberAccount

# The CLI's default --fail-on: what a result's exit_code is judged against.
FAIL_ON = Severity.LOW
# An org run's result names at most this many accounts, worst first. Step Functions caps a
# state's data at 256 KB and SNS a message at 256 KiB: the full list is org-summary.json.
WORST_ACCOUNTS_MAX = 20
# A failed child's Cause can be a whole stack trace: the summary keeps its start.
ERROR_MAX = 1000
# ...and the result's short list less than that.
WORST_ERROR_MAX = 300
NAME_MAX = 100


class ScoreResult(TypedDict):
    """An account's score, as its report.json says it."""

    value: float
    grade: str


class NotAuditedResult(TypedDict):
    """A member account that could not be assumed or read, and why."""

    account_id: str
    name: str
    audited: Literal[False]
    error: str


class _Audited(TypedDict):
    account_id: str
    name: str
    audited: Literal[True]
    score: ScoreResult
    complete: bool
    summary: dict[str, int]
    exit_code: int


class AuditedResult(_Audited):
    """An audited account's result: its numbers and where its reports went."""

    keys: list[str]
    latest_keys: list[str]
    report_json_key: str | None


class WorstAudited(_Audited):
    """An audited account in an org result's short list: its numbers and its report.json."""

    report_json_key: str | None


AccountResult = AuditedResult | NotAuditedResult
WorstEntry = WorstAudited | NotAuditedResult


class OrgCounts(TypedDict):
    """How many accounts an org run covered, and how they fared."""

    accounts: int
    audited: int
    not_audited: int
    incomplete: int


class OrgResult(TypedDict):
    """An org run's (or aggregation's) bounded result."""

    mode: Literal["org"]
    runner_account_id: str
    generated_at: str
    complete: bool
    exit_code: int
    counts: OrgCounts
    worst_accounts: list[WorstEntry]
    summary_keys: list[str]
    summary_latest_keys: list[str]


class MemberItem(TypedDict):
    """One Distributed Map item: a member account to audit."""

    account_id: str
    name: str


class AccountsListing(TypedDict):
    """``list_accounts``' result: the Organization's ACTIVE members."""

    accounts: list[MemberItem]


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis saying so."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def fail_count(report: Report, *severities: Severity) -> int:
    """Unmuted FAIL findings of ``report`` at the given severities."""
    wanted = set(severities)
    return sum(
        1
        for f in report.findings
        if f.status is Status.FAIL and not f.muted and f.severity in wanted
    )


def not_audited_result(account_id: str, name: str, error: str) -> NotAuditedResult:
    """The result of a member account that could not be assumed or read."""
    return {"account_id": account_id, "name": name, "audited": False, "error": error}


def _audited(
    account_id: str, name: str, judged: Judged, score: Score, summary: Mapping[str, int]
) -> _Audited:
    return {
        "account_id": account_id,
        "name": name,
        "audited": True,
        "score": {"value": score.value, "grade": score.grade},
        "complete": judged.complete,
        "summary": dict(summary),
        "exit_code": int(ExitCode.judge(judged, FAIL_ON)),
    }


def report_result(report: Report, stored: Stored, *, name: str = "") -> AuditedResult:
    """An audited account's result, from its report."""
    audited = _audited(report.account_id, name, report, report.score, report.summary())
    return {
        **audited,
        "keys": list(stored.keys),
        "latest_keys": list(stored.latest_keys),
        "report_json_key": stored.key_of(REPORT_JSON),
    }


def worst_entry(outcome: AccountOutcome, stored: Stored | None) -> WorstEntry:
    """One account of an org run's short list: its numbers, or why it was not audited.

    Its size is bounded whatever the account's data: the name and the error are clipped.
    """
    name = clip(outcome.name, NAME_MAX)
    if not outcome.audited or outcome.score is None:
        error = clip(outcome.error or "not audited", WORST_ERROR_MAX)
        return not_audited_result(outcome.account_id, name, error)
    audited = _audited(outcome.account_id, name, outcome, outcome.score, outcome.summary)
    return {**audited, "report_json_key": stored.key_of(REPORT_JSON) if stored else None}


def org_result(org: OrgReport, stored: Mapping[str, Stored], summary: Stored) -> OrgResult:
    """An org run's result: counts, the worst accounts in org-summary.json's order, and
    where the summary (``summary``) went; ``stored`` says where each account's went."""
    audited = [a for a in org.accounts if a.audited]
    return {
        "mode": "org",
        "runner_account_id": org.runner_account_id,
        "generated_at": utc_timestamp(org.generated_at),
        "complete": org.complete,
        "exit_code": int(ExitCode.judge(org, FAIL_ON)),
        "counts": {
            "accounts": len(org.accounts),
            "audited": len(audited),
            "not_audited": len(org.accounts) - len(audited),
            "incomplete": sum(1 for a in audited if not a.complete),
        },
        "worst_accounts": [
            worst_entry(outcome, stored.get(outcome.account_id))
            for outcome in ordered_accounts(org.accounts)[:WORST_ACCOUNTS_MAX]
        ],
        "summary_keys": list(summary.keys),
        "summary_latest_keys": list(summary.latest_keys),
    }


def accounts_listing(members: Sequence[MemberAccount]) -> AccountsListing:
    """``{"accounts": [{"account_id", "name"}]}``: the Distributed Map's items."""
    return {"accounts": [{"account_id": m.account_id, "name": m.name} for m in members]}
