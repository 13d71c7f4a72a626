"""report.html in a real browser: Debian's Chromium driven by Playwright, from ``file://``.

The page is rendered by the real renderers from an analyzed account (the analysis
benchmark's in-memory snapshot at 300 users: about 6,000 findings, so every group has
more rows than the page writes as HTML, plus muted and ERROR findings) and opened the way
a person opens it. Every test asserts that the page made no request but the file itself,
logged no console error (a CSP violation is one) and threw nothing.

Chromium is Debian's ``/usr/bin/chromium`` (``IAM_AUDITOR_CHROMIUM`` overrides it), never a
browser that Playwright downloads; ``make test`` installs it (``scripts/test-prereqs.sh``).
Without it these tests fail, with a message saying so: they are part of ``make test``, not an
optional extra. One browser
serves the whole module; each test gets a fresh context.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from attack_path_samples import attack_findings, attack_snapshot, with_findings
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from report_samples import HOSTILE, complete_report, hostile_report, sample_report

from auditor.analyze import analyze
from auditor.audit import TOOL
from auditor.checks import all_checks
from auditor.config import Mute, Settings
from auditor.model import Report
from auditor.report import Format, as_bytes, render
from auditor.report.attack_paths import attack_paths_view
from auditor.report.html_report import PAGE_ROWS
from auditor.report.json_read import read_report
from benchmarks.analysis import Shape, build_snapshot

CHROMIUM = "/usr/bin/chromium"
SEVERITIES = ("critical", "high", "medium", "low", "info")


def chromium_path() -> str:
    """Debian's Chromium, or the one ``IAM_AUDITOR_CHROMIUM`` names; fails when missing."""
    wanted = os.environ.get("IAM_AUDITOR_CHROMIUM") or CHROMIUM
    found = wanted if os.access(wanted, os.X_OK) else shutil.which("chromium")
    if not found:
        pytest.fail(
            f"Chromium is not installed at {wanted}: the HTML report's browser tests need "
            "Debian's chromium (`bash scripts/test-prereqs.sh`, which `make test` runs, installs "
            "it) or IAM_AUDITOR_CHROMIUM=/path/to/chromium",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path())
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def account_report() -> Report:
    """A realistic analyzed account: 300 users, 60 roles, some KEY-002 findings muted."""
    snapshot = build_snapshot(Shape(users=300, roles=60, customer_policies=30, groups=6))
    settings = Settings(
        mutes=(Mute("KEY-002", "arn:aws:iam::*:user/user-0001*", "Service accounts; SEC-9"),),
    )
    return analyze(snapshot, settings, all_checks(), tool=TOOL)


@dataclass
class Opened:
    """An open report page and everything it did: requests, console errors, dialogs."""

    page: Page
    url: str
    json: dict[str, Any]
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_quiet(self) -> None:
        """Nothing fetched but the file, nothing logged as an error, no dialog opened."""
        assert self.requests == [self.url]
        assert self.errors == []
        assert self.dialogs == []

    def shown(self) -> str:
        return self.page.inner_text("#shown")

    def visible_rows(self) -> list[dict[str, str]]:
        """Rows a person can see (not hidden, nor inside a hidden or closed group)."""
        rows: list[dict[str, str]] = self.page.eval_on_selector_all(
            "tr.f",
            """rows => rows.filter(r => r.checkVisibility()).map(r => ({
                sev: r.dataset.sev, st: r.dataset.st, chk: r.dataset.chk,
                text: r.textContent}))""",
        )
        return rows

    def filter(self, **values: str) -> None:
        """Set the filter form's fields (sev, st, chk, q); unnamed ones go back to "any".

        Enter submits the form, which filters at once (typing alone waits for a pause).
        """
        for name in ("sev", "st", "chk"):
            self.page.select_option(f"#filters select[name={name}]", values.get(name, ""))
        self.page.fill("#filters input[name=q]", values.get("q", ""))
        self.page.press("#filters input[name=q]", "Enter")

    def open_pass_groups(self) -> None:
        """Open every PASS group and wait for the script to fill them (on "toggle")."""
        self.page.eval_on_selector_all(
            "details.pass",
            """ds => { ds.forEach(d => { d.open = true; });
                return new Promise(r => requestAnimationFrame(() => setTimeout(r))); }""",
        )


OpenReport = Callable[[Report], Opened]


