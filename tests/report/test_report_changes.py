"""A report compared with a baseline: report.json's ``changes`` and the HTML "Since last run".

The ``ReportDiff`` is built by hand here (not by ``auditor.diff``), so these tests pin what
the renderers make of one: every field in the JSON, every row and count in the HTML, and
hostile names staying inert in both.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from report_samples import HOSTILE, Element, MakeReport, Page

from auditor.model import FindingChange, Report, ReportDiff, Score, Severity, Status
from auditor.report.html_report import render_html
from auditor.report.json_report import render_json

ARN = "arn:aws:iam::123456789012:user/"
BASELINE_AT = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)


def change(
    name: str,
    check: str = "KEY-002",
    severity: Severity = Severity.MEDIUM,
    *,
    before: tuple[Status | None, bool] = (Status.FAIL, False),
    after: tuple[Status | None, bool] = (Status.FAIL, False),
    title: str | None = None,
) -> FindingChange:
    return FindingChange(
        finding_id=f"id-{check}-{name}",
        check_id=check,
        severity=severity,
        resource_arn=ARN + name,
        resource_name=name,
        title=title or f"Title of {check}",
        status_before=before[0],
        muted_before=before[1],
        status_after=after[0],
        muted_after=after[1],
    )


NEW = (
    change("carol", "USER-001", Severity.HIGH, before=(Status.FAIL, True)),
    change("zed", "USER-003", before=(None, False)),
)
RESOLVED = (
    change("open-role", "ROLE-001", Severity.CRITICAL, after=(None, False)),
    change("bob", after=(Status.PASS, False)),
    change("erin", "USER-002", Severity.LOW, after=(Status.FAIL, True)),
)
STILL_OPEN = (change("dave", severity=Severity.HIGH),)
UNVERIFIED = (change("frank", "PWD-001", after=(Status.ERROR, False)),)


def sample_diff(**overrides: object) -> ReportDiff:
    fields: dict[str, object] = {
        "account_id": "123456789012",
        "baseline_generated_at": BASELINE_AT,
        "generated_at": datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        "baseline_tool_version": "9.8.6",
        "score_before": Score(61.25, "D"),
        "score_after": Score(72.5, "C"),
        "new": NEW,
        "resolved": RESOLVED,
        "still_open": STILL_OPEN,
        "unverified": UNVERIFIED,
    }
    fields.update(overrides)
    return ReportDiff(**fields)  # type: ignore[arg-type]


def with_changes(report: Report, diff: ReportDiff | None = None) -> Report:
    return replace(report, changes=diff or sample_diff())


# --- report.json ---------------------------------------------------------------------------


def test_json_changes_object(complete_report: Report) -> None:
    data = json.loads(render_json(with_changes(complete_report)))
    changes = data["changes"]

    assert changes["baseline"] == {
        "account_id": "123456789012",
        "generated_at": "2026-11-16T10:00:00Z",
        "tool_version": "9.8.6",
    }
    assert changes["score"] == {
        "before": {"value": 61.25, "grade": "D"},
        "after": {"value": 72.5, "grade": "C"},
        "change": 11.2,  # 11.25 rounded half to even, as Python's round does
    }
    assert changes["counts"] == {"new": 2, "resolved": 3, "still_open": 1, "unverified": 1}
    assert changes["by_severity"]["resolved"] == {
        "critical": 1,
        "high": 0,
        "medium": 1,
        "low": 1,
        "info": 0,
    }
    assert changes["by_severity"]["new"]["high"] == 1
    assert changes["by_severity"]["still_open"] == {
        "critical": 0,
        "high": 1,
        "medium": 0,
        "low": 0,
        "info": 0,
    }
    assert [c["finding_id"] for c in changes["new"]] == [c.finding_id for c in NEW]
    assert [c["finding_id"] for c in changes["resolved"]] == [c.finding_id for c in RESOLVED]
    assert changes["new"][0] == {
        "finding_id": "id-USER-001-carol",
        "check_id": "USER-001",
        "severity": "high",
        "resource_arn": ARN + "carol",
        "resource_name": "carol",
        "title": "Title of USER-001",
        "status_before": "FAIL",
        "muted_before": True,
        "status_after": "FAIL",
        "muted_after": False,
    }
    assert changes["new"][1]["status_before"] is None
    assert changes["resolved"][0]["status_after"] is None
    assert [c["status_after"] for c in changes["resolved"][1:]] == ["PASS", "FAIL"]
    assert [(c["resource_name"], c["status_after"]) for c in changes["unverified"]] == [
        ("frank", "ERROR")
    ]
    assert changes["resolved"][2]["muted_after"] is True
    assert [c["resource_name"] for c in changes["still_open"]] == ["dave"]


def test_json_changes_sit_between_notes_and_checks_one_finding_a_line(
    checks_report: Report,
) -> None:
    text = render_json(with_changes(checks_report)).decode("utf-8")
    data = json.loads(text)
    keys = list(data)
    assert keys.index("changes") == keys.index("notes") + 1
    assert keys[-2:] == ["checks", "findings"]
    lines = text.splitlines()
    for entry in (*NEW, *RESOLVED, *STILL_OPEN):
        (line,) = [ln for ln in lines if f'"finding_id":"{entry.finding_id}"' in ln]
        assert json.loads(line.strip().rstrip(","))["resource_name"] == entry.resource_name
    # The rest of the report is what it was without a baseline.
    without = json.loads(render_json(checks_report))
    assert {k: v for k, v in data.items() if k != "changes"} == without


def test_json_without_changes_has_no_changes_key_and_empty_lists_stay_lists(
    complete_report: Report,
) -> None:
    assert "changes" not in json.loads(render_json(complete_report))
    empty = sample_diff(new=(), resolved=(), still_open=(), unverified=())
    changes = json.loads(render_json(with_changes(complete_report, empty)))["changes"]
    lists = ("new", "resolved", "still_open", "unverified")
    assert [changes[name] for name in lists] == [[], [], [], []]
    assert changes["counts"] == {"new": 0, "resolved": 0, "still_open": 0, "unverified": 0}


@pytest.mark.parametrize("payload", HOSTILE)
def test_json_hostile_names_stay_data(complete_report: Report, payload: str) -> None:
    diff = sample_diff(new=(change(payload, title=payload),), baseline_tool_version=payload)
    changes = json.loads(render_json(with_changes(complete_report, diff)))["changes"]
    assert changes["new"][0]["resource_name"] == payload
    assert changes["new"][0]["title"] == payload
    assert changes["baseline"]["tool_version"] == payload


# --- report.html ---------------------------------------------------------------------------


def _section(page: Page) -> Element:
    section = page.by_id("since-last-run")
    assert section is not None
    return section


def _inside(page: Page, section: Element, tag: str, cls: str | None = None) -> list[Element]:
    return [e for e in page.all(tag, cls) if section in e.ancestors]


def test_html_section_only_with_a_baseline(complete_report: Report) -> None:
    plain = Page(render_html(complete_report).decode("utf-8"))
    assert plain.by_id("since-last-run") is None
    page = Page(render_html(with_changes(complete_report)).decode("utf-8"))
    assert page.stack == []
    section = _section(page)
    assert "Since last run" in section.full_text()
    assert "2026-11-16T10:00:00Z" in section.full_text()
    assert "9.8.6" in section.full_text()
    # Right after the overview, and the finding rows the filters work on are untouched.
    ids = [e.attrs.get("id") for e in page.all("section")]
    assert ids[ids.index("overview") + 1] == "since-last-run"
    assert len(page.rows()) == len(plain.rows()) == len(complete_report.findings)


def test_html_score_and_counts(complete_report: Report) -> None:
    page = Page(render_html(with_changes(complete_report)).decode("utf-8"))
    section = _section(page)
    cells = _inside(page, section, "td")
    score = {c.attrs["data-score"]: c.full_text() for c in cells if "data-score" in c.attrs}
    assert score == {"before": "61.2", "after": "72.5", "change": "+11.2"}
    grade = {c.attrs["data-grade"]: c.full_text() for c in cells if "data-grade" in c.attrs}
    assert grade == {"before": "D", "after": "C"}
    totals = {
        c.attrs["data-change-total"]: int(c.full_text())
        for c in cells
        if "data-change-total" in c.attrs
    }
    assert totals == {"new": 2, "resolved": 3, "still_open": 1, "unverified": 1}
    per_severity = {
        (c.attrs["data-change-count"], c.attrs["data-change-sev"]): int(c.full_text())
        for c in cells
        if "data-change-count" in c.attrs
    }
    assert len(per_severity) == 4 * len(Severity)
    groups = (
        ("new", NEW),
        ("resolved", RESOLVED),
        ("still_open", STILL_OPEN),
        ("unverified", UNVERIFIED),
    )
    for group, changes in groups:
        for severity in Severity:
            expected = sum(c.severity is severity for c in changes)
            assert per_severity[(group, severity.value)] == expected, (group, severity)


def test_html_new_and_resolved_rows_say_what_they_were_and_are(complete_report: Report) -> None:
    page = Page(render_html(with_changes(complete_report)).decode("utf-8"))
    rows = _inside(page, _section(page), "tr", "chg")
    new = [r for r in rows if r.attrs["data-change"] == "new"]
    resolved = [r for r in rows if r.attrs["data-change"] == "resolved"]
    unverified = [r for r in rows if r.attrs["data-change"] == "unverified"]
    assert [r.attrs["data-finding-id"] for r in new] == [c.finding_id for c in NEW]
    assert [r.attrs["data-finding-id"] for r in resolved] == [c.finding_id for c in RESOLVED]
    assert [r.attrs["data-finding-id"] for r in unverified] == [c.finding_id for c in UNVERIFIED]
    # Still-open findings are only counted.
    assert len(rows) == len(NEW) + len(RESOLVED) + len(UNVERIFIED)

    def state(row: Element) -> str:
        cells = [e for e in page.all("td") if row in e.ancestors]
        return cells[-1].full_text()

    assert [state(r) for r in new] == ["muted", "not in the baseline"]
    assert [state(r) for r in resolved] == [
        "gone from the report",
        "PASS",
        "muted",
    ]
    assert [state(r) for r in unverified] == ["ERROR"]
    severities = [
        e.full_text() for e in page.all("span", "sev") if any(r in e.ancestors for r in new)
    ]
    assert severities == ["high", "medium"]
    assert "carol" in new[0].full_text() and ARN + "carol" in new[0].full_text()


def test_html_empty_changes_say_so(complete_report: Report) -> None:
    diff = sample_diff(new=(), resolved=(), still_open=())
    page = Page(render_html(with_changes(complete_report, diff)).decode("utf-8"))
    text = _section(page).full_text()
    assert "Nothing newly failing." in text
    assert "Nothing resolved." in text
    assert "Still open: 0 findings" in text


@pytest.mark.parametrize("payload", HOSTILE)
def test_html_hostile_names_stay_text(make_report: MakeReport, payload: str) -> None:
    hostile = change(payload, title=payload)
    diff = sample_diff(
        account_id=payload, baseline_tool_version=payload, new=(hostile,), resolved=(hostile,)
    )
    report = with_changes(make_report([]), diff)
    html = render_html(report).decode("utf-8")
    page = Page(html)
    section = _section(page)
    allowed = {"section", "h2", "h3", "p", "table", "thead", "tbody", "tr", "th", "td"}
    allowed |= {"span", "small", "a"}
    assert {e.tag for e in page.elements if section in e.ancestors} <= allowed
    assert section.full_text().count(payload) >= 5
    assert "<script>alert" not in html
    assert "49" not in section.full_text()  # {{7*7}} was not evaluated
