"""org-summary.{json,csv,html}: parsed back and compared with the OrgReport they render."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from report_samples import HOSTILE, TOOL, Element, Page

from auditor.model import (
    AccountOutcome,
    CheckTally,
    Gap,
    OrgReport,
    Score,
    Severity,
    Source,
    Status,
)
from auditor.report import org_summary
from auditor.report.csv_report import neutralise
from auditor.report.html_report import environment
from auditor.report.org_summary import (
    CSV_COLUMNS,
    ORG_FILENAMES,
    OrgCheckFailures,
    check_failures,
    render_org,
    render_org_csv,
    render_org_html,
    render_org_json,
)

RUNNER = "999999999999"
GENERATED = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
# Every element the summary page writes; a value that smuggled in markup would add another.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "nav", "h1", "h2", "dl", "dt",
    "dd", "main", "section", "p", "span", "table", "thead", "tbody", "tr", "th", "td", "small",
    "a", "footer",
}  # fmt: skip

PWD_GAP = Gap(
    source=Source.PASSWORD_POLICY,
    operation="iam:GetAccountPasswordPolicy",
    error="AccessDenied",
    message="User is not authorized to perform iam:GetAccountPasswordPolicy",
)
AA_GAP = Gap(
    source=Source.ACCESS_ANALYZER,
    operation="access-analyzer:ListAnalyzers",
    error="AccessDenied",
    message="denied",
    region="eu-west-1",
)


def tally(check_id: str, severity: Severity, failed: int, title: str | None = None) -> CheckTally:
    return CheckTally(check_id, title or f"Title of {check_id}", severity, failed)


def audited(
    account_id: str,
    score: float,
    *,
    name: str | None = None,
    complete: bool = True,
    failing: Sequence[CheckTally] = (),
    gaps: Sequence[Gap] = (),
    reports: Sequence[str] | None = None,
    passed: int = 5,
    muted: int = 0,
) -> AccountOutcome:
    fail = sum(t.failed for t in failing)
    errors = 0 if complete else 2
    return AccountOutcome(
        account_id=account_id,
        name=name if name is not None else f"acct-{account_id[-3:]}",
        score=Score(score, "A" if score >= 90 else "C"),
        complete=complete,
        summary={"PASS": passed, "FAIL": fail, "ERROR": errors, "muted": muted},
        gaps=tuple(gaps),
        failing=tuple(failing),
        reports=tuple(
            reports
            if reports is not None
            else [f"out/{account_id}/report.{ext}" for ext in ("json", "csv", "html")]
        ),
    )


def not_audited(account_id: str, error: str, name: str | None = None) -> AccountOutcome:
    return AccountOutcome(account_id, name or f"acct-{account_id[-3:]}", error=error)


def make_org(accounts: Sequence[AccountOutcome], runner: str = RUNNER) -> OrgReport:
    return OrgReport(TOOL, runner, GENERATED, tuple(accounts))


# Deliberately out of order; the expected worst-first order is spelled out in WORST_FIRST.
SAMPLE_ACCOUNTS = (
    audited(
        "111111111111",
        95.0,
        failing=[tally("KEY-002", Severity.MEDIUM, 2), tally("USER-002", Severity.LOW, 1)],
    ),
    not_audited("555555555555", "AccessDenied: cannot assume OrganizationAccountAccessRole"),
    audited(
        "222222222222",
        40.5,
        # Out of severity order: the summaries list the critical one first.
        failing=[
            tally("KEY-002", Severity.HIGH, 3),
            tally("ROOT-001", Severity.CRITICAL, 1),
        ],
        muted=2,
    ),
    audited(
        "333333333333",
        88.0,
        complete=False,
        gaps=[PWD_GAP, AA_GAP],
        failing=[tally("USER-002", Severity.LOW, 4)],
    ),
    not_audited("444444444444", "AccessDenied: sts:AssumeRole"),
    audited("666666666666", 40.5, failing=[tally("ROOT-001", Severity.CRITICAL, 1)]),
    # An int score (as a parsed report.json can give) must still come out as a float.
    audited("777777777777", 100, passed=9, reports=["s3://bucket/p/777777777777/report.html"]),
)
WORST_FIRST = [
    "444444444444",
    "555555555555",
    "333333333333",
    "222222222222",
    "666666666666",
    "111111111111",
    "777777777777",
]


@pytest.fixture
def org() -> OrgReport:
    return make_org(SAMPLE_ACCOUNTS)


def by_id(report: OrgReport) -> dict[str, AccountOutcome]:
    return {a.account_id: a for a in report.accounts}


def parse_json(report: OrgReport) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render_org_json(report).decode("utf-8"))
    return data


def parse_csv(report: OrgReport) -> pd.DataFrame:
    raw = render_org_csv(report)
    return pd.read_csv(
        io.BytesIO(raw), encoding="utf-8-sig", dtype=str, keep_default_na=False, na_filter=False
    )


def parse_html(report: OrgReport) -> Page:
    page = Page(render_org_html(report).decode("utf-8"))
    assert page.stack == []
    return page


def section(page: Page, ident: str) -> Element:
    element = page.by_id(ident)
    assert element is not None, ident
    return element


def within(page: Page, parent: Element, tag: str, cls: str | None = None) -> list[Element]:
    return [e for e in page.all(tag, cls) if parent in e.ancestors]


# --- ordering and aggregation --------------------------------------------------------------


def test_accounts_are_ordered_worst_first(org: OrgReport) -> None:
    assert [a.account_id for a in org_summary.ordered_accounts(org.accounts)] == WORST_FIRST
    assert [a["account_id"] for a in parse_json(org)["accounts"]] == WORST_FIRST
    assert list(parse_csv(org)["account_id"]) == WORST_FIRST
    page = parse_html(org)
    assert [r.attrs["data-account"] for r in page.all("tr", "acct")] == WORST_FIRST


def test_check_failures_aggregate_across_accounts(org: OrgReport) -> None:
    assert check_failures(org) == [
        OrgCheckFailures("ROOT-001", "Title of ROOT-001", Severity.CRITICAL,
                         ("222222222222", "666666666666"), 2),
        # KEY-002 is medium in one account and raised to high in another: the highest wins.
        OrgCheckFailures("KEY-002", "Title of KEY-002", Severity.HIGH,
                         ("111111111111", "222222222222"), 5),
        OrgCheckFailures("USER-002", "Title of USER-002", Severity.LOW,
                         ("111111111111", "333333333333"), 5),
    ]  # fmt: skip


def test_checks_order_by_severity_then_account_count_then_id() -> None:
    report = make_org(
        [
            audited("111111111111", 50, failing=[tally("B-1", Severity.LOW, 9)]),
            audited(
                "222222222222",
                50,
                failing=[
                    tally("C-1", Severity.LOW, 1),
                    tally("A-1", Severity.LOW, 1),
                    tally("Z-1", Severity.HIGH, 1),
                ],
            ),
            audited("333333333333", 50, failing=[tally("C-1", Severity.LOW, 1)]),
        ]
    )
    assert [c.check_id for c in check_failures(report)] == ["Z-1", "C-1", "A-1", "B-1"]
    assert [c["check_id"] for c in parse_json(report)["checks"]] == ["Z-1", "C-1", "A-1", "B-1"]


def test_check_title_comes_from_lowest_account_and_empty_tallies_are_ignored() -> None:
    report = make_org(
        [
            audited("222222222222", 50, failing=[tally("K-1", Severity.LOW, 1, "newer")]),
            audited("111111111111", 50, failing=[tally("K-1", Severity.LOW, 1, "older")]),
            audited("333333333333", 50, failing=[tally("K-1", Severity.CRITICAL, 0)]),
        ]
    )
    (only,) = check_failures(report)
    assert (only.title, only.severity, only.accounts) == (
        "older",
        Severity.LOW,
        ("111111111111", "222222222222"),
    )


# --- JSON ------------------------------------------------------------------------------------


def test_json_header_and_accounts_match_the_org(org: OrgReport) -> None:
    data = parse_json(org)
    assert data["schema_version"] == 1
    assert data["kind"] == "org-summary"
    assert data["tool"] == {"name": TOOL.name, "version": TOOL.version}
    assert data["runner_account_id"] == RUNNER
    assert data["generated_at"] == "2026-11-23T10:00:00Z"
    assert data["complete"] is org.complete is False
    outcomes = by_id(org)
    for entry in data["accounts"]:
        outcome = outcomes[entry["account_id"]]
        assert entry["name"] == outcome.name
        assert entry["audited"] is outcome.audited
        assert entry["error"] == outcome.error
        assert entry["complete"] is outcome.complete
        assert entry["summary"] == dict(outcome.summary)
        assert entry["reports"] == list(outcome.reports)
        assert [(g["operation"], g["error"], g["message"], g["region"], g["source"])
                for g in entry["gaps"]] == [
            (g.operation, g.error, g.message, g.region, g.source.value) for g in outcome.gaps
        ]  # fmt: skip
        assert sorted(
            (f["check_id"], f["title"], Severity(f["severity"]), f["failed"])
            for f in entry["failing"]
        ) == sorted((t.check_id, t.title, t.severity, t.failed) for t in outcome.failing)
        if outcome.score is None:
            assert entry["score"] is None
        else:
            assert entry["score"] == {"value": outcome.score.value, "grade": outcome.score.grade}


def test_json_failing_lists_highest_severity_first(org: OrgReport) -> None:
    entry = next(a for a in parse_json(org)["accounts"] if a["account_id"] == "222222222222")
    assert [f["check_id"] for f in entry["failing"]] == ["ROOT-001", "KEY-002"]


def test_json_checks_and_not_audited_match(org: OrgReport) -> None:
    data = parse_json(org)
    assert data["checks"] == [
        {
            "check_id": c.check_id,
            "title": c.title,
            "severity": c.severity.value,
            "accounts": list(c.accounts),
            "failed": c.failed,
        }
        for c in check_failures(org)
    ]
    outcomes = by_id(org)
    assert [(n["account_id"], n["name"], n["error"]) for n in data["not_audited"]] == [
        (i, outcomes[i].name, outcomes[i].error) for i in ("444444444444", "555555555555")
    ]


def test_json_types_round_trip(org: OrgReport) -> None:
    data = parse_json(org)
    entries = {a["account_id"]: a for a in data["accounts"]}
    missing = entries["555555555555"]
    assert missing["score"] is None
    assert missing["audited"] is False and missing["complete"] is False
    assert missing["error"].startswith("AccessDenied")
    assert missing["summary"] == {} and missing["failing"] == [] and missing["reports"] == []
    perfect = entries["777777777777"]
    # A whole-number score stays a float, so consumers never see int and float mixed.
    assert type(perfect["score"]["value"]) is float and perfect["score"]["value"] == 100.0
    assert perfect["error"] is None and perfect["audited"] is True
    assert all(type(v) is int for v in perfect["summary"].values())
    assert type(data["checks"][0]["failed"]) is int


def test_json_is_utf8_and_ends_with_newline() -> None:
    raw = render_org_json(make_org([audited("111111111111", 80, name="Zürich – prod")]))
    assert raw.endswith(b"}\n")
    assert "Zürich – prod".encode() in raw


# --- CSV -------------------------------------------------------------------------------------


def test_csv_bytes_have_bom_crlf_and_one_row_per_account(org: OrgReport) -> None:
    raw = render_org_csv(org)
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw[3:].split(b"\r\n")
    assert lines[-1] == b""
    assert len(lines) == 1 + len(org.accounts) + 1
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert lines[0].decode() == ",".join(CSV_COLUMNS)


def test_csv_rows_match_the_org(org: OrgReport) -> None:
    frame = parse_csv(org)
    assert tuple(frame.columns) == CSV_COLUMNS
    outcomes = by_id(org)
    for row in frame.to_dict("records"):
        outcome = outcomes[row["account_id"]]
        assert row["name"] == outcome.name
        assert row["audited"] == str(outcome.audited).lower()
        assert row["complete"] == str(outcome.complete).lower()
        assert row["error"] == (outcome.error or "")
        assert row["reports"].split("; ") == list(outcome.reports) or (
            row["reports"] == "" and not outcome.reports
        )
        failing = dict(re.findall(r"([A-Z0-9-]+)\((\d+)\)", row["failing_checks"]))
        assert failing == {t.check_id: str(t.failed) for t in outcome.failing}
        worst = outcome.worst
        assert row["worst_severity"] == ("" if worst is None else worst.value)
        if outcome.score is None:
            blank = ("score", "grade", "PASS", "FAIL", "ERROR", "muted")
            assert [row[c] for c in blank] == [""] * len(blank)
        else:
            assert float(row["score"]) == outcome.score.value
            assert row["grade"] == outcome.score.grade
            for key in ("PASS", "FAIL", "ERROR", "muted"):
                assert int(row[key]) == outcome.summary[key]


def test_csv_failing_checks_are_highest_severity_first(org: OrgReport) -> None:
    frame = parse_csv(org).set_index("account_id")
    assert frame.loc["222222222222", "failing_checks"] == "ROOT-001(1); KEY-002(3)"


# --- HTML ------------------------------------------------------------------------------------


def test_html_header_states_runner_time_tool_and_counts(org: OrgReport) -> None:
    page = parse_html(org)
    header = page.all("header")[0].full_text()
    for text in (RUNNER, "2026-11-23T10:00:00Z", TOOL.version):
        assert text in header
    assert section(page, "status").full_text() == "incomplete"
    assert section(page, "n-audited").full_text() == str(sum(a.audited for a in org.accounts))
    assert section(page, "n-not-audited").full_text() == str(
        sum(not a.audited for a in org.accounts)
    )
    assert page.by_id("incomplete") is not None


def test_html_complete_org_has_no_incomplete_banner() -> None:
    page = parse_html(make_org([audited("111111111111", 90.0)]))
    assert section(page, "status").full_text() == "complete"
    assert page.by_id("incomplete") is None


def test_html_account_rows_show_score_counts_and_worst(org: OrgReport) -> None:
    page = parse_html(org)
    outcomes = by_id(org)
    for row in page.all("tr", "acct"):
        outcome = outcomes[row.attrs["data-account"] or ""]
        cells = [e for e in page.all("td") if e.ancestors[-1] is row]
        assert outcome.name in cells[0].full_text()
        fail = next(c for c in cells if c.attrs.get("data-n") == "FAIL").full_text()
        errors = next(c for c in cells if c.attrs.get("data-n") == "ERROR").full_text()
        if outcome.score is None:
            assert (fail, errors) == ("", "")
            assert "not audited" in row.full_text()
            assert outcome.error is not None and outcome.error in row.full_text()
            continue
        assert float(next(c for c in cells if "score" in c.classes).full_text()) == (
            outcome.score.value
        )
        assert next(c for c in cells if "grade" in c.classes).full_text() == outcome.score.grade
        assert (int(fail), int(errors)) == (outcome.summary["FAIL"], outcome.summary["ERROR"])
        worst = outcome.worst
        if worst is not None:
            assert worst.value in row.full_text()
        for gap in outcome.gaps:
            assert gap.operation in row.full_text()


def test_html_links_local_reports_relatively_and_shows_remote_locations(org: OrgReport) -> None:
    page = parse_html(org)
    links = {
        row.attrs["data-account"]: [a.attrs["href"] for a in within(page, row, "a")]
        for row in page.all("tr", "acct")
    }
    audited_local = [a.account_id for a in org.accounts if a.audited and a.reports[0][:4] == "out/"]
    for account_id in audited_local:
        assert links[account_id] == [f"{account_id}/report.html"]
    assert links["777777777777"] == []
    remote = next(r for r in page.all("tr", "acct") if r.attrs["data-account"] == "777777777777")
    assert "s3://bucket/p/777777777777/report.html" in remote.full_text()
    assert links["555555555555"] == []


@pytest.mark.parametrize(
    ("account_id", "reports", "expected"),
    [
        ("123456789012", ["/tmp/o/123456789012/report.html"], "123456789012/report.html"),
        ("123456789012", ["C:\\o\\123456789012\\report.html"], "123456789012/report.html"),
        ("123456789012", ["/tmp/o/report.html"], None),
        ("123456789012", ["/tmp/o/123456789012/report.json"], None),
        ("123456789012", ["file:///tmp/o/123456789012/report.html"], None),
        ("..", ["/tmp/o/../report.html"], None),
        ("a/b", ["/tmp/o/a/b/report.html"], None),
        ("javascript:x", ["o/javascript:x/report.html"], "javascript%3Ax/report.html"),
    ],
)
def test_report_link_only_for_a_local_report_in_the_accounts_directory(
    account_id: str, reports: list[str], expected: str | None
) -> None:
    outcome = replace(audited("111111111111", 50.0, reports=reports), account_id=account_id)
    assert org_summary.report_link(outcome) == expected


def test_html_not_audited_section_gives_reasons(org: OrgReport) -> None:
    page = parse_html(org)
    rows = within(page, section(page, "not-audited"), "tr", "missing")
    outcomes = by_id(org)
    assert [r.attrs["data-account"] for r in rows] == ["444444444444", "555555555555"]
    for row in rows:
        outcome = outcomes[row.attrs["data-account"] or ""]
        assert outcome.error is not None
        assert outcome.name in row.full_text() and outcome.error in row.full_text()


def test_html_failures_across_the_org_match_check_failures(org: OrgReport) -> None:
    page = parse_html(org)
    rows = within(page, section(page, "checks"), "tr", "chk")
    expected = check_failures(org)
    assert [r.attrs["data-check"] for r in rows] == [c.check_id for c in expected]
    for row, check in zip(rows, expected, strict=True):
        cells = {c.attrs.get("data-n"): c.full_text() for c in within(page, row, "td")}
        assert (int(cells["accounts"]), int(cells["failed"])) == (len(check.accounts), check.failed)
        text = row.full_text()
        assert check.severity.value in text and check.title in text
        assert ", ".join(check.accounts) in text


def test_html_is_self_contained_with_a_hash_csp_and_no_script(org: OrgReport) -> None:
    html = render_org_html(org).decode("utf-8")
    page = Page(html)
    csp = next(
        e.attrs["content"] or ""
        for e in page.all("meta")
        if e.attrs.get("http-equiv") == "Content-Security-Policy"
    )
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "script-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.all("script") == []
    for element in page.elements:
        assert "src" not in element.attrs
        href = element.attrs.get("href")
        if href is not None:
            assert href.startswith("#") or re.fullmatch(r"\d{12}/report\.html", href), href


def test_html_reuses_the_report_stylesheet(org: OrgReport) -> None:
    css = environment().get_template("report.css.j2").render()
    assert f"<style>{css}</style>" in render_org_html(org).decode("utf-8")


# --- hostile strings and the empty organization -----------------------------------------------


def hostile_org() -> OrgReport:
    accounts: list[AccountOutcome] = []
    for index, payload in enumerate(HOSTILE):
        accounts.append(
            audited(
                f"1000000000{index:02d}",
                50.0 + index,
                name=payload,
                failing=[tally(f"HOST-{index}", Severity.HIGH, 1, title=payload)],
                gaps=[Gap(Source.ACCOUNT_SUMMARY, payload, payload, payload, payload)],
                reports=[payload, f"s3://{payload}/report.html"],
                complete=False,
            )
        )
        accounts.append(not_audited(f"2000000000{index:02d}", payload, name=payload))
    return make_org(accounts, runner=HOSTILE[0])


def test_hostile_strings_stay_inert_in_html() -> None:
    report = hostile_org()
    page = parse_html(report)
    assert {e.tag for e in page.elements} <= ALLOWED_TAGS
    assert page.all("script") == []
    for element in page.elements:
        assert not any(name.startswith("on") for name in element.attrs), element.attrs
    text = page.all("html")[0].full_text()
    for payload in HOSTILE:
        assert payload in text


def test_hostile_strings_are_neutralised_in_csv() -> None:
    report = hostile_org()
    frame = parse_csv(report)
    outcomes = by_id(report)
    formula = [p for p in HOSTILE if p.startswith("=")]
    assert formula
    for row in frame.to_dict("records"):
        outcome = outcomes[row["account_id"]]
        assert row["name"] == neutralise(outcome.name)
        assert row["error"] == neutralise(outcome.error or "")
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@")), cell
    names = set(frame["name"])
    for payload in formula:
        assert "'" + payload in names


def test_hostile_strings_round_trip_in_json() -> None:
    report = hostile_org()
    data = parse_json(report)
    assert data["runner_account_id"] == HOSTILE[0]
    outcomes = by_id(report)
    for entry in data["accounts"]:
        outcome = outcomes[entry["account_id"]]
        assert entry["name"] == outcome.name
        assert entry["error"] == outcome.error
        assert [f["title"] for f in entry["failing"]] == [t.title for t in outcome.failing]
        assert entry["reports"] == list(outcome.reports)
    assert sorted(c["title"] for c in data["checks"]) == sorted(HOSTILE)


def test_empty_org_renders_every_file() -> None:
    report = make_org([])
    data = parse_json(report)
    assert (data["accounts"], data["checks"], data["not_audited"]) == ([], [], [])
    assert data["complete"] is True
    frame = parse_csv(report)
    assert tuple(frame.columns) == CSV_COLUMNS and len(frame) == 0
    page = parse_html(report)
    assert page.all("tr", "acct") == []
    assert "No accounts" in section(page, "accounts").full_text()
    assert section(page, "status").full_text() == "complete"
    assert check_failures(report) == []


def test_render_org_returns_the_three_files(org: OrgReport) -> None:
    files = render_org(org)
    assert tuple(files) == ORG_FILENAMES
    assert files["org-summary.json"] == render_org_json(org)
    assert files["org-summary.csv"] == render_org_csv(org)
    assert files["org-summary.html"] == render_org_html(org)


def test_errors_count_is_read_from_summary_not_recomputed() -> None:
    outcome = audited("111111111111", 60.0, complete=False)
    assert outcome.summary[Status.ERROR.value] == 2
    row = parse_csv(make_org([outcome])).iloc[0]
    assert (row["ERROR"], row["complete"]) == ("2", "false")
