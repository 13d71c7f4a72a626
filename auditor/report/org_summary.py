"""The organization summary: ``org-summary.json``, ``.csv`` and ``.html`` for an org run.

Built from the ``OrgReport`` alone (each account's numbers, never its findings), so it stays
small for hundreds of accounts and can be rebuilt from their ``report.json``. Account names
and error messages are not ours: the CSV and HTML follow ``csv_report`` and ``html_report``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from auditor.model import AccountOutcome, CheckTally, Gap, OrgReport, Severity, Status
from auditor.report.common import utc_timestamp
from auditor.report.csv_report import neutralise
from auditor.report.html_report import CSS_PARTIAL, environment, inline_csp, score_text
from auditor.report.json_report import gap_to_dict

ORG_FILENAMES = ("org-summary.json", "org-summary.csv", "org-summary.html")
SCHEMA_VERSION = 1
KIND = "org-summary"
TEMPLATE = "org_summary.html.j2"

CSV_COLUMNS: tuple[str, ...] = (
    "account_id",
    "name",
    "audited",
    "error",
    "score",
    "grade",
    "complete",
    "PASS",
    "FAIL",
    "ERROR",
    "muted",
    "worst_severity",
    "failing_checks",
    "reports",
)

_BOM = b"\xef\xbb\xbf"
_REPORT_HTML = "report.html"
_COUNT_KEYS = (Status.PASS.value, Status.FAIL.value, Status.ERROR.value, "muted")


@dataclass(frozen=True)
class OrgCheckFailures:
    """One check's unmuted failures across the organization.

    ``severity`` is the highest any account saw (the context rule can raise a finding in one
    account and not in another), ``accounts`` the ids of the accounts failing it, sorted,
    and ``failed`` the number of failing findings summed over them.
    """

    check_id: str
    title: str
    severity: Severity
    accounts: tuple[str, ...]
    failed: int


def _account_key(outcome: AccountOutcome) -> tuple[int, float, str]:
    if not outcome.audited:
        group = 0
    elif not outcome.complete:
        group = 1
    else:
        group = 2
    # An audited account always has a score; should one lack it, it sorts as worst.
    score = outcome.score.value if outcome.score is not None else -1.0
    return group, score, outcome.account_id


def ordered_accounts(accounts: Iterable[AccountOutcome]) -> list[AccountOutcome]:
    """Worst first: not audited, then incomplete, then by score ascending, then by id."""
    return sorted(accounts, key=_account_key)


def _ordered_tallies(tallies: Iterable[CheckTally]) -> list[CheckTally]:
    return sorted(tallies, key=lambda t: (-t.severity.rank, t.check_id))


def check_failures(org: OrgReport) -> list[OrgCheckFailures]:
    """Each check that fails in any account: highest severity, accounts, total failures.

    Ordered by severity (highest first), then number of accounts (most first), then check
    id. A check's title is the one the lowest account id reports, so the result does not
    depend on the order accounts finished in.
    """
    titles: dict[str, str] = {}
    severities: dict[str, Severity] = {}
    accounts: dict[str, set[str]] = {}
    failed: dict[str, int] = {}
    for outcome in sorted(org.accounts, key=lambda a: a.account_id):
        for tally in outcome.failing:
            if tally.failed <= 0:
                continue
            check_id = tally.check_id
            titles.setdefault(check_id, tally.title)
            seen = severities.get(check_id)
            if seen is None or tally.severity.rank > seen.rank:
                severities[check_id] = tally.severity
            accounts.setdefault(check_id, set()).add(outcome.account_id)
            failed[check_id] = failed.get(check_id, 0) + tally.failed
    out = [
        OrgCheckFailures(
            check_id=check_id,
            title=titles[check_id],
            severity=severities[check_id],
            accounts=tuple(sorted(accounts[check_id])),
            failed=failed[check_id],
        )
        for check_id in titles
    ]
    out.sort(key=lambda c: (-c.severity.rank, -len(c.accounts), c.check_id))
    return out


# --- JSON ----------------------------------------------------------------------------------


def account_to_dict(outcome: AccountOutcome) -> dict[str, Any]:
    """One entry of ``accounts``; ``score`` is null for an account that was not audited."""
    score = outcome.score
    return {
        "account_id": outcome.account_id,
        "name": outcome.name,
        "audited": outcome.audited,
        "error": outcome.error,
        "score": None if score is None else {"value": float(score.value), "grade": score.grade},
        "complete": outcome.complete,
        "summary": {key: int(value) for key, value in outcome.summary.items()},
        "gaps": [gap_to_dict(gap) for gap in outcome.gaps],
        "failing": [
            {
                "check_id": t.check_id,
                "title": t.title,
                "severity": t.severity.value,
                "failed": t.failed,
            }
            for t in _ordered_tallies(outcome.failing)
        ],
        "reports": list(outcome.reports),
    }


def org_to_dict(org: OrgReport) -> dict[str, Any]:
    """The summary as JSON-native data, in the order ``org-summary.json`` lists it."""
    accounts = ordered_accounts(org.accounts)
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "tool": {"name": org.tool.name, "version": org.tool.version},
        "runner_account_id": org.runner_account_id,
        "generated_at": utc_timestamp(org.generated_at),
        "complete": org.complete,
        "accounts": [account_to_dict(a) for a in accounts],
        "checks": [
            {
                "check_id": c.check_id,
                "title": c.title,
                "severity": c.severity.value,
                "accounts": list(c.accounts),
                "failed": c.failed,
            }
            for c in check_failures(org)
        ],
        "not_audited": [
            {"account_id": a.account_id, "name": a.name, "error": a.error}
            for a in accounts
            if not a.audited
        ],
    }


def render_org_json(org: OrgReport) -> bytes:
    """``org-summary.json``: UTF-8, indented, non-ASCII kept as is, ending in a newline."""
    text = json.dumps(org_to_dict(org), indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


# --- CSV -----------------------------------------------------------------------------------


def _failing_text(outcome: AccountOutcome) -> str:
    return "; ".join(f"{t.check_id}({t.failed})" for t in _ordered_tallies(outcome.failing))


def account_row(outcome: AccountOutcome) -> list[str]:
    """One account's cells, in ``CSV_COLUMNS`` order, already neutralised.

    Counts, score and grade are empty for an account that was not audited: there is
    nothing to count, which is not the same as zero.
    """
    score = outcome.score
    counts = [str(outcome.summary.get(key, 0)) if outcome.audited else "" for key in _COUNT_KEYS]
    worst = outcome.worst
    cells = (
        outcome.account_id,
        outcome.name,
        "true" if outcome.audited else "false",
        outcome.error or "",
        # The exact score, unlike the page's rounded one: a spreadsheet may sort or sum it.
        "" if score is None else repr(float(score.value)),
        "" if score is None else score.grade,
        "true" if outcome.complete else "false",
        *counts,
        "" if worst is None else worst.value,
        _failing_text(outcome),
        "; ".join(outcome.reports),
    )
    return [neutralise(cell) for cell in cells]


def render_org_csv(org: OrgReport) -> bytes:
    """``org-summary.csv``: header plus one neutralised row per account, worst first."""
    import pandas as pd  # noqa: PLC0415 (loaded only when the summary is written)

    rows = [account_row(a) for a in ordered_accounts(org.accounts)]
    # Every column is text: object dtype stops pandas from inferring numbers.
    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS), dtype=object)
    text = frame.to_csv(index=False, lineterminator="\r\n")
    return _BOM + text.encode("utf-8")


# --- HTML ----------------------------------------------------------------------------------


def _is_local(location: str) -> bool:
    return "://" not in location


def report_link(outcome: AccountOutcome) -> str | None:
    """``ACCOUNT_ID/report.html`` when the account's HTML report was written locally there.

    The summary sits in the output directory and each account's reports in a directory
    named after it, so a relative link works from ``file://`` wherever the directory is
    moved. A report stored elsewhere (S3, another layout) gets no link: the page points
    nowhere outside itself. The id is percent-encoded, so it can only ever be a path.
    """
    if outcome.account_id in {"", ".", ".."}:
        return None
    for location in outcome.reports:
        if not _is_local(location):
            continue
        path = PurePosixPath(location.replace("\\", "/"))
        if path.name == _REPORT_HTML and path.parent.name == outcome.account_id:
            return f"{quote(outcome.account_id, safe='')}/{_REPORT_HTML}"
    return None


def _report_location(outcome: AccountOutcome) -> str:
    """Where the account's HTML report went (else its first report), as text."""
    for location in outcome.reports:
        if location.rsplit("/", 1)[-1] == _REPORT_HTML:
            return location
    return outcome.reports[0] if outcome.reports else ""