@pytest.fixture(scope="module")
def rendered() -> Callable[[Report], dict[str, bytes]]:
    """``render(report, [JSON, HTML])``, once per report for the whole module."""
    cache: dict[int, tuple[Report, dict[str, bytes]]] = {}

    def render_once(report: Report) -> dict[str, bytes]:
        if id(report) not in cache:
            cache[id(report)] = (report, as_bytes(render(report, [Format.JSON, Format.HTML])))
        return cache[id(report)][1]

    return render_once


@pytest.fixture
def open_report(
    browser: Browser, tmp_path: Path, rendered: Callable[[Report], dict[str, bytes]]
) -> Iterator[OpenReport]:
    contexts: list[BrowserContext] = []

    def opener(report: Report) -> Opened:
        files = rendered(report)
        path = tmp_path / f"report-{len(contexts)}.html"
        path.write_bytes(files["report.html"])
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        # report.json read back as version 1 shaped it: every finding complete, one list.
        opened = Opened(page, path.as_uri(), read_report(json.loads(files["report.json"])))
        # Any request but the file is recorded and refused: the page must work offline.
        context.route(re.compile(r"^(?!file:)"), lambda route: route.abort())
        page.on("request", lambda request: opened.requests.append(request.url))
        page.on("console", lambda m: m.type == "error" and opened.errors.append(m.text))
        page.on("pageerror", lambda exc: opened.errors.append(str(exc)))
        page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
        page.goto(opened.url, wait_until="load")
        page.wait_for_selector("#filters:not([hidden])", timeout=15_000)
        return opened

    yield opener
    for context in contexts:
        context.close()


def _status(finding: dict[str, Any]) -> str:
    return "muted" if finding["muted"] else str(finding["status"])


def _expected(findings: list[dict[str, Any]], **values: str) -> int:
    return sum(
        (not values.get("st") or _status(f) == values["st"])
        and (not values.get("sev") or f["severity"] == values["sev"])
        and (not values.get("chk") or f["check_id"] == values["chk"])
        for f in findings
    )


def test_opens_offline_without_errors(open_report: OpenReport, account_report: Report) -> None:
    opened = open_report(account_report)
    total = len(opened.json["findings"])
    assert total > 5 * PAGE_ROWS
    assert opened.shown() == f"{total} of {total} findings shown"
    # Each open group shows its first page and offers the rest.
    failing = opened.json["summary"]["FAIL"]
    assert failing > PAGE_ROWS
    assert opened.page.locator("#failing tr.f").count() == PAGE_ROWS
    more = opened.page.text_content("#failing [data-more]") or ""
    assert more.startswith(f"Showing {PAGE_ROWS} of {failing}. Show {PAGE_ROWS} more")
    # The charts are drawn: one SVG each, with an accessible name.
    for chart in ("chart-severity", "chart-status", "chart-key-age"):
        svg = opened.page.locator(f"#{chart} svg")
        assert svg.count() == 1
        assert svg.get_attribute("role") == "img"
        assert (svg.get_attribute("aria-label") or "").strip()
        assert svg.locator("rect").count() >= 4
    opened.assert_quiet()


def test_severity_and_status_counts_match_the_json(
    open_report: OpenReport, account_report: Report
) -> None:
    opened = open_report(account_report)
    findings = opened.json["findings"]
    failing = Counter(f["severity"] for f in findings if _status(f) == "FAIL")
    expected = {s: failing[s] for s in SEVERITIES}
    assert sum(expected.values()) == opened.json["summary"]["FAIL"] > 0
    page = opened.page
    table = {s: int(page.inner_text(f"[data-severity-count={s}]")) for s in SEVERITIES}
    chart = {
        s: int(page.text_content(f"#chart-severity [data-chart-count={s}]") or "")
        for s in SEVERITIES
    }
    assert table == chart == expected
    statuses = dict(Counter(_status(f) for f in findings))
    assert statuses == {k: v for k, v in opened.json["summary"].items() if v}
    for status, count in opened.json["summary"].items():
        assert int(page.inner_text(f"[data-status-count={status}]")) == count
        assert int(page.text_content(f"#chart-status [data-chart-count={status}]") or "") == count
    # Key ages: one per active key judged by KEY-002, as its evidence says.
    ages = [
        f["evidence"]["age_days"]
        for f in findings
        if f["check_id"] == "KEY-002" and "age_days" in f["evidence"]
    ]
    drawn = page.eval_on_selector_all(
        "#chart-key-age [data-chart-count]",
        "ns => ns.map(n => [n.dataset.chartCount, +n.textContent])",
    )
    buckets = {"0-30": (0, 30), "31-90": (31, 90), "91-180": (91, 180), "181-365": (181, 365)}
    assert dict(drawn) == {
        **{label: sum(lo <= a <= hi for a in ages) for label, (lo, hi) in buckets.items()},
        ">365": sum(a > 365 for a in ages),
    }
    assert sum(n for _, n in drawn) == len(ages) == 300  # one active key per user
    opened.assert_quiet()


