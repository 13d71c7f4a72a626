"""report.html: escaped, self-contained, faithful counts, and found from any directory."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib.resources
import json
import re
import shutil
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from report_samples import (
    HOSTILE,
    Element,
    MakeFinding,
    MakeReport,
    Page,
    hostile_finding,
    hostile_meta,
    make_meta,
)

from auditor.model import Report, Severity, Status
from auditor.report import html_report
from auditor.report.common import ordered_findings
from auditor.report.html_report import PAGE_ROWS, render_html, template_dir

# Every element the template writes; a value that smuggled in markup would add another.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "nav", "h1", "h2", "dl", "dt",
    "dd",
    "main", "section", "p", "ul", "li", "div", "span", "table", "thead", "tbody", "tr", "th",
    "td", "small", "code", "pre", "a", "form", "label", "select", "option", "input", "output",
    "details", "summary", "footer", "script",
    # the overview's inline SVG charts
    "figure", "figcaption", "svg", "rect", "text", "line",
    # the attack-path drawing and its cut
    "g", "defs", "marker", "path", "strong",
}  # fmt: skip


def _scripts(page: Page) -> list[Element]:
    """The page's executable scripts: every <script> but the JSON data block."""
    scripts = page.all("script")
    data = [e for e in scripts if e.attrs.get("type") == "application/octet-stream"]
    assert [e.attrs.get("id") for e in data] == ["findings-data"]
    return [e for e in scripts if e not in data]


def _html(report: Report) -> str:
    return render_html(report).decode("utf-8")


def test_well_formed_and_every_finding_has_one_row(sample_report: Report) -> None:
    page = Page(_html(sample_report))
    assert page.stack == []
    assert len(page.rows()) == len(sample_report.findings)


def test_header_shows_account_times_tool_and_notes(sample_report: Report) -> None:
    page = Page(_html(sample_report))
    header = page.all("header")[0].full_text()
    for text in ("123456789012", "aws", "2026-11-23T10:00:00Z", "2026-11-23T09:58:12Z", "9.8.7"):
        assert text in header
    notes = page.by_id("notes")
    assert notes is not None
    assert sample_report.notes[0] in notes.full_text()
    score = page.by_id("score")
    grade = page.by_id("grade")
    assert score is not None and grade is not None
    assert (score.full_text(), grade.full_text()) == ("72.5", "C")


def test_missing_credential_report_time_is_said(make_report: MakeReport) -> None:
    page = Page(_html(make_report([], credential_report_generated_at=None)))
    assert "Credential reportnot available" in page.all("header")[0].full_text()
    assert page.by_id("notes") is None


def test_counts_match_summary(sample_report: Report) -> None:
    page = Page(_html(sample_report))
    shown = {
        e.attrs["data-status-count"]: int(e.full_text())
        for e in page.elements
        if "data-status-count" in e.attrs
    }
    assert shown == sample_report.summary()
    by_state = Counter(r.attrs["data-st"] for r in page.rows())
    summary = sample_report.summary()
    assert by_state == Counter({s: n for s, n in summary.items() if n})
    failing = Counter(
        f.severity.value for f in sample_report.findings if f.status is Status.FAIL and not f.muted
    )
    severity_counts = {
        e.attrs["data-severity-count"]: int(e.full_text())
        for e in page.elements
        if "data-severity-count" in e.attrs
    }
    assert severity_counts == {s.value: failing[s.value] for s in Severity}
    assert severity_counts["critical"] == 2


def test_per_check_table(sample_report: Report) -> None:
    page = Page(_html(sample_report))
    lines = {e.attrs["data-check"]: e for e in page.all("tr") if "data-check" in e.attrs}
    assert sorted(lines) == sorted({f.check_id for f in sample_report.findings})
    for check_id, line in lines.items():
        counts = {
            e.attrs["data-n"]: int(e.full_text())
            for e in page.elements
            if line in e.ancestors and "data-n" in e.attrs
        }
        mine = [f for f in sample_report.findings if f.check_id == check_id]
        assert counts == {
            "PASS": sum(f.status is Status.PASS and not f.muted for f in mine),
            "FAIL": sum(f.status is Status.FAIL and not f.muted for f in mine),
            "ERROR": sum(f.status is Status.ERROR and not f.muted for f in mine),
            "muted": sum(f.muted for f in mine),
        }, check_id
        assert mine[0].title in line.full_text()
        assert mine[0].remediation in line.full_text()
    assert lines["KEY-002"].attrs["id"] == "c-KEY-002"


