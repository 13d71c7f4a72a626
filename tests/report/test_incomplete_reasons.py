"""Why an audit is incomplete, as report.html's banner and ``check_errors`` tell it.

The banner used to list only the report's gaps (failed calls), so an audit incomplete for
another reason - ROOT-004 / ROOT-005 without a ``<root_account>`` row, a row or policy that
could not be read - showed an "Audit incomplete" banner naming nothing. Such checks are now
listed under the gaps with their detail (or a count of resources), escaped like every
other string of the account.
"""

from __future__ import annotations

from report_samples import HOSTILE, PWD_GAP, ROOT_ARN, Page, make_finding, make_report

from auditor.model import Finding, Report, ResourceType, Status
from auditor.report.common import check_errors
from auditor.report.html_report import render_html

MISSING_ROW = "The credential report has no <root_account> row, so whether ... cannot be judged."


def root_error(check_id: str) -> Finding:
    return make_finding(
        check_id,
        Status.ERROR,
        resource_name="root",
        resource_arn=ROOT_ARN,
        resource_type=ResourceType.ACCOUNT,
        detail=f"{check_id}: {MISSING_ROW}",
        # The check names the call its data came from, but no such call failed.
        evidence={"operation": "iam:GetCredentialReport"},
    )


def gap_error() -> Finding:
    return make_finding(
        "PWD-001",
        Status.ERROR,
        resource_name="123456789012",
        resource_arn=ROOT_ARN,
        resource_type=ResourceType.ACCOUNT,
        detail="Could not evaluate: iam:GetAccountPasswordPolicy failed with AccessDenied",
        evidence={"operation": PWD_GAP.operation, "error": PWD_GAP.error},
    )


def user_errors(*names: str) -> list[Finding]:
    return [
        make_finding("USER-001", Status.ERROR, resource_name=n, detail=f"{n}'s row: no")
        for n in names
    ]


def banner_rows(report: Report, cls: str = "check-error") -> list[str]:
    """The text of each ``cls`` row of the incomplete banner."""
    page = Page(render_html(report).decode("utf-8"))
    banner = page.by_id("incomplete")
    assert banner is not None
    return [row.full_text() for row in page.all("tr", cls) if banner in row.ancestors]


def test_check_errors_leave_out_what_a_gap_explains() -> None:
    report = make_report(
        [gap_error(), root_error("ROOT-004"), *user_errors("bob", "carol"), make_finding()],
        gaps=[PWD_GAP],
    )

    errors = check_errors(report)

    assert [(e.check_id, len(e.findings)) for e in errors] == [("ROOT-004", 1), ("USER-001", 2)]
    assert errors[0].reason() == f"ROOT-004: {MISSING_ROW}"
    assert errors[1].reason() == "2 resources could not be judged (bob, carol)"


def test_banner_lists_checks_that_errored_without_a_gap() -> None:
    report = make_report([root_error("ROOT-004"), root_error("ROOT-005"), make_finding()])
    assert not report.complete and report.gaps == ()

    rows = banner_rows(report)

    assert rows == [
        f"ROOT-004Title of ROOT-004ROOT-004: {MISSING_ROW}",
        f"ROOT-005Title of ROOT-005ROOT-005: {MISSING_ROW}",
    ]


def test_banner_keeps_gaps_and_adds_the_other_checks() -> None:
    report = make_report([gap_error(), *user_errors("bob")], gaps=[PWD_GAP])

    assert [PWD_GAP.operation in row for row in banner_rows(report, "gap")] == [True]
    assert banner_rows(report) == ["USER-001Title of USER-001bob's row: no"]


def test_banner_reason_is_escaped() -> None:
    evil = HOSTILE[0]
    report = make_report(user_errors(evil))

    html = render_html(report).decode("utf-8")

    assert banner_rows(report) == [f"USER-001Title of USER-001{evil}'s row: no"]
    assert evil not in html