def test_filters_change_what_is_shown(open_report: OpenReport, account_report: Report) -> None:
    opened = open_report(account_report)
    findings = opened.json["findings"]
    total = len(findings)
    page = opened.page

    def failing_rows() -> list[str]:
        rows: list[str] = page.eval_on_selector_all(
            "#failing tr.f", "rs => rs.map(r => r.outerHTML)"
        )
        return rows

    server_rows = failing_rows()
    assert len(server_rows) == PAGE_ROWS

    cases: list[dict[str, str]] = [
        {"st": "FAIL"},
        {"sev": "high", "st": "FAIL"},
        {"chk": "KEY-002"},
        {"st": "muted"},
        {"st": "ERROR"},
        {"sev": "low"},
    ]
    for values in cases:
        opened.filter(**values)
        want = _expected(findings, **values)
        assert want > 0, values
        assert opened.shown() == f"{want} of {total} findings shown", values
        rows = opened.visible_rows()
        assert rows, values
        assert 0 < len(rows) <= min(want, PAGE_ROWS * 3), values
        for row in rows:
            assert values.get("st", row["st"]) == row["st"], (values, row)
            assert values.get("sev", row["sev"]) == row["sev"], (values, row)
            assert values.get("chk", row["chk"]) == row["chk"], (values, row)
        sections = {"FAIL": "failing", "ERROR": "errors", "muted": "muted"}
        if values.get("st") in sections:
            for status, section in sections.items():
                assert page.locator(f"#{section}").is_hidden() == (status != values["st"])
            assert page.locator("details.pass:visible").count() == 0

    # Text search, case-insensitive, in every group (PASS groups included).
    opened.filter(q="USER-00042")
    named = [f for f in findings if f["resource_name"] == "user-00042"]
    shown = int(opened.shown().split()[0])
    assert len(named) <= shown < total
    opened.open_pass_groups()
    rows = opened.visible_rows()
    assert len(rows) == shown
    assert all("user-00042" in row["text"].lower() for row in rows)
    assert {r["st"] for r in rows} >= {"PASS", "FAIL"}

    opened.filter(q="no-such-thing-anywhere")
    assert opened.shown() == f"0 of {total} findings shown"
    assert opened.visible_rows() == []

    # Back to everything: the rows the script renders are the ones the page was written with.
    opened.filter()
    assert opened.shown() == f"{total} of {total} findings shown"
    assert failing_rows() == server_rows
    opened.assert_quiet()


def test_show_more_and_show_all(open_report: OpenReport, account_report: Report) -> None:
    opened = open_report(account_report)
    page = opened.page
    failing = opened.json["summary"]["FAIL"]
    page.click("#failing [data-more] button[data-show=page]")
    assert page.locator("#failing tr.f").count() == 2 * PAGE_ROWS
    page.click("#failing [data-more] button[data-show=all]")
    assert page.locator("#failing tr.f").count() == failing
    assert page.locator("#failing [data-more]").is_hidden()
    # A PASS group is filled when opened, after a filter too.
    opened.filter(chk="KEY-002")
    group = page.locator("details.pass[data-check='KEY-002']")
    passed = _expected(opened.json["findings"], st="PASS", chk="KEY-002")
    group.locator("summary").click()
    expect(group.locator("tr.f")).to_have_count(min(passed, PAGE_ROWS))
    assert {r["chk"] for r in opened.visible_rows()} == {"KEY-002"}
    opened.assert_quiet()


def test_check_link_opens_its_explanation(open_report: OpenReport) -> None:
    opened = open_report(sample_report())
    page = opened.page
    why = page.locator("#c-KEY-002 details.why")
    assert why.evaluate("d => d.open") is False
    page.locator("#failing a[href='#c-KEY-002']").first.click()
    assert why.evaluate("d => d.open") is True
    opened.assert_quiet()