def test_rows_in_report_order_with_sections(sample_report: Report) -> None:
    page = Page(_html(sample_report))
    rows = page.rows()
    expected = ordered_findings(sample_report.findings)
    # The PASS groups are per check, so compare everything before them exactly.
    head = [r for r in rows if r.attrs["data-st"] != "PASS"]
    assert [(r.attrs["data-st"], r.attrs["data-sev"], r.attrs["data-chk"]) for r in head] == [
        ("muted" if f.muted else f.status.value, f.severity.value, f.check_id)
        for f in expected
        if f.muted or f.status is not Status.PASS
    ]
    for row in head:
        section = next(a for a in row.ancestors if a.tag == "section")
        assert (
            section.attrs["id"]
            == {"FAIL": "failing", "ERROR": "errors", "muted": "muted"}[row.attrs["data-st"]]
        )
    dave = next(r for r in rows if "dave" in r.full_text())
    assert "raised from medium: dave is admin-equivalent (PERM-002)" in dave.full_text()
    bob = next(r for r in rows if "bob" in r.full_text())
    assert "key: 1; age_days: 120" in bob.full_text()


def test_pass_findings_collapsed_per_check(sample_report: Report) -> None:
    page = Page(_html(sample_report))
    passing = [r for r in page.rows() if r.attrs["data-st"] == "PASS"]
    assert len(passing) == sample_report.summary()["PASS"] == 2
    for row in passing:
        details = [a for a in row.ancestors if a.tag == "details"]
        assert len(details) == 1
        assert "open" not in details[0].attrs
        assert details[0].attrs["data-check"] == row.attrs["data-chk"]
    groups = page.all("details", "pass")
    assert [g.attrs["data-check"] for g in groups] == ["KEY-002", "USER-001"]


def test_muted_findings_marked_with_reason(sample_report: Report) -> None:
    page = Page(_html(sample_report))
    muted = [r for r in page.rows() if r.attrs["data-st"] == "muted"]
    reasons = {f.mute_reason for f in sample_report.findings if f.muted}
    assert len(muted) == len(reasons) == 2
    for row in muted:
        assert "muted" in row.classes
        text = row.full_text()
        assert "Muted:" in text
        assert sum(reason in text for reason in reasons if reason) == 1


def test_incomplete_banner_lists_gaps(sample_report: Report) -> None:
    page = Page(_html(sample_report))
    banner = page.by_id("incomplete")
    assert banner is not None
    text = banner.full_text()
    assert "Audit incomplete" in text
    for expected in ("iam:GetAccountPasswordPolicy", "AccessDenied", "PWD-001", "not authorized"):
        assert expected in text


def test_no_banner_when_complete(complete_report: Report) -> None:
    assert complete_report.complete
    html = _html(complete_report)
    assert Page(html).by_id("incomplete") is None
    assert "Audit incomplete" not in html


def test_hostile_strings_are_escaped(hostile_report: Report) -> None:
    html = _html(hostile_report)
    assert "<script>alert" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "{{7*7}}" in html  # shown as typed, never evaluated
    page = Page(html)
    assert {e.tag for e in page.elements} <= ALLOWED_TAGS
    assert len(_scripts(page)) == 1
    for payload in HOSTILE:
        assert any(payload in r.full_text() for r in page.rows()), payload


