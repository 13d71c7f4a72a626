"""What the CLI prints on a terminal: progress lines, the end-of-run summary, the catalog.

Everything here returns or prints plain text for people; machine-readable output lives in
the report renderers. Progress goes to stderr so that stdout stays clean for pipes.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from auditor.model import CheckMeta, Report, Status

_START = time.monotonic()


def progress(message: str) -> None:
    """One progress line on stderr, with seconds since the run started."""
    print(f"[{time.monotonic() - _START:6.1f}s] {message}", file=sys.stderr, flush=True)


def summary(report: Report, paths: Sequence[Path | str]) -> str:
    """The end-of-run summary: score, completeness, failing checks, report paths."""
    counts = report.summary()
    lines = [
        f"Account {report.account_id} ({report.partition}): "
        f"score {report.score.value:.1f} / 100, grade {report.score.grade}",
        f"Findings: {counts['FAIL']} FAIL, {counts['PASS']} PASS, {counts['ERROR']} ERROR, "
        f"{counts['muted']} muted",
    ]
    if not report.complete:
        lines.append("AUDIT INCOMPLETE: some checks could not look (see ERROR findings):")
        for gap in report.gaps:
            where = f" in {gap.region}" if gap.region else ""
            lines.append(f"  - {gap.operation}{where}: {gap.error}")
    failing = Counter(
        (f.severity, f.check_id, f.title)
        for f in report.findings
        if f.status is Status.FAIL and not f.muted
    )
    if failing:
        lines.append("Failing checks:")
        for (sev, check_id, title), n in sorted(
            failing.items(), key=lambda item: (-item[0][0].rank, item[0][1])
        ):
            lines.append(f"  {sev.value.upper():8} {check_id:9} {title} ({n})")
    lines.extend(report.notes)
    lines.append("Reports:")
    lines.extend(f"  {p}" for p in paths)
    return "\n".join(lines)


def catalog_table(metas: Sequence[CheckMeta]) -> str:
    """The catalog as an aligned text table."""
    rows = [("ID", "SEVERITY", "SLUG", "CIS 7.0", "FSBP", "TITLE")]
    for m in metas:
        rows.append(
            (
                m.id,
                m.severity.value,
                m.slug,
                ",".join(m.compliance.cis_7) or "-",
                ",".join(m.compliance.fsbp) or "-",
                m.title,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r[:5], widths, strict=True)) + "  " + r[5]
        for r in rows
    )


def catalog_json(metas: Sequence[CheckMeta]) -> str:
    """The catalog as JSON: one object per check with its metadata and mappings."""
    return json.dumps(
        [
            {
                "id": m.id,
                "slug": m.slug,
                "title": m.title,
                "severity": m.severity.value,
                "resource_type": m.resource_type.value,
                "needs": sorted(s.value for s in m.needs),
                "compliance": m.compliance.as_dict(),
                "references": list(m.references),
            }
            for m in metas
        ],
        indent=2,
    )