def test_sample_report_filters(open_report: OpenReport) -> None:
    """The hand-made sample: exact rows for each filter, groups hidden when empty."""
    report = sample_report()
    opened = open_report(report)
    page = opened.page
    total = len(report.findings)

    def names() -> list[str]:
        opened.open_pass_groups()
        return [r["text"] for r in opened.visible_rows()]

    def groups_hidden() -> list[bool]:
        hidden: list[bool] = page.eval_on_selector_all(
            "[data-group]", "gs => gs.map(g => g.hidden)"
        )
        return hidden

    assert len(names()) == total
    opened.filter(st="FAIL")
    assert opened.shown() == f"{report.summary()['FAIL']} of {total} findings shown"
    assert groups_hidden() == [False, True, True, True, True]
    opened.filter(sev="high", st="FAIL")
    (dave,) = names()
    assert "dave" in dave and "raised from medium: dave is admin-equivalent" in dave
    opened.filter(q="ALICE")
    assert len(names()) == 2
    assert groups_hidden() == [True, True, True, False, False]
    opened.filter(q="break-glass")
    (carol,) = names()
    assert "carol" in carol and "Muted: Break-glass user; ticket SEC-123" in carol
    opened.filter(st="PASS")
    assert len(names()) == report.summary()["PASS"]
    opened.filter()
    assert not any(groups_hidden())
    opened.assert_quiet()


def test_hostile_strings_stay_text(open_report: OpenReport) -> None:
    opened = open_report(hostile_report())
    page = opened.page
    for payload in HOSTILE:
        opened.filter(q=payload)  # rows re-rendered by the script from the data block
        texts = [r["text"] for r in opened.visible_rows()]
        assert texts and all(payload in t for t in texts), payload
    assert page.locator("img").count() == 0
    assert page.evaluate("document.scripts.length") == 2  # the data block and the page's own
    opened.assert_quiet()


def test_the_interactive_benchmark_measures_a_real_filter(
    browser: Browser, tmp_path: Path, account_report: Report
) -> None:
    """benchmarks/html_interactive.py's measurement, on this module's smaller account."""
    from benchmarks.html_interactive import markdown_table, measure

    path = tmp_path / "report.html"
    path.write_bytes(as_bytes(render(account_report, [Format.HTML]))["report.html"])
    run = measure(browser, path.as_uri())
    high = sum(f.severity.value == "high" for f in account_report.findings)
    assert run.shown == f"{high} of {len(account_report.findings)} findings shown"
    assert 0 < run.dom_content_loaded <= run.interactive
    assert 0 < run.ready <= run.interactive
    assert run.filter_ms == run.interactive - run.ready
    facts = {
        "users": 300, "roles": 60, "findings": 5816, "summary": "PASS 1", "html_mb": 1.0,
        "render_s": 0.5, "chromium": browser.version,
    }  # fmt: skip
    table = markdown_table([run, run], facts).splitlines()
    assert table[-1].startswith(f"| **median** | {run.dom_content_loaded:.0f} |")
    assert len(table) == 2 + 2 + 2 + 1  # caption, blank, head, rule, two runs, median


def test_attack_paths_are_drawn(open_report: OpenReport) -> None:
    """The attack-path drawing: the small sample exactly, then a grouped 300-user account."""
    small = with_findings(complete_report(), attack_findings(attack_snapshot()))
    large = with_findings(
        complete_report(),
        attack_findings(build_snapshot(Shape(users=300, roles=60, customer_policies=30, groups=6))),
    )
    for report, nodes, edges in ((small, 10, 9), (large, None, None)):
        view = attack_paths_view(report)
        assert view is not None and view.paths
        opened = open_report(report)
        page = opened.page
        svg = page.locator("#attack-graph svg")
        assert svg.count() == 1
        assert svg.get_attribute("role") == "img"
        drawn_nodes = svg.locator("g.ap-node").count()
        drawn_edges = svg.locator("g.ap-edge").count()
        assert (drawn_nodes, drawn_edges) == (len(view.nodes), len(view.edges))
        if nodes is not None:
            assert (drawn_nodes, drawn_edges) == (nodes, edges)
            assert svg.locator("g.ap-edge.unsure").count() == 1
        else:
            assert view.groups, "300 users should group some principals"
            assert page.locator("#attack-groups tr[data-node]").count() == len(view.groups)
        # Laid out as computed: the boxes are visible and none overlaps another.
        boxes = page.eval_on_selector_all(
            "#attack-graph g.ap-node rect",
            "rs => rs.map(r => { const b = r.getBoundingClientRect();"
            " return [b.x, b.y, b.width, b.height]; })",
        )
        assert all(w > 0 and h > 0 for _, _, w, h in boxes)
        for i, (x, y, w, h) in enumerate(boxes):
            for x2, y2, w2, h2 in boxes[i + 1 :]:
                assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y
        assert page.locator("#attack-table tr.path").count() == min(view.paths, 100)
        assert page.locator("nav a[href='#attack-paths']").count() == 1
        opened.assert_quiet()