def test_no_external_resources(hostile_report: Report, complete_report: Report) -> None:
    for report in (hostile_report, complete_report):
        html = _html(report)
        lowered = html.lower()
        for bad in ("<script src", 'href="http', 'src="http', "url(http", "<link", "@import"):
            assert bad not in lowered
        page = Page(html)
        for element in page.elements:
            for name in ("href", "src", "action", "formaction"):
                value = element.attrs.get(name)
                assert value is None or value.startswith("#"), (element.tag, name, value)
    # No URL at all in a report whose data holds none: nothing to follow, nothing to load.
    assert not re.search(r"(?i)\b(https?|ftp|wss?):|[\"'(=]//", _html(complete_report))


def test_csp_allows_exactly_the_inline_script_and_style(sample_report: Report) -> None:
    html = _html(sample_report)
    page = Page(html)
    csp = next(
        e.attrs["content"] or ""
        for e in page.all("meta")
        if e.attrs.get("http-equiv") == "Content-Security-Policy"
    )
    assert "default-src 'none'" in csp
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert script and style
    for directive, body in (("script-src", script.group(1)), ("style-src", style.group(1))):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp


def test_filters_hidden_until_script_runs(sample_report: Report) -> None:
    page = Page(_html(sample_report))
    form = page.by_id("filters")
    assert form is not None and "hidden" in form.attrs
    checks = [o.full_text() for o in page.all("option") if form in o.ancestors]
    for check_id in {f.check_id for f in sample_report.findings}:
        assert check_id in checks


def test_remediation_shown_once_in_the_check_table_not_per_finding(
    make_report: MakeReport, make_finding: MakeFinding
) -> None:
    report = make_report(
        [
            make_finding(resource_name="u1", remediation="Rotate the key."),
            make_finding(resource_name="u2", remediation="Rotate the key."),
        ]
    )
    page = Page(_html(report))
    rows = {
        name: next(r.full_text() for r in page.rows() if f"user/{name}" in r.full_text())
        for name in ("u1", "u2")
    }
    assert "Rotate the key." not in rows["u1"]
    assert "Rotate the key." not in rows["u2"]
    assert _html(report).count("Rotate the key.") == 1  # once, in the check table


def test_templates_never_disable_escaping() -> None:
    for path in template_dir().glob("*.j2"):
        text = path.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", ""), path
        assert "autoescape" not in text, path
        assert "Markup" not in text, path


def test_markup_stays_lean_per_finding(make_report: MakeReport, make_finding: MakeFinding) -> None:
    def size(n: int) -> int:
        findings = [make_finding("KEY-002", resource_name=f"user-{i:05d}") for i in range(n)]
        findings += [
            make_finding("KEY-001", Status.PASS, resource_name=f"user-{i:05d}") for i in range(n)
        ]
        return len(render_html(make_report(findings)))

    per_pair = (size(400) - size(200)) / 200
    # One FAIL and one PASS row with name, ARN and detail measured about 470 bytes.
    assert per_pair < 600, per_pair


def test_template_dir_found_from_another_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_report: Report
) -> None:
    monkeypatch.chdir(tmp_path)
    found = template_dir()
    assert found.is_absolute()
    assert (found / "report.html.j2").is_file()
    html_report.environment.cache_clear()
    try:
        assert b"IAM audit of account 123456789012" in render_html(sample_report)
    finally:
        html_report.environment.cache_clear()


def test_template_dir_from_a_fresh_process_elsewhere(tmp_path: Path) -> None:
    code = (
        "from auditor.report.html_report import template_dir;"
        "print(template_dir() / 'report.html.j2')"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert Path(out.stdout.strip()).is_file()


def test_packaged_templates_win_over_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packaged = tmp_path / "auditor"
    shutil.copytree(template_dir(), packaged / "templates")
    monkeypatch.setattr(importlib.resources, "files", lambda _package: packaged)
    assert template_dir() == packaged / "templates"


def test_checkout_templates_when_not_packaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.resources, "files", lambda _package: tmp_path)
    import auditor

    expected = Path(auditor.__file__).resolve().parent.parent / "reports" / "templates"
    assert template_dir() == expected


def test_missing_templates_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor

    monkeypatch.setattr(importlib.resources, "files", lambda _package: tmp_path)
    monkeypatch.setattr(auditor, "__file__", str(tmp_path / "a" / "auditor" / "__init__.py"))
    with pytest.raises(FileNotFoundError, match="report templates are missing"):
        template_dir()


