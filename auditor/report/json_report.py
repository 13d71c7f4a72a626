"""The machine-readable report: ``report.json``, schema_version 2 (docs/architecture.md).

Each check's metadata is said once, in ``checks``, and each finding only what its check entry
or its ARN does not give; ``json_read.read_report`` expands it back to version 1's findings.
Key order is fixed by construction, so one report always renders to the same bytes, and
``stream_json`` yields it a line at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.model import (
    CheckMeta,
    Finding,
    FindingChange,
    Gap,
    Report,
    ReportDiff,
    ResourceType,
    Severity,
    configured_reason,
    joined_remediation,
)
from auditor.report.common import optional_utc_timestamp, ordered_findings, plain, utc_timestamp

SCHEMA_VERSION = 2


def name_from_arn(arn: str) -> str:
    """The resource name an ARN implies: after its last ``/``, else after its last ``:``.

    ``arn:aws:iam::123456789012:user/ops/alice`` gives ``alice`` and ``...:root`` gives
    ``root``; a string with neither character is its own name. A finding whose name is
    something else (the account id of an account-level finding) writes ``name``.
    """
    cut = arn.rfind("/")
    if cut < 0:
        cut = arn.rfind(":")
    return arn[cut + 1 :]


@dataclass(frozen=True)
class CheckDefaults:
    """What a check entry says for each of its findings: a finding writes only departures.

    ``None`` throughout for a finding whose check has no entry in ``checks`` (a report
    built by hand): such a finding writes every key.
    """

    severity: Severity | None = None
    severity_reason: str | None = None
    base_severity: Severity | None = None
    resource_type: ResourceType | None = None
    slug: str | None = None
    title: str | None = None
    remediation: str | None = None
    compliance: Mapping[str, list[str]] | None = None


_NO_ENTRY = CheckDefaults()


def check_defaults(meta: CheckMeta, configured: Severity | None = None) -> CheckDefaults:
    """The defaults of ``meta``'s entry: ``configured`` is the severity the configuration's
    ``[checks.ID] severity`` gave the check in this run (``Report.configured``), if any."""
    return CheckDefaults(
        severity=configured or meta.severity,
        severity_reason=None if configured is None else configured_reason(meta.id, configured),
        base_severity=meta.severity,
        resource_type=meta.resource_type,
        slug=meta.slug,
        title=meta.title,
        remediation=joined_remediation(meta.remediation, meta.remediation_cli),
        compliance=meta.compliance.as_dict(),
    )


@dataclass(frozen=True)
class _Layout:
    """A report's findings grouped by check, in the order report.json lists them."""

    groups: dict[str, list[Finding]]
    defaults: dict[str, CheckDefaults]


def _layout(report: Report) -> _Layout:
    """Every check of ``checks`` (findings or not), then checks without an entry."""
    groups: dict[str, list[Finding]] = {meta.id: [] for meta in report.checks}
    for finding in ordered_findings(report.findings):
        groups.setdefault(finding.check_id, []).append(finding)
    defaults = {
        meta.id: check_defaults(meta, report.configured.get(meta.id)) for meta in report.checks
    }
    return _Layout(groups=groups, defaults=defaults)


def report_to_dict(report: Report, *, findings: bool = True) -> dict[str, Any]:
    """The report as JSON-native data, exactly as ``report.json`` holds it.

    ``findings=False`` leaves out the ``findings`` object (``stream_json`` writes the file
    a finding at a time instead; ``diff.diff_against`` adds version 1's findings list).
    """
    layout = _layout(report)
    data = _header(report)
    if report.changes is not None:
        data["changes"] = changes_to_dict(report.changes)
    data["checks"] = [check_to_dict(meta, layout.defaults[meta.id]) for meta in report.checks]
    if findings:
        data["findings"] = {
            check_id: [finding_to_json(f, layout.defaults.get(check_id, _NO_ENTRY)) for f in group]
            for check_id, group in layout.groups.items()
        }
    return data


def _header(report: Report) -> dict[str, Any]:
    """The top-level keys up to ``notes`` (``changes``, ``checks`` and ``findings`` follow)."""
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


def check_to_dict(meta: CheckMeta, defaults: CheckDefaults | None = None) -> dict[str, Any]:
    """One entry of ``checks``: a check's metadata and the severity the run gave it.

    ``catalog_severity`` and ``severity_reason`` follow ``severity`` only when the
    configuration changed it (``defaults``, from ``check_defaults``; the catalog's without).
    """
    out: dict[str, Any] = {
        "id": meta.id,
        "slug": meta.slug,
        "title": meta.title,
        "severity": meta.severity.value,
    }
    run = defaults.severity if defaults is not None else None
    if defaults is not None and run is not None and run is not meta.severity:
        out["severity"] = run.value
        out["catalog_severity"] = meta.severity.value
        out["severity_reason"] = defaults.severity_reason
    out.update(
        resource_type=meta.resource_type.value,
        rationale=meta.rationale,
        remediation=meta.remediation,
        remediation_cli=meta.remediation_cli,
        references=list(meta.references),
        compliance=meta.compliance.as_dict(),
    )
    return out


