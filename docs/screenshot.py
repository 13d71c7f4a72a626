"""Regenerate ``docs/demo-report.png``: the demo account's HTML report as a browser shows it.

Runs ``iam-auditor demo`` (this interpreter's ``python -m auditor``) into a temporary
directory, opens its ``report.html`` from ``file://`` in headless Chromium (Debian's,
driven by Playwright; nothing is downloaded) and saves the top of the page - header, score
and the overview's charts and counts - at a laptop-sized viewport in the light colour
scheme. Run it from the repository root after changing the report's look::

    .venv/bin/python docs/screenshot.py            # or: make screenshot
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


def screenshot(
    page_path: Path, out: Path, *, width: int, height: int, chromium: str = CHROMIUM
) -> None:
    """Save the top ``width`` x ``height`` CSS pixels of ``page_path`` as a PNG at ``out``."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height}, color_scheme="light"
            )
            page = context.new_page()
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_selector("#filters:not([hidden])")
            page.screenshot(path=str(out), full_page=False)
        finally:
            browser.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo and write the screenshot."""
    parser = argparse.ArgumentParser(prog="python docs/screenshot.py", description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "demo-report.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=880)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="iam-auditor-demo-") as tmp:
        report = demo_report(Path(tmp))
        screenshot(report, args.out, width=args.width, height=args.height, chromium=args.chromium)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