# --- check metadata: every check run, explained once -------------------------------------


def _check_lines(page: Page) -> dict[str, Element]:
    return {e.attrs["data-check"] or "": e for e in page.all("tr") if "data-check" in e.attrs}


def _why(line: Element, page: Page) -> Element:
    (details,) = [e for e in page.all("details", "why") if line in e.ancestors]
    return details


def _inside(page: Page, outer: Element, tag: str) -> list[Element]:
    return [e for e in page.elements if e.tag == tag and outer in e.ancestors]


def test_every_check_run_has_a_line_in_catalog_order(checks_report: Report) -> None:
    page = Page(_html(checks_report))
    assert list(_check_lines(page)) == [m.id for m in checks_report.checks]
    assert page.by_id("checks") is not None
    heading = next(e for e in page.all("h2") if page.by_id("checks") in e.ancestors)
    assert heading.full_text() == f"Checks ({len(checks_report.checks)})"
    # The PASS groups and the filter's check list follow the same order.
    order = [m.id for m in checks_report.checks]
    groups = [g.attrs["data-check"] or "" for g in page.all("details", "pass")]
    assert groups == sorted(groups, key=order.index) == ["USER-001", "KEY-002"]
    form = page.by_id("filters")
    options = [o.full_text() for o in page.all("option") if form in o.ancestors]
    with_findings = {f.check_id for f in checks_report.findings}
    assert [o for o in options if o in order] == [c for c in order if c in with_findings]


def test_check_without_findings_is_explained(checks_report: Report) -> None:
    page = Page(_html(checks_report))
    meta = next(m for m in checks_report.checks if m.id == "CERT-002")
    assert not any(f.check_id == meta.id for f in checks_report.findings)
    line = _check_lines(page)["CERT-002"]
    assert "No findings" in line.full_text()
    counts = {
        e.attrs["data-n"]: int(e.full_text()) for e in page.elements if line in e.ancestors
        if "data-n" in e.attrs
    }  # fmt: skip
    assert counts == {"PASS": 0, "FAIL": 0, "ERROR": 0, "muted": 0}
    why = _why(line, page)
    assert "open" not in why.attrs
    (summary,) = _inside(page, why, "summary")
    assert summary.full_text() == "Why and how to fix"
    terms = [e.full_text() for e in _inside(page, why, "dt")]
    values = [e.full_text() for e in _inside(page, why, "dd")]
    shown = dict(zip(terms, values, strict=True))
    assert shown["Why it matters"] == meta.rationale
    assert shown["How to fix"] == meta.remediation
    (pre,) = _inside(page, why, "pre")
    (code,) = _inside(page, pre, "code")
    assert code.full_text() == meta.remediation_cli
    assert [li.full_text() for li in _inside(page, why, "li")] == list(meta.references)
    assert _inside(page, why, "a") == []  # references are text, not links
    assert shown["Compliance"] == "not mapped to CIS or AWS FSBP"


def test_check_with_findings_shows_metadata_and_mappings(checks_report: Report) -> None:
    page = Page(_html(checks_report))
    line = _check_lines(page)["KEY-002"]
    assert "No findings" not in line.full_text()
    why = _why(line, page)
    terms = [e.full_text() for e in _inside(page, why, "dt")]
    values = [e.full_text() for e in _inside(page, why, "dd")]
    shown = dict(zip(terms, values, strict=True))
    assert shown["Compliance"] == (
        "CIS AWS Foundations 7.0: 2.12; CIS AWS Foundations 5.0: 1.13; "
        "AWS FSBP (Security Hub): IAM.3"
    )
    assert [li.full_text() for li in _inside(page, why, "li")] == [
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
        "CIS AWS Foundations Benchmark v7.0, 2.12",
    ]
    assert "aws iam fix-key-002 --user-name USER_NAME" in why.full_text()