def finding_to_json(finding: Finding, defaults: CheckDefaults = _NO_ENTRY) -> dict[str, Any]:
    """One finding of report.json: only what its check entry (``defaults``) does not say.

    Each optional key is written when its value differs from the one a reader would take
    from the check entry (``severity_reason`` may then be ``null``: a finding of a
    reconfigured check whose own severity needs no reason). Keys keep schema_version 1's
    relative order.
    """
    out: dict[str, Any] = {"id": finding.finding_id}
    if finding.slug != defaults.slug:
        out["slug"] = finding.slug
    if finding.title != defaults.title:
        out["title"] = finding.title
    if finding.severity is not defaults.severity:
        out["severity"] = finding.severity.value
    out["status"] = finding.status.value
    if finding.muted:
        out["muted"] = True
    if finding.mute_reason is not None:
        out["mute_reason"] = finding.mute_reason
    if finding.resource_type is not defaults.resource_type:
        out["type"] = finding.resource_type.value
    out["arn"] = finding.resource_arn
    if finding.resource_name != name_from_arn(finding.resource_arn):
        out["name"] = finding.resource_name
    out["detail"] = finding.detail
    evidence = plain(finding.evidence)
    if evidence:
        out["evidence"] = evidence
    if finding.remediation != defaults.remediation:
        out["remediation"] = finding.remediation
    compliance = finding.compliance.as_dict()
    if compliance != defaults.compliance:
        out["compliance"] = compliance
    if finding.base_severity is not defaults.base_severity:
        out["base_severity"] = finding.base_severity.value
    if finding.severity_reason != defaults.severity_reason:
        out["severity_reason"] = finding.severity_reason
    return out


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """A complete finding, as schema_version 1 wrote it and ``read_report`` gives it back."""
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

    The top level is indented for people; each entry of ``checks`` and each finding is one
    compact line (``grep`` and ``diff`` work a finding at a time). Yielded a line at a
    time, so a writer never holds more than one finding's text; the file ends in a newline.
    """
    layout = _layout(report)
    head = _dumps(_header(report), indent=2)  # a non-empty dict: always ends in "\n}"
    yield head[:-2].encode("utf-8")
    if report.changes is not None:
        yield from _stream_changes(changes_to_dict(report.changes))
    checks = [check_to_dict(meta, layout.defaults[meta.id]) for meta in report.checks]
    yield f',\n  "checks": {_list_json(checks, 2)}'.encode()
    if not layout.groups:
        yield b',\n  "findings": {}\n}\n'
        return
    yield b',\n  "findings": {'
    for index, (check_id, group) in enumerate(layout.groups.items()):
        defaults = layout.defaults.get(check_id, _NO_ENTRY)
        yield f"{',' if index else ''}\n    {_dumps(check_id)}: [".encode()
        for position, finding in enumerate(group):
            line = _dumps(finding_to_json(finding, defaults))
            yield f"{',' if position else ''}\n      {line}".encode()
        yield b"\n    ]" if group else b"]"
    yield b"\n  }\n}\n"


def _list_json(items: Sequence[Any], indent: int) -> str:
    """A list one compact entry per line, at ``indent`` spaces (its entries two deeper)."""
    if not items:
        return "[]"
    inner = " " * (indent + 2)
    body = f",\n{inner}".join(_dumps(item) for item in items)
    return f"[\n{inner}{body}\n{' ' * indent}]"


def _stream_changes(changes: dict[str, Any]) -> Iterator[bytes]:
    """``,"changes": {...}``: a key a line, its lists a change a line, like ``findings``."""
    yield b',\n  "changes": {'
    for index, (key, value) in enumerate(changes.items()):
        comma = "," if index else ""
        if not isinstance(value, list) or not value:
            yield f'{comma}\n    "{key}": {_dumps(value)}'.encode()
            continue
        yield f'{comma}\n    "{key}": ['.encode()
        for position, item in enumerate(value):
            yield f"{',' if position else ''}\n      {_dumps(item)}".encode()
        yield b"\n    ]"
    yield b"\n  }"


def _dumps(value: Any, indent: int | None = None) -> str:
    """JSON text; a one-line entry without spaces after ``,`` and ``:`` (a tenth of a finding)."""
    separators = (",", ": ") if indent is not None else (",", ":")
    return json.dumps(
        value, indent=indent, separators=separators, ensure_ascii=False, allow_nan=False
    )