def _gap_text(gap: Gap) -> str:
    where = f" in {gap.region}" if gap.region else ""
    return f"{gap.operation}{where}: {gap.error}"


def _account_context(outcome: AccountOutcome) -> dict[str, Any]:
    score = outcome.score
    worst = outcome.worst
    return {
        "id": outcome.account_id,
        "name": outcome.name,
        "audited": outcome.audited,
        "error": outcome.error or "",
        "complete": outcome.complete,
        "score": "" if score is None else score_text(score.value),
        "grade": "" if score is None else score.grade,
        "fail": outcome.summary.get(Status.FAIL.value, 0),
        "errors": outcome.summary.get(Status.ERROR.value, 0),
        "worst": "" if worst is None else worst.value,
        "gaps": [_gap_text(gap) for gap in outcome.gaps],
        "link": report_link(outcome),
        "location": _report_location(outcome),
    }


def _context(org: OrgReport) -> dict[str, Any]:
    """Everything the template needs, computed here so the template stays simple."""
    accounts = [_account_context(a) for a in ordered_accounts(org.accounts)]
    audited = sum(a["audited"] for a in accounts)
    return {
        "tool": org.tool,
        "runner_account_id": org.runner_account_id,
        "generated_at": utc_timestamp(org.generated_at),
        "complete": org.complete,
        "accounts": accounts,
        "audited": audited,
        "not_audited": [a for a in accounts if not a["audited"]],
        "incomplete": sum(a["audited"] and not a["complete"] for a in accounts),
        "checks": check_failures(org),
    }


def render_org_html(org: OrgReport, directory: Path | None = None) -> bytes:
    """``org-summary.html`` as UTF-8; ``directory`` overrides where templates are read."""
    env = environment(directory)
    context = _context(org)
    # The page inlines the per-account report's stylesheet and runs no script at all.
    context["csp"] = inline_csp([env.get_template(CSS_PARTIAL).render()])
    return env.get_template(TEMPLATE).render(context).encode("utf-8")


def render_org(org: OrgReport) -> dict[str, bytes]:
    """All three summary files, file name -> content, in ``ORG_FILENAMES`` order."""
    renderers = (render_org_json, render_org_csv, render_org_html)
    return {name: render(org) for name, render in zip(ORG_FILENAMES, renderers, strict=True)}