def test_metadata_appears_once_per_check_however_many_findings(
    make_report: MakeReport, make_finding: MakeFinding
) -> None:
    meta = make_meta("KEY-002", rationale="Old keys leak.", remediation_cli="aws iam rotate-it")
    findings = [make_finding("KEY-002", resource_name=f"u{i}") for i in range(30)]
    findings += [make_finding("KEY-002", Status.PASS, resource_name=f"p{i}") for i in range(30)]
    html = _html(make_report(findings, checks=[meta]))
    for text in ("Old keys leak.", "aws iam rotate-it", meta.references[0]):
        assert html.count(text) == 1, text


def test_references_are_never_links(checks_report: Report) -> None:
    html = _html(checks_report)
    page = Page(html)
    references = [r for m in checks_report.checks for r in m.references if "://" in r]
    assert references
    for reference in references:
        assert reference in html  # shown as text
    for element in page.elements:
        for name in ("href", "src", "action", "formaction", "cite", "data", "poster"):
            value = element.attrs.get(name)
            assert value is None or value.startswith("#"), (element.tag, name, value)
    lowered = html.lower()
    for bad in ("<script src", 'href="http', 'src="http', "url(http", "<link", "@import"):
        assert bad not in lowered


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_check_metadata_is_escaped(make_report: MakeReport, payload: str) -> None:
    html = _html(make_report([hostile_finding(payload)], checks=[hostile_meta(payload)]))
    assert "<script>alert" not in html
    assert "<img" not in html
    page = Page(html)
    assert page.stack == []
    assert {e.tag for e in page.elements} <= ALLOWED_TAGS
    assert len(_scripts(page)) == 1
    line = _check_lines(page)["ROLE-003"]
    why = _why(line, page)
    text = why.full_text()
    assert text.count(payload) >= 5  # rationale, fix, CLI, two references, mappings
    assert payload in line.full_text().split("Why and how to fix")[0]  # the title
    for element in page.elements:
        for name in ("href", "src", "action", "formaction"):
            value = element.attrs.get(name)
            assert value is None or value.startswith("#"), (element.tag, name, value)


def test_check_counts_in_overview(checks_report: Report) -> None:
    page = Page(_html(checks_report))
    counts = {
        e.attrs["data-check-count"]: int(e.full_text())
        for e in page.elements
        if "data-check-count" in e.attrs
    }
    findings = checks_report.findings
    failing = {f.check_id for f in findings if f.status is Status.FAIL and not f.muted}
    erring = {f.check_id for f in findings if f.status is Status.ERROR and not f.muted}
    assert counts == {
        "run": len(checks_report.checks),
        "failing": len(failing),
        "errors": len(erring),
        "empty": len({m.id for m in checks_report.checks} - {f.check_id for f in findings}),
    }
    assert counts["empty"] == 1


def test_findings_of_an_unlisted_check_still_get_a_line(
    make_report: MakeReport, make_finding: MakeFinding
) -> None:
    report = make_report(
        [make_finding("USER-002"), make_finding("AA-001"), make_finding("KEY-002")],
        checks=[make_meta("KEY-002")],
    )
    page = Page(_html(report))
    lines = _check_lines(page)
    assert list(lines) == ["KEY-002", "AA-001", "USER-002"]
    assert "Fix AA-001." in _why(lines["AA-001"], page).full_text()


def test_severity_lowered_by_config_is_not_called_raised(
    make_report: MakeReport, make_finding: MakeFinding
) -> None:
    finding = make_finding(
        severity=Severity.LOW,
        base_severity=Severity.HIGH,
        severity_reason="set to low by [checks.KEY-002] in the configuration",
    )
    (row,) = Page(_html(make_report([finding]))).rows()
    assert "lowered from high: set to low by [checks.KEY-002]" in row.full_text()
    assert "raised" not in row.full_text()


