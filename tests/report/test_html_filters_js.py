"""The HTML report's inline script under Node: its page-wide click listener.

A minimal stand-in for the DOM (just what the listener touches) is built from the rendered
page, so this checks the real script's link handling without a browser; the filters, paging
and everything else are tested in real Chromium (``test_html_browser.py``). Skipped when
Node.js is not installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from report_samples import Page

from auditor.model import Report
from auditor.report.html_report import render_html

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")

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
