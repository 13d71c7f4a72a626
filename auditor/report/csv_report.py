"""The spreadsheet report: ``report.csv``, one row per finding, in report order.

UTF-8 with a BOM and CRLF rows, every string cell neutralised against formula injection
(``neutralise``), since any IAM string may be an attacker's. ``stream_csv`` writes a small
DataFrame a few hundred rows at a time, and pandas is imported only when a CSV is written.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Finding, Report
from auditor.report.common import (
    ITEMS_PER_CHUNK,
    batched,
    compliance_text,
    evidence_json,
    ordered_findings,
)

COLUMNS: tuple[str, ...] = (
    "finding_id",
    "check_id",
    "slug",
    "title",
    "severity",
    "base_severity",
    "status",
    "muted",
    "mute_reason",
    "resource_type",
    "resource_arn",
    "resource_name",
    "detail",
    "remediation",
    "compliance",
    "evidence",
)

_BOM = b"\xef\xbb\xbf"
# Characters that make a spreadsheet treat a cell as a formula (or, for tab and CR,
# that some importers strip before looking for one).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_SIGNS = ("=", "+", "-", "@")


def neutralise(cell: str) -> str:
    """``cell`` made inert for spreadsheets: prefixed with ``'`` if it could be a formula.

    Also catches a sign hidden behind leading whitespace (``" =cmd"``, ``"\\n=cmd"``),
    which some spreadsheet importers trim before evaluating.
    """
    if cell.startswith(_FORMULA_START) or cell.lstrip().startswith(_FORMULA_SIGNS):
        return "'" + cell
    return cell


def finding_row(finding: Finding) -> list[str]:
    """One finding's cells, in ``COLUMNS`` order, already neutralised."""
    cells = (
        finding.finding_id,
        finding.check_id,
        finding.slug,
        finding.title,
        finding.severity.value,
        finding.base_severity.value,
        finding.status.value,
        "true" if finding.muted else "false",
        finding.mute_reason or "",
        finding.resource_type.value,
        finding.resource_arn,
        finding.resource_name,
        finding.detail,
        finding.remediation,
        compliance_text(finding.compliance),
        evidence_json(finding.evidence),
    )
    return [neutralise(cell) for cell in cells]


def stream_csv(report: Report, per_chunk: int = ITEMS_PER_CHUNK) -> Iterator[bytes]:
    """``report.csv``: header plus one neutralised row per finding, UTF-8 with BOM.

    Written ``per_chunk`` findings at a time, each chunk one small DataFrame (the header only
    with the first), so neither the rows nor the text of the whole file are ever held.
    pandas quotes cell by cell, so the chunks join to exactly what one frame would write.
    """
    import pandas as pd  # noqa: PLC0415 (only a CSV needs pandas: json-only runs never load it)

    def text(rows: list[list[str]], header: bool) -> bytes:
        # Every column is text: object dtype stops pandas from inferring numbers or dates.
        frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
        return frame.to_csv(index=False, header=header, lineterminator="\r\n").encode("utf-8")

    findings = ordered_findings(report.findings)
    yield _BOM
    header = True
    for batch in batched(findings, per_chunk):
        yield text([finding_row(f) for f in batch], header)
        header = False
    if header:  # no findings: the header alone
        yield text([], header)


def render_csv(report: Report) -> bytes:
    """``report.csv`` whole, as bytes (see ``stream_csv``)."""
    return b"".join(stream_csv(report))
