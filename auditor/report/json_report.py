"""The machine-readable report: ``report.json``, schema_version 1 (docs/architecture.md).

Keys and nesting follow the "Report JSON" contract of docs/architecture.md exactly; fields
added since (``gaps[].message``, ``gaps[].region``, ``gaps[].source``,
``findings[].base_severity``, ``findings[].severity_reason``, top-level ``notes``,
``checks`` and ``changes``) are additive, so a consumer of the documented shape keeps
working. ``changes`` is present only when the run was compared with a baseline report: the
baseline's account and time, the score before and after, counts, and the new, resolved and
still-open findings (exactly what ``iam-auditor diff --json`` prints). ``checks``
describes every check that was run, in catalog order, findings or not: its catalog
severity, rationale, console and CLI remediation, references and framework mappings, said
once per check rather than per finding. Key order is fixed by construction and findings
come in report order (see ``common.ordered_findings``), so the same report always renders
to the same bytes and two runs diff cleanly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from auditor.model import CheckMeta, Finding, FindingChange, Gap, Report, ReportDiff
from auditor.report.common import optional_utc_timestamp, ordered_findings, plain, utc_timestamp

SCHEMA_VERSION = 1


def report_to_dict(report: Report, *, findings: bool = True) -> dict[str, Any]:
    """The report as JSON-native data, in the order ``report.json`` lists it.

    ``findings=False`` leaves out the ``findings`` list (``stream_json`` writes it a
    finding at a time).
    """
    gap_checks = report.gap_checks()
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": report.tool.name, "version": report.tool.version},
        "account_id": report.account_id,
        "partition": report.partition,
        "generated_at": utc_timestamp(report.generated_at),
        "credential_report_generated_at": optional_utc_timestamp(
            report.credential_report_generated_at
        ),
        "complete": report.complete,
        "score": {"value": float(report.score.value), "grade": report.score.grade},
        "summary": report.summary(),
        "gaps": [gap_to_dict(gap, checks) for gap, checks in gap_checks.items()],
        "notes": list(report.notes),
    }
    if report.changes is not None:
        data["changes"] = changes_to_dict(report.changes)
    data["checks"] = [check_to_dict(meta) for meta in report.checks]
    if findings:
        data["findings"] = [finding_to_dict(f) for f in ordered_findings(report.findings)]
    return data


def gap_to_dict(gap: Gap, checks: Iterable[str] | None = None) -> dict[str, Any]:
    """One entry of ``gaps``; ``checks`` (the checks it turned to ERROR) when known."""
    out: dict[str, Any] = {"operation": gap.operation, "error": gap.error}
    if checks is not None:
        out["checks"] = list(checks)
    out.update(message=gap.message, region=gap.region, source=gap.source.value)
    return out


def changes_to_dict(diff: ReportDiff) -> dict[str, Any]:
    """The ``changes`` object: a diff against a baseline report, as JSON-native data.

    Says nothing about the later run itself (that is the rest of the report), so the
    ``changes`` of ``audit --baseline OLD`` and ``iam-auditor diff OLD NEW --json`` agree
    whenever NEW found the same. The four lists come last.
    """
    return {
        "baseline": {
            "account_id": diff.account_id,
            "generated_at": utc_timestamp(diff.baseline_generated_at),
            "tool_version": diff.baseline_tool_version,
        },
        "score": {
            "before": {"value": diff.score_before.value, "grade": diff.score_before.grade},
            "after": {"value": diff.score_after.value, "grade": diff.score_after.grade},
            "change": diff.score_change,
        },
        "counts": diff.counts(),
        "by_severity": {
            group: {severity.value: n for severity, n in counts.items()}
            for group, counts in diff.by_severity().items()
        },
        "new": [change_to_dict(c) for c in diff.new],
        "resolved": [change_to_dict(c) for c in diff.resolved],
        "still_open": [change_to_dict(c) for c in diff.still_open],
        "unverified": [change_to_dict(c) for c in diff.unverified],
    }


def change_to_dict(change: FindingChange) -> dict[str, Any]:
    """One entry of a ``changes`` list (``new``, ``resolved``...); absent status is null."""
    return {
        "finding_id": change.finding_id,
        "check_id": change.check_id,
        "severity": change.severity.value,
        "resource_arn": change.resource_arn,
        "resource_name": change.resource_name,
        "title": change.title,
        "status_before": None if change.status_before is None else change.status_before.value,
        "muted_before": change.muted_before,
        "status_after": None if change.status_after is None else change.status_after.value,
        "muted_after": change.muted_after,
    }


def check_to_dict(meta: CheckMeta) -> dict[str, Any]:
    """One entry of ``checks``: a check's catalog metadata (severity before any override)."""
    return {
        "id": meta.id,
        "slug": meta.slug,
        "title": meta.title,
        "severity": meta.severity.value,
        "resource_type": meta.resource_type.value,
        "rationale": meta.rationale,
        "remediation": meta.remediation,
        "remediation_cli": meta.remediation_cli,
        "references": list(meta.references),
        "compliance": meta.compliance.as_dict(),
    }


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """One entry of ``findings``: the documented keys, then the additive ones."""
    return {
        "finding_id": finding.finding_id,
        "check_id": finding.check_id,
        "slug": finding.slug,
        "title": finding.title,
        "severity": finding.severity.value,
        "status": finding.status.value,
        "muted": finding.muted,
        "mute_reason": finding.mute_reason,
        "resource_type": finding.resource_type.value,
        "resource_arn": finding.resource_arn,
        "resource_name": finding.resource_name,
        "detail": finding.detail,
        "evidence": plain(finding.evidence),
        "remediation": finding.remediation,
        "compliance": finding.compliance.as_dict(),
        "base_severity": finding.base_severity.value,
        "severity_reason": finding.severity_reason,
    }


