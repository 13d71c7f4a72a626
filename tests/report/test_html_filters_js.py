"""The HTML report's inline filter script, run under Node against the rendered rows.

A minimal stand-in for the DOM (just what the script touches) is built from the rendered
page, so this checks the real script on the real markup without a browser. Skipped when
Node.js is not installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
from report_samples import Page

from auditor.model import Report
from auditor.report.html_report import render_html

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")

HARNESS = r"""
const spec = JSON.parse(require("fs").readFileSync(0, "utf8"));
const groups = Array.from({length: spec.groups}, () => ({hidden: false}));
const rows = spec.rows.map((r) => ({
  hidden: false,
  dataset: {sev: r.sev, st: r.st, chk: r.chk},
  textContent: r.text,
  closest: (selector) => (selector === "[data-group]" && r.group >= 0 ? groups[r.group] : null),
}));
const handlers = {};
const elements = {sev: {value: ""}, st: {value: ""}, chk: {value: ""}, q: {value: ""}};
const form = {hidden: true, elements, addEventListener: (type, fn) => { handlers[type] = fn; }};
const shown = {textContent: ""};
globalThis.document = {
  addEventListener: () => {},
  getElementById: (id) => ({filters: form, shown: shown}[id] || null),
  querySelectorAll: (selector) => ({"tr.f": rows, "[data-group]": groups}[selector] || []),
};
globalThis.setTimeout = (fn) => { fn(); return 1; };
globalThis.clearTimeout = () => {};
new Function(spec.script)();
const state = () => ({
  form_hidden: form.hidden,
  visible: rows.flatMap((r, i) => (r.hidden ? [] : [i])),
  groups_hidden: groups.map((g) => g.hidden),
  shown: shown.textContent,
});
const out = [state()];
for (const filters of spec.cases) {
  for (const name of Object.keys(elements)) { elements[name].value = filters[name] || ""; }
  let prevented = false;
  handlers[filters.submit ? "submit" : "input"]({preventDefault: () => { prevented = true; }});
  out.push({...state(), prevented});
}
process.stdout.write(JSON.stringify(out));
"""


def _run(report: Report, cases: list[dict[str, Any]]) -> tuple[Page, list[dict[str, Any]]]:
    html = render_html(report).decode("utf-8")
    page = Page(html)
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    assert script is not None
    group_elements = [e for e in page.elements if "data-group" in e.attrs]
    rows = []
    for row in page.rows():
        group = next((a for a in reversed(row.ancestors) if "data-group" in a.attrs), None)
        rows.append(
            {
                "sev": row.attrs["data-sev"],
                "st": row.attrs["data-st"],
                "chk": row.attrs["data-chk"],
                "text": row.full_text(),
                "group": -1 if group is None else group_elements.index(group),
            }
        )
    spec = {"script": script.group(1), "rows": rows, "groups": len(group_elements), "cases": cases}
    assert NODE is not None
    done = subprocess.run(  # noqa: S603 - a fixed harness on our own rendered script
        [NODE, "-e", HARNESS], input=json.dumps(spec), capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    return page, json.loads(done.stdout)


def test_filters(sample_report: Report) -> None:
    cases = [
        {"st": "FAIL"},
        {"sev": "high", "st": "FAIL"},
        {"chk": "KEY-002"},
        {"q": "ALICE"},
        {"q": "break-glass"},
        {"st": "muted"},
        {"q": "nobody-has-this"},
        {"st": "PASS", "submit": True},
        {},
    ]
    page, states = _run(sample_report, cases)
    rows = page.rows()
    total = len(rows)
    summary = sample_report.summary()

    def names(state: dict[str, Any]) -> list[str]:
        return [rows[i].full_text() for i in state["visible"]]

    initial, fail, high_fail, key002, alice, breakglass, muted, nothing, passing, reset = states
    assert initial["form_hidden"] is False  # the script reveals the filters
    assert initial["visible"] == list(range(total))
    assert initial["shown"] == f"{total} of {total} findings shown"

    assert len(fail["visible"]) == summary["FAIL"]
    assert all(rows[i].attrs["data-st"] == "FAIL" for i in fail["visible"])
    # failing, errors, muted sections, then the two PASS groups
    assert fail["groups_hidden"] == [False, True, True, True, True]
    assert fail["shown"] == f"{summary['FAIL']} of {total} findings shown"

    assert len(high_fail["visible"]) == 1 and "dave" in names(high_fail)[0]
    assert len(key002["visible"]) == sum(f.check_id == "KEY-002" for f in sample_report.findings)
    assert len(alice["visible"]) == 2  # case-insensitive, across PASS groups
    assert alice["groups_hidden"] == [True, True, True, False, False]
    assert len(breakglass["visible"]) == 1 and "carol" in names(breakglass)[0]
    assert len(muted["visible"]) == summary["muted"]
    assert nothing["visible"] == [] and all(nothing["groups_hidden"])
    assert len(passing["visible"]) == summary["PASS"] and passing["prevented"] is True
    assert reset["visible"] == list(range(total)) and not any(reset["groups_hidden"])


# Clicks on the page: the script's one click listener gets an event whose target knows the
# link it sits in (if any); each check line's "Why and how to fix" records being opened.
CLICK_HARNESS = r"""
const spec = JSON.parse(require("fs").readFileSync(0, "utf8"));
const why = Object.fromEntries(spec.lines.map((id) => [id, {open: false}]));
const listeners = {};
globalThis.document = {
  addEventListener: (type, fn) => { listeners[type] = fn; },
  getElementById: (id) => (id in why
    ? {querySelector: (selector) => (selector === "details.why" ? why[id] : null)}
    : null),
  querySelectorAll: () => [],
};
new Function(spec.script)();
const out = [];
for (const href of spec.clicks) {
  const link = href === null ? null : {getAttribute: (name) => (name === "href" ? href : null)};
  listeners.click({target: {
    closest: (selector) => (link && selector === "a[href^='#c-']" && href.startsWith("#c-")
      ? link : null),
  }});
  out.push(Object.keys(why).filter((id) => why[id].open));
}
process.stdout.write(JSON.stringify(out));
"""


def test_following_a_check_link_opens_its_explanation(checks_report: Report) -> None:
    html = render_html(checks_report).decode("utf-8")
    page = Page(html)
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    assert script is not None
    lines = [e.attrs["id"] for e in page.all("tr") if "data-check" in e.attrs]
    links = {e.attrs["href"] for e in page.all("a")}
    assert "#c-KEY-002" in links and "c-KEY-002" in lines
    spec = {
        "script": script.group(1),
        "lines": lines,
        "clicks": [None, "#c-NO-SUCH", "#c-KEY-002", "#elsewhere", "#c-ROOT-001"],
    }
    assert NODE is not None
    done = subprocess.run(  # noqa: S603 - a fixed harness on our own rendered script
        [NODE, "-e", CLICK_HARNESS], input=json.dumps(spec), capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    nothing, missing, key002, elsewhere, root001 = json.loads(done.stdout)
    assert nothing == missing == []
    assert key002 == elsewhere == ["c-KEY-002"]
    assert root001 == ["c-ROOT-001", "c-KEY-002"]  # in page order; KEY-002 stays open