def test_navigation_links_reach_sections_with_their_counts(checks_report: Report) -> None:
    page = Page(_html(checks_report))
    (nav,) = page.all("nav")
    links = [e for e in page.all("a") if nav in e.ancestors]
    summary = checks_report.summary()
    expected = {
        "overview": "Overview",
        "checks": f"Checks ({len(checks_report.checks)})",
        "failing": f"Failing ({summary['FAIL']})",
        "errors": f"Errors ({summary['ERROR']})",
        "muted": f"Muted ({summary['muted']})",
        "passing": f"Passing ({summary['PASS']})",
    }
    assert {(a.attrs["href"] or "")[1:]: a.full_text() for a in links} == expected
    for target in expected:
        section = page.by_id(target)
        assert section is not None and section.tag == "section", target


# --- the data block, pages of rows, charts ------------------------------------------------


DATA_BLOCK = re.compile(
    r'<script type="application/octet-stream" id="findings-data" '
    r'data-encoding="json\+zlib\+base64">([A-Za-z0-9+/=]*)</script>'
)


def _data(html: str) -> dict[str, Any]:
    """The data block, decoded as the page's script does: base64, inflate, JSON."""
    found = DATA_BLOCK.search(html)
    assert found is not None
    parsed: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(found.group(1))))
    assert html_report.decode_data(found.group(1)) == parsed
    return parsed


def test_data_block_holds_every_finding_in_page_order(sample_report: Report) -> None:
    html = _html(sample_report)
    data = _data(html)
    assert data["page"] == PAGE_ROWS
    assert data["sev"] == [s.value for s in Severity]
    assert data["arn"] == "arn:aws:iam::123456789012:"
    sample_report_arns = {
        (f.check_id, f.resource_name): f.resource_arn for f in sample_report.findings
    }
    groups = [key for key, _ in data["groups"]]
    assert groups == ["failing", "errors", "muted", "pass:KEY-002", "pass:USER-001"]
    page = Page(html)
    # The rows the page wrote, in order, are the data's rows (every one: a small report).
    rows = page.rows()
    assert len(data["rows"]) == len(rows) == len(sample_report.findings)
    for item, row in zip(data["rows"], rows, strict=True):
        key, status = data["groups"][item[0]]
        check_id, title = data["checks"][item[2]]
        assert (status, data["sev"][item[1]], check_id) == (
            row.attrs["data-st"],
            row.attrs["data-sev"],
            row.attrs["data-chk"],
        )
        group = next(a for a in reversed(row.ancestors) if "data-group" in a.attrs)
        assert group.attrs["data-group"] == key
        assert title in (group if status == "PASS" else row).full_text()  # PASS: in the summary
        text = row.full_text()
        arn = data["arn"] + item[4] if isinstance(item[4], str) else item[4][0]
        assert arn == sample_report_arns[(check_id, item[3])]
        for value in [item[3], arn, *item[5:]]:
            assert value in text, (value, text)
    carol = next(r for r in data["rows"] if r[3] == "carol")
    assert carol[-2:] == ["FAIL", "Break-glass user; ticket SEC-123"]


@pytest.mark.parametrize("payload", HOSTILE)
def test_data_block_is_inert(make_report: MakeReport, payload: str) -> None:
    report = make_report([hostile_finding(payload), hostile_finding(payload, Status.PASS)])
    html = _html(report)
    assert DATA_BLOCK.search(html) is not None  # base64 only: nothing to escape, nothing to run
    assert html.lower().count("</script") == 2  # the data block and the page's script
    values = [v for row in _data(html)["rows"] for v in row if isinstance(v, str)]
    assert any(payload in v for v in values)


