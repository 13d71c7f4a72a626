"""HTML benchmark: how long a large account's report.html takes to become interactive.

Renders a 5,000-user account's page with the real renderer and opens it in headless
Chromium through Playwright, timing from the page's own clock up to a first filter click
that has visibly worked; exits 1 over ``--budget``. Details: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

from auditor.analyze import analyze
from auditor.audit import TOOL
from auditor.checks import all_checks
from auditor.config import Settings
from auditor.model import Report
from auditor.report import Format, as_bytes, render
from benchmarks.analysis import Shape, build_snapshot

CHROMIUM = "/usr/bin/chromium"
BUDGET_SECONDS = 2.0
TIMEOUT_MS = 120_000


@dataclass(frozen=True)
class Run:
    """One page load, in ms since the navigation started."""

    dom_content_loaded: float
    first_paint: float
    ready: float
    interactive: float
    shown: str

    @property
    def filter_ms(self) -> float:
        """From ready to the filtered page painted."""
        return self.interactive - self.ready


def build_report(shape: Shape) -> Report:
    """The analyzed account: every check, default settings."""
    return analyze(build_snapshot(shape), Settings(), all_checks(), tool=TOOL)


def measure(browser: Browser, url: str) -> Run:
    """Open ``url`` in a fresh context, wait for the script, filter once; read the clock."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_function("performance.getEntriesByName('iam-auditor-ready').length > 0")
        before = page.inner_text("#shown")
        page.select_option("#filters select[name=sev]", "high")
        page.wait_for_function(
            "before => document.getElementById('shown').textContent !== before", arg=before
        )
        interactive = page.evaluate(
            "new Promise(r => requestAnimationFrame(() => setTimeout(() => r(performance.now()))))"
        )
        timings: dict[str, float] = page.evaluate(
            """() => ({
                dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
                fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime
                     || 0,
                ready: performance.getEntriesByName('iam-auditor-ready')[0].startTime})"""
        )
        return Run(
            dom_content_loaded=timings["dcl"],
            first_paint=timings["fcp"],
            ready=timings["ready"],
            interactive=float(interactive),
            shown=page.inner_text("#shown"),
        )
    finally:
        context.close()


def markdown_table(runs: Sequence[Run], facts: dict[str, Any]) -> str:
    """Every run and the median, as a Markdown table."""
    lines = [
        f"report.html of {facts['users']:,} users, {facts['roles']:,} roles: "
        f"{facts['findings']:,} findings ({facts['summary']}), {facts['html_mb']:.1f} MB, "
        f"rendered in {facts['render_s']:.2f} s; Chromium {facts['chromium']}.",
        "",
        "| run | DOMContentLoaded ms | first paint ms | ready ms | interactive ms | filter ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for n, run in enumerate(runs, 1):
        lines.append(
            f"| {n} | {run.dom_content_loaded:.0f} | {run.first_paint:.0f} | {run.ready:.0f} "
            f"| {run.interactive:.0f} | {run.filter_ms:.0f} |"
        )

    def median(values: list[float]) -> str:
        return f"{statistics.median(values):.0f}"

    lines.append(
        f"| **median** | {median([r.dom_content_loaded for r in runs])} "
        f"| {median([r.first_paint for r in runs])} | {median([r.ready for r in runs])} "
        f"| **{median([r.interactive for r in runs])}** | {median([r.filter_ms for r in runs])} |"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Build, render, open ``--runs`` times and print the table; exit 1 over the budget."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.html_interactive")
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--roles", type=int, default=1000)
    parser.add_argument("--policies", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS, metavar="SECONDS")
    parser.add_argument("--chromium", default=CHROMIUM, help="the browser (default %(default)s)")
    parser.add_argument("--keep", type=Path, metavar="FILE", help="also save report.html here")
    parser.add_argument("--json", type=argparse.FileType("w"), metavar="FILE")
    args = parser.parse_args(argv)
    if min(args.users, args.roles, args.policies) < 0 or args.runs < 1:
        parser.error("sizes must be >= 0 and --runs >= 1")

    print(f"building and analyzing {args.users:,} users…", file=sys.stderr, flush=True)
    shape = Shape(users=args.users, roles=args.roles, customer_policies=args.policies)
    report = build_report(shape)
    start = time.perf_counter()
    html = as_bytes(render(report, [Format.HTML]))["report.html"]
    render_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="iam-auditor-html-") as tmp:
        path = Path(args.keep or Path(tmp) / "report.html").resolve()
        path.write_bytes(html)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium)
            try:
                runs = []
                for n in range(args.runs):
                    print(f"run {n + 1}/{args.runs}…", file=sys.stderr, flush=True)
                    runs.append(measure(browser, path.as_uri()))
                chromium = browser.version
            finally:
                browser.close()
    facts = {
        "users": args.users,
        "roles": args.roles,
        "findings": len(report.findings),
        "summary": ", ".join(f"{k} {v:,}" for k, v in report.summary().items()),
        "html_mb": len(html) / 1e6,
        "render_s": render_s,
        "chromium": chromium,
    }
    print(markdown_table(runs, facts))
    median = statistics.median(r.interactive for r in runs) / 1000
    if args.json:
        json.dump({"facts": facts, "runs": [asdict(r) for r in runs]}, args.json, indent=1)
    if median > args.budget:
        print(f"median {median:.2f} s: over the {args.budget:.2f} s budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
