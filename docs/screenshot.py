"""Regenerate ``docs/demo-report.png``: the demo account's HTML report as a browser shows it.

Runs ``iam-auditor demo`` (this interpreter's ``python -m auditor``) into a temporary
directory, opens its ``report.html`` from ``file://`` in headless Chromium (Debian's,
driven by Playwright; nothing is downloaded) and saves the top of the page - header, score
and the overview's charts and counts - at a laptop-sized viewport in the light colour
scheme. Run it from the repository root after changing the report's look::

    .venv/bin/python docs/screenshot.py            # or: make screenshot

``--attack-paths`` saves ``docs/attack-paths.png`` instead: the report's "Attack paths"
section, drawn from the PERM-010 findings of the small account the report tests use
(``tests/report/attack_path_samples.py``: the attack-path engine run on a hand-built
snapshot), so the picture shows every kind of box and arrow whatever the demo holds::

    .venv/bin/python docs/screenshot.py --attack-paths
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def demo_report(directory: Path) -> Path:
    """Run the demo into ``directory``; the path of its ``report.html``."""
    subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "auditor", "demo", "--output-dir", str(directory), "-q"],
        check=True,
        cwd=ROOT,
    )
    return directory / "report.html"


def attack_paths_report(directory: Path) -> Path:
    """The report tests' attack-path sample rendered to ``directory``; its ``report.html``."""
    for folder in ("tests", "tests/report"):  # the samples build on the test factories
        if str(ROOT / folder) not in sys.path:
            sys.path.insert(0, str(ROOT / folder))
    # Imported here: only this option needs them, and only once the path above is set.
    from attack_path_samples import (  # noqa: PLC0415
        attack_findings,
        attack_snapshot,
        with_findings,
    )
    from report_samples import complete_report  # noqa: PLC0415

    from auditor.report.html_report import render_html  # noqa: PLC0415

    report = with_findings(complete_report(), attack_findings(attack_snapshot()))
    path = directory / "report.html"
    path.write_bytes(render_html(report))
    return path


def screenshot(
    page_path: Path,
    out: Path,
    *,
    width: int,
    height: int,
    chromium: str = CHROMIUM,
    element: str | None = None,
) -> None:
    """Save the top ``width`` x ``height`` CSS pixels of ``page_path`` as a PNG at ``out``,
    or only the ``element`` (a CSS selector) when given."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height}, color_scheme="light"
            )
            page = context.new_page()
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_selector("#filters:not([hidden])")
            if element is None:
                page.screenshot(path=str(out), full_page=False)
            else:
                page.locator(element).screenshot(path=str(out))
        finally:
            browser.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo and write the screenshot."""
    parser = argparse.ArgumentParser(prog="python docs/screenshot.py", description=__doc__)
    parser.add_argument("--out", type=Path, help="default docs/demo-report.png or attack-paths.png")
    parser.add_argument(
        "--attack-paths",
        action="store_true",
        help="the report's Attack paths section, from the tests' sample account",
    )
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=880)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="iam-auditor-demo-") as tmp:
        if args.attack_paths:
            out = args.out or ROOT / "docs" / "attack-paths.png"
            report = attack_paths_report(Path(tmp))
            element: str | None = "#attack-paths"
        else:
            out = args.out or ROOT / "docs" / "demo-report.png"
            report = demo_report(Path(tmp))
            element = None
        screenshot(
            report,
            out,
            width=args.width,
            height=args.height,
            chromium=args.chromium,
            element=element,
        )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