def test_large_groups_write_one_page_and_keep_the_rest_in_the_data(
    make_report: MakeReport, make_finding: MakeFinding
) -> None:
    n = PAGE_ROWS + 7
    findings = [make_finding("KEY-002", resource_name=f"user-{i:04d}") for i in range(n)]
    findings += [
        make_finding("KEY-002", Status.PASS, resource_name=f"ok-{i:04d}") for i in range(n)
    ]
    html = _html(make_report(findings))
    page = Page(html)
    assert len(page.rows()) == PAGE_ROWS + html_report.PASS_PAGE_ROWS
    failing = page.by_id("failing")
    assert failing is not None
    more = [e for e in page.all("p", "more") if failing in e.ancestors]
    assert [e.full_text().split(".")[0] for e in more] == [
        f"Showing the first {PAGE_ROWS} of {n} failing findings"
    ]
    (group,) = page.all("details", "pass")
    summary = next(e for e in page.all("summary") if group in e.ancestors)
    (note,) = [e for e in page.all("p", "more") if group in e.ancestors]
    assert note.full_text().startswith(
        f"Showing the first {html_report.PASS_PAGE_ROWS} of {n} passed."
    )
    assert summary.full_text() == f"KEY-002 Title of KEY-002: {n} passed"
    names = [row[3] for row in _data(html)["rows"]]
    assert names == [f"user-{i:04d}" for i in range(n)] + [f"ok-{i:04d}" for i in range(n)]
    # A small group writes no such note.
    assert Page(_html(make_report(findings[:3]))).all("p", "more") == []


def _chart_counts(page: Page, chart: str) -> dict[str, int]:
    figure = page.by_id(chart)
    assert figure is not None
    return {
        e.attrs["data-chart-count"] or "": int(e.full_text())
        for e in page.elements
        if figure in e.ancestors and "data-chart-count" in e.attrs
    }


def test_charts_show_the_counts(sample_report: Report) -> None:
    page = Page(_html(sample_report))
    failing = Counter(
        f.severity.value for f in sample_report.findings if f.status is Status.FAIL and not f.muted
    )
    assert _chart_counts(page, "chart-severity") == {s.value: failing[s.value] for s in Severity}
    assert _chart_counts(page, "chart-status") == sample_report.summary()
    # KEY-002's evidence: alice 10 days, bob 120; dave's finding carries no age.
    assert _chart_counts(page, "chart-key-age") == {
        "0-30": 1, "31-90": 0, "91-180": 1, "181-365": 0, ">365": 0,
    }  # fmt: skip
    for chart in ("chart-severity", "chart-status", "chart-key-age"):
        figure = page.by_id(chart)
        (svg,) = [e for e in page.all("svg") if figure in e.ancestors]
        assert svg.attrs["role"] == "img"
        label = svg.attrs["aria-label"] or ""
        (title,) = [e for e in page.all("title") if svg in e.ancestors]
        assert title.full_text() == label
        for name, count in _chart_counts(page, chart).items():
            assert f"{name}: {count}" in label


def test_chart_bars_scale_with_counts(make_report: MakeReport, make_finding: MakeFinding) -> None:
    findings = [
        make_finding("KEY-002", severity=Severity.HIGH, resource_name=f"h{i}") for i in range(4)
    ]
    findings.append(make_finding("KEY-002", severity=Severity.LOW, resource_name="l"))
    page = Page(_html(make_report(findings)))
    figure = page.by_id("chart-severity")
    bars = {
        e.attrs["class"]: float(e.attrs["width"] or 0)
        for e in page.all("rect")
        if figure in e.ancestors
    }
    assert bars == {
        "bar b-critical": 0.0,
        "bar b-high": html_report.BAR_LENGTH,
        "bar b-medium": 0.0,
        "bar b-low": html_report.BAR_LENGTH / 4,
        "bar b-info": 0.0,
    }


def test_key_age_buckets_and_colours(make_report: MakeReport, make_finding: MakeFinding) -> None:
    ages = [0, 30, 31, 90, 91, 180, 181, 365, 366, 2000]
    findings = [
        make_finding(
            "KEY-002",
            Status.FAIL if age > 60 else Status.PASS,
            resource_name=f"u{age}",
            evidence={"key": 1, "age_days": age, "limit_days": 60},
        )
        for age in ages
    ]
    findings.append(make_finding("KEY-002", Status.ERROR, resource_name="undated"))
    findings.append(make_finding("KEY-001", evidence={"age_days": 5}))  # not KEY-002: ignored
    chart = html_report.key_age_chart(findings)
    assert [(b.label, b.count, b.colour) for b in chart.bars] == [
        ("0-30", 2, "PASS"),
        ("31-90", 2, "medium"),  # partly past the 60-day limit
        ("91-180", 2, "medium"),
        ("181-365", 2, "high"),
        (">365", 2, "critical"),
    ]
    assert chart.note == "1 active key(s) of unknown age."
    assert "limit 60" in chart.description
    empty = Page(_html(make_report([make_finding("USER-001")])))
    figure = empty.by_id("chart-key-age")
    assert figure is not None and "No active access keys to chart" in figure.full_text()
    assert not [e for e in empty.all("svg") if figure in e.ancestors]


