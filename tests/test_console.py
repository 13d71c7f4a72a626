"""The end-of-run summary of one account: an incomplete audit lists every reason it is so.

A failed call (a gap) is one reason; a check that reported ERROR with no gap behind it (the
credential report has no ``<root_account>`` row, as under moto; a user's row or a policy
could not be read) is another, and used to be left out, so the terminal said "AUDIT
INCOMPLETE ... :" and then nothing. Each such check is listed with its id, title and detail,
or how many resources it could not judge; names from the account stay inert.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import UTC, datetime
from typing import Any

from factories import cred_row, snapshot, summary, user

from auditor.audit import run_audit
from auditor.config import CheckOverride, Settings
from auditor.console import org_summary
from auditor.console import summary as console_summary
from auditor.model import (
    AccountOutcome,
    Gap,
    OrgReport,
    Report,
    Score,
    Source,
    Tool,
)

HEADER = "AUDIT INCOMPLETE: some checks could not look (see ERROR findings):"
NO_AA = Settings(checks={"AA-001": CheckOverride(enabled=False)})


def audited(**parts: Any) -> Report:
    """The report of every check but AA-001 over an account whose sources were all read."""
    base: dict[str, Any] = {
        "credential_report": [cred_row("alice", mfa=True)],
        "users": [user("alice")],
        "account_summary": summary(),
        "password_policy": None,
        "virtual_mfa_devices": (),
        "server_certificates": (),
        "saml_providers": (),
        "oidc_providers": (),
    }
    base.update(parts)
    return run_audit(NO_AA, snapshot=snapshot(**base)).report


def incomplete_section(text: str) -> list[str]:
    """The lines after the AUDIT INCOMPLETE header, up to the next section."""
    lines = text.splitlines()
    start = lines.index(HEADER) + 1
    end = start
    while end < len(lines) and lines[end].startswith("  - "):
        end += 1
    return lines[start:end]


def test_missing_root_row_is_listed_check_by_check() -> None:
    # As with AA-001 disabled on moto: no gap at all, yet ROOT-004 and ROOT-005 ERROR.
    report = audited()
    assert not report.complete
    assert report.gaps == ()

    reasons = incomplete_section(console_summary(report, []))

    assert reasons == [
        "  - ROOT-004 The root user has not been used in the last 90 days: The credential "
        "report has no <root_account> row, so whether the root user was used in the last "
        "90 days cannot be judged.",
        "  - ROOT-005 The root user has no active X.509 signing certificate: The credential "
        "report has no <root_account> row, so whether the root user holds an active X.509 "
        "signing certificate cannot be judged.",
    ]


def test_gaps_name_their_checks_and_other_errors_follow() -> None:
    denied = Gap(Source.PASSWORD_POLICY, "iam:GetAccountPasswordPolicy", "AccessDenied", "no")
    rows = [
        cred_row("alice", mfa=True),
        cred_row("bob", problems=["mfa_active: 'maybe'"]),
        cred_row("carol", problems=["mfa_active: 'maybe'"]),
    ]
    read = snapshot(
        credential_report=rows,
        users=[user("alice"), user("bob"), user("carol")],
        account_summary=summary(),
        virtual_mfa_devices=(),
        server_certificates=(),
        saml_providers=(),
        oidc_providers=(),
    )
    # Everything was read but the password policy, whose call was denied.
    snap = dataclasses.replace(read, gaps=(denied,))
    report = run_audit(NO_AA, snapshot=snap).report

    reasons = incomplete_section(console_summary(report, []))

    assert reasons[0] == (
        "  - iam:GetAccountPasswordPolicy: AccessDenied "
        "(PWD-001, PWD-002, PWD-003, PWD-004, PWD-005)"
    )
    listed = [line.split(" ")[3] for line in reasons[1:]]
    # The root checks, then every credential-report check once, in catalog order.
    assert listed[:3] == ["ROOT-004", "ROOT-005", "USER-001"]
    assert len(listed) == len(set(listed))
    user_001 = reasons[1 + listed.index("USER-001")]
    assert user_001 == (
        "  - USER-001 IAM users with a console password have MFA enabled: "
        "2 resources could not be judged (bob, carol)"
    )


def test_many_resources_are_counted_not_spelled_out() -> None:
    names = [f"user{n}" for n in range(5)]
    rows = [cred_row(n, problems=["mfa_active: 'maybe'"]) for n in names]
    report = audited(credential_report=rows, users=[user(n) for n in names])

    (line,) = [r for r in incomplete_section(console_summary(report, [])) if " USER-002 " in r]

    assert line.endswith(": 5 resources could not be judged (user0, user1, user2 and 2 more)")


def test_hostile_names_in_a_reason_stay_inert() -> None:
    evil = "evil\x1b[2J\u202e"
    report = audited(
        credential_report=[cred_row(evil, problems=["mfa_active: 'maybe'"])],
        users=[user(evil)],
    )

    text = console_summary(report, [])

    assert "evil?[2J?" in text
    assert not [ch for ch in text if ch != "\n" and unicodedata.category(ch).startswith("C")]


def test_complete_audit_has_no_incomplete_section() -> None:
    report = run_audit(
        NO_AA,
        snapshot=snapshot(account_summary=summary()),
        only=["ROOT-001", "ROOT-002"],
    ).report

    assert report.complete
    assert HEADER not in console_summary(report, [])


def test_org_summary_never_lets_gaps_hide_other_errors() -> None:
    gap = Gap(Source.ACCESS_ANALYZER, "access-analyzer:ListAnalyzers", "AccessDenied", "m", "x")
    # One gap (one AA-001 ERROR) and ROOT-004 / ROOT-005 without a root row: three ERRORs.
    mixed = AccountOutcome(
        "222222222222",
        "mixed",
        score=Score(50.0, "F"),
        complete=False,
        summary={"PASS": 1, "FAIL": 1, "ERROR": 3, "muted": 0},
        gaps=(gap,),
    )
    org = OrgReport(
        tool=Tool("iam-auditor", "0"),
        runner_account_id="111111111111",
        generated_at=datetime(2026, 11, 23, tzinfo=UTC),
        accounts=(mixed,),
    )

    lines = org_summary(org, []).splitlines()

    assert (
        "  222222222222 (mixed): access-analyzer:ListAnalyzers in x: AccessDenied; "
        "3 ERROR findings in all (see its report)"
    ) in lines