def render_json(report: Report) -> bytes:
    """``report.json`` whole, as bytes (see ``stream_json``)."""
    return b"".join(stream_json(report))


def stream_json(report: Report) -> Iterator[bytes]:
    """``report.json``: UTF-8, non-ASCII kept as is, one check or finding per line.

    The top level is indented for people; each entry of ``checks`` and ``findings`` is one
    compact line, which keeps a 60,000-finding report a fraction of the size (and lets
    ``grep`` and ``diff`` work an entry at a time). Yielded a line at a time, so a writer
    never holds more than one finding's text; the file ends in a newline.
    """
    data = report_to_dict(report, findings=False)
    checks = data.pop("checks")
    changes = data.pop("changes", None)
    head = _dumps(data, indent=2)  # a non-empty dict: always ends in "\n}"
    yield head[:-2].encode("utf-8")
    if changes is not None:
        yield f',\n  "changes": {_changes_json(changes)}'.encode()
    yield f',\n  "checks": {_list_json(checks, 2)}'.encode()
    yield b',\n  "findings": ['
    first = True
    for finding in ordered_findings(report.findings):
        line = _dumps(finding_to_dict(finding))
        yield f"{'' if first else ','}\n    {line}".encode()
        first = False
    yield b"]\n}\n" if first else b"\n  ]\n}\n"


def _list_json(items: list[Any], indent: int) -> str:
    """A list one compact entry per line, at ``indent`` spaces (its entries two deeper)."""
    if not items:
        return "[]"
    inner = " " * (indent + 2)
    body = f",\n{inner}".join(_dumps(item) for item in items)
    return f"[\n{inner}{body}\n{' ' * indent}]"


def _changes_json(changes: dict[str, Any]) -> str:
    """``changes`` with one key a line and its lists one finding a line, like ``findings``."""
    lines = []
    for key, value in changes.items():
        shown = _list_json(value, 4) if isinstance(value, list) else _dumps(value)
        lines.append(f'    "{key}": {shown}')
    return "{\n" + ",\n".join(lines) + "\n  }"


def _dumps(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)