def test_analyzer_reason_is_not_repeated(
    make_report: MakeReport, make_finding: MakeFinding
) -> None:
    finding = make_finding(
        severity=Severity.HIGH,
        base_severity=Severity.MEDIUM,
        severity_reason="raised from medium: erin is admin-equivalent (PERM-002)",
    )
    (row,) = Page(_html(make_report([finding]))).rows()
    assert "raised from medium: erin is admin-equivalent (PERM-002)" in row.full_text()
    assert row.full_text().count("raised from") == 1


def test_the_same_report_renders_the_same_bytes(sample_report: Report) -> None:
    assert render_html(sample_report) == render_html(sample_report)


def test_arns_outside_the_account_are_kept_whole(
    make_report: MakeReport, make_finding: MakeFinding
) -> None:
    inside = "arn:aws:iam::123456789012:user/alice"
    elsewhere = "arn:aws:iam::999988887777:role/vendor"
    odd = "alice"  # not an ARN at all: must not gain a prefix
    report = make_report(
        [
            make_finding(resource_arn=arn, resource_name=f"r{i}")
            for i, arn in enumerate((inside, elsewhere, odd))
        ]
    )
    rows = _data(_html(report))["rows"]
    assert [row[4] for row in rows] == ["user/alice", [elsewhere], [odd]]


# --- streaming ----------------------------------------------------------------------------


def _groups(context: dict[str, Any]) -> list[html_report.Group]:
    """The page's groups of rows, as ``_context`` builds them for the data block."""
    return [
        html_report.Group("failing", Status.FAIL.value, context["failing"]),
        html_report.Group("errors", Status.ERROR.value, context["errors"]),
        html_report.Group("muted", "muted", context["muted"]),
        *(
            html_report.Group(f"pass:{line.id}", Status.PASS.value, line.passing)
            for line in context["pass_groups"]
        ),
    ]


@pytest.mark.parametrize("name", ["demo_report", "sample_report", "hostile_report"])
def test_streamed_page_is_the_page_rendered_whole(
    name: str, request: pytest.FixtureRequest
) -> None:
    """The page as it was made before it streamed: the template rendered at once, every PASS
    row's evidence text made, and the data block encoded from the whole data."""
    report: Report = request.getfixturevalue(name)
    env = html_report.environment()
    context = html_report._context(report)
    for line in context["pass_groups"]:
        line.passing[:] = [
            dataclasses.replace(row, evidence=html_report.evidence_text(row.finding.evidence))
            for row in line.passing
        ]
    context["data"] = html_report.encode_data(
        html_report.finding_data(
            [g for g in _groups(context) if g.rows],
            arn_prefix=f"arn:{report.partition}:iam::{report.account_id}:",
        )
    )
    context["csp"] = html_report.content_security_policy(env)
    whole = env.get_template(html_report.TEMPLATE).render(context).encode("utf-8")
    assert render_html(report) == whole


@pytest.mark.parametrize("name", ["demo_report", "sample_report", "hostile_report"])
def test_data_block_compressed_as_made_is_the_data_compressed_whole(
    name: str, request: pytest.FixtureRequest
) -> None:
    report: Report = request.getfixturevalue(name)
    groups = [g for g in _groups(html_report._context(report)) if g.rows]
    for prefix in ("", f"arn:aws:iam::{report.account_id}:"):
        streamed = html_report.encode_finding_data(groups, prefix)
        assert streamed == html_report.encode_data(html_report.finding_data(groups, prefix))
        assert html_report.decode_data(streamed) == html_report.finding_data(groups, prefix)
    assert html_report.encode_finding_data([]) == html_report.encode_data(
        html_report.finding_data([])
    )
