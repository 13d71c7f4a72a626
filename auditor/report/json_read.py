"""Reading ``report.json`` of any schema this build knows, as schema_version 1 shaped it.

Every consumer of a report file (``diff``, ``--baseline``, the Lambda, the org summary) goes
through ``read_report``, so none needs to know which version it was given. Files may be old,
hand-edited or another tool's, so the shape is validated and each problem is a one-line
``ReportError`` naming the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auditor.console import inert
from auditor.errors import AuditorError
from auditor.model import Score, Severity, Status, joined_remediation
from auditor.report.json_report import name_from_arn

READABLE_VERSIONS = (1, 2)

_SEVERITIES = frozenset(s.value for s in Severity)
_STATUSES = frozenset(s.value for s in Status)
_RANK = {s.value: s.rank for s in Severity}
# Report order (``auditor.report.common.ordered_findings``): unmuted FAIL, ERROR, muted, PASS.
_GROUP = {Status.FAIL.value: 0, Status.ERROR.value: 1, Status.PASS.value: 3}
_MUTED_GROUP = 2

# The keys of a check entry a finding of version 2 takes its own from; checked once each.
_CHECK_TEXT = ("id", "slug", "title", "resource_type", "remediation", "remediation_cli")
# What a version-2 finding may leave out only when its check has an entry in ``checks``.
_FROM_ENTRY = ("slug", "title", "severity", "type", "remediation", "compliance", "base_severity")


class ReportError(AuditorError, ValueError):
    """A report.json cannot be read; the message is one line for people, naming the file."""


def read_report(data: Any, source: str = "report") -> dict[str, Any]:
    """``data``, a parsed report.json of schema_version 1 or 2, as version 1 shapes it.

    The result has the same top-level keys, ``schema_version`` 1, ``checks`` with each
    check's catalog severity, and ``findings`` a list of complete findings (``finding_id``,
    ``check_id``, ``slug``, ``title``, ``severity``, ``status``, ``muted``, ``mute_reason``,
    ``resource_type``, ``resource_arn``, ``resource_name``, ``detail``, ``evidence``,
    ``remediation``, ``compliance``, ``base_severity``, ``severity_reason``) in report order.
    A version-1 report comes back as it is (its findings are the very objects parsed), so
    reading twice is harmless; a version-2 finding's ``compliance`` is its check entry's
    own object, shared rather than copied. Raises ``ReportError`` naming ``source`` and
    the problem.
    """
    check_header(data, source)
    if data["schema_version"] == 1:
        findings = data.get("findings")
        if not isinstance(findings, list):
            raise ReportError(f"{source}: findings is missing or not a list")
        for index, finding in enumerate(findings):
            if not isinstance(finding, Mapping):
                raise ReportError(f"{source}: findings[{index}] is not a JSON object")
        return dict(data)
    entries = _entries(data.get("checks"), source)
    rows = _expand(data.get("findings"), entries, source)
    out = {key: value for key, value in data.items() if key not in ("checks", "findings")}
    out["schema_version"] = 1
    out["checks"] = [_v1_check(entry) for entry in entries.values()]
    out["findings"] = rows
    return out


def check_header(data: Any, source: str) -> None:
    """Raise ``ReportError`` unless ``data``'s top level is a readable report's.

    A JSON object of a known ``schema_version`` with ``account_id``, ``generated_at``,
    ``score`` and ``tool.version``: what every reader of a report relies on.
    """
    if not isinstance(data, Mapping):
        raise ReportError(f"{source}: not a report.json (the top level is not a JSON object)")
    version = data.get("schema_version")
    if version is None:
        raise ReportError(f"{source}: not a report.json (no schema_version)")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        known = " and ".join(str(v) for v in READABLE_VERSIONS)
        shown = inert(repr(version)[:40])
        raise ReportError(
            f"{source}: report schema_version {shown} is not supported "
            f"(this iam-auditor reads schema_version {known})"
        )
    if not isinstance(data.get("account_id"), str) or not data["account_id"]:
        raise ReportError(f"{source}: account_id is missing or not a string")
    parse_timestamp(data.get("generated_at"), source)
    parse_score(data.get("score"), source)
    tool = data.get("tool")
    if not isinstance(tool, Mapping) or not isinstance(tool.get("version"), str):
        raise ReportError(f"{source}: tool.version is missing or not a string")


def parse_timestamp(value: Any, source: str, key: str = "generated_at") -> datetime:
    """A report's UTC timestamp (``key`` names it in the error); naive is taken as UTC."""
    if not isinstance(value, str):
        raise ReportError(f"{source}: {key} is missing or not a string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ReportError(f"{source}: {key} {inert(value)!r} is not a timestamp") from exc
    # report.json always writes UTC with a Z; a hand-written naive time is taken as UTC too.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_score(value: Any, source: str) -> Score:
    """A report's ``score`` object as a ``Score``."""
    if not isinstance(value, Mapping):
        raise ReportError(f"{source}: score is missing or not an object")
    number, grade = value.get("value"), value.get("grade")
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise ReportError(f"{source}: score.value is missing or not a number")
    if not isinstance(grade, str):
        raise ReportError(f"{source}: score.grade is missing or not a string")
    return Score(float(number), grade)


# --- version 2 ----------------------------------------------------------------------------


def _entries(checks: Any, source: str) -> dict[str, Mapping[str, Any]]:
    """The ``checks`` of a version-2 report by id, each checked for what findings take."""
    if not isinstance(checks, list):
        raise ReportError(f"{source}: checks is missing or not a list")
    entries: dict[str, Mapping[str, Any]] = {}
    for index, entry in enumerate(checks):
        where = f"{source}: checks[{index}]"
        if not isinstance(entry, Mapping):
            raise ReportError(f"{where} is not a JSON object")
        for key in _CHECK_TEXT:
            _require(isinstance(entry.get(key), str), entry, key, where)
        _require(_is_severity(entry.get("severity")), entry, "severity", where)
        if "catalog_severity" in entry:
            _require(_is_severity(entry["catalog_severity"]), entry, "catalog_severity", where)
        reason = entry.get("severity_reason")
        _require(reason is None or isinstance(reason, str), entry, "severity_reason", where)
        _require(_is_compliance(entry.get("compliance")), entry, "compliance", where)
        if entry["id"] in entries:
            raise ReportError(f"{source}: check {inert(entry['id'])} appears more than once")
        entries[entry["id"]] = entry
    return entries


def _v1_check(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A version-2 check entry as version 1 wrote it: its catalog severity, nothing more."""
    out = {k: v for k, v in entry.items() if k not in ("catalog_severity", "severity_reason")}
    out["severity"] = entry.get("catalog_severity", entry["severity"])
    return out


@dataclass(frozen=True)
class _Defaults:
    """What a check entry gives each of its findings (the keys a finding may leave out).

    All ``None`` for a check without an entry, whose findings must then say everything.
    """

    slug: Any = None
    title: Any = None
    severity: Any = None
    reason: Any = None
    base: Any = None
    type: Any = None
    remediation: Any = None
    compliance: Any = None

    @classmethod
    def of(cls, entry: Mapping[str, Any] | None) -> _Defaults:
        if entry is None:
            return cls()
        return cls(
            slug=entry["slug"],
            title=entry["title"],
            severity=entry["severity"],
            reason=entry.get("severity_reason"),
            base=entry.get("catalog_severity", entry["severity"]),
            type=entry["resource_type"],
            remediation=joined_remediation(entry["remediation"], entry["remediation_cli"]),
            compliance=entry["compliance"],
        )


def _expand(findings: Any, entries: Mapping[str, Mapping[str, Any]], source: str) -> list[Any]:
    """Every finding of a version-2 ``findings`` object, complete, in report order."""
    if not isinstance(findings, Mapping):
        raise ReportError(f"{source}: findings is missing or not an object")
    rows: list[dict[str, Any]] = []
    for check_id, group in findings.items():
        where = f"{source}: findings.{inert(check_id)}"
        if not isinstance(group, list):
            raise ReportError(f"{where} is not a list")
        entry = entries.get(check_id)
        defaults = _Defaults.of(entry)
        for index, finding in enumerate(group):
            at = f"{where}[{index}]"
            if not isinstance(finding, Mapping):
                raise ReportError(f"{at} is not a JSON object")
            if entry is None:
                missing = next((k for k in _FROM_ENTRY if k not in finding), None)
                if missing is not None:
                    raise ReportError(
                        f"{at} has no {missing} and check {inert(check_id)} has no entry in checks"
                    )
            rows.append(_row(check_id, finding, defaults, at))
    # Findings are grouped by check in catalog order; a stable sort by display group puts
    # them back in report order (the analyzer runs the checks in that same catalog order).
    rows.sort(key=_report_order)
    return rows


def _row(check_id: str, finding: Mapping[str, Any], defaults: _Defaults, at: str) -> dict[str, Any]:
    """One version-2 finding as version 1 wrote it, its missing keys from its check."""
    get = finding.get
    row = {
        "finding_id": get("id"),
        "check_id": check_id,
        "slug": get("slug", defaults.slug),
        "title": get("title", defaults.title),
        "severity": get("severity", defaults.severity),
        "status": get("status"),
        "muted": get("muted", False),
        "mute_reason": get("mute_reason"),
        "resource_type": get("type", defaults.type),
        "resource_arn": get("arn"),
        "resource_name": get("name"),
        "detail": get("detail"),
        "evidence": get("evidence", {}),
        "remediation": get("remediation", defaults.remediation),
        "compliance": get("compliance", defaults.compliance),
        "base_severity": get("base_severity", defaults.base),
        "severity_reason": get("severity_reason", defaults.reason),
    }
    _check_row(row, finding, at)
    if "name" not in finding:
        row["resource_name"] = name_from_arn(row["resource_arn"])  # _check_row: a string
    return row


def _check_row(row: Mapping[str, Any], finding: Mapping[str, Any], at: str) -> None:
    """Raise naming the first key of ``finding`` (as written) that is not what it must be."""
    for v1_key, key in (
        ("finding_id", "id"),
        ("slug", "slug"),
        ("title", "title"),
        ("resource_type", "type"),
        ("resource_arn", "arn"),
        ("detail", "detail"),
        ("remediation", "remediation"),
    ):
        _require(isinstance(row[v1_key], str), finding, key, at)
    if "name" in finding:
        _require(isinstance(row["resource_name"], str), finding, "name", at)
    status = row["status"]
    _require(isinstance(status, str) and status in _STATUSES, finding, "status", at)
    _require(_is_severity(row["severity"]), finding, "severity", at)
    _require(_is_severity(row["base_severity"]), finding, "base_severity", at)
    _require(isinstance(row["muted"], bool), finding, "muted", at)
    for key in ("mute_reason", "severity_reason"):
        _require(row[key] is None or isinstance(row[key], str), finding, key, at)
    _require(isinstance(row["evidence"], Mapping), finding, "evidence", at)
    _require(_is_compliance(row["compliance"]), finding, "compliance", at)


def _is_severity(value: Any) -> bool:
    return isinstance(value, str) and value in _SEVERITIES


def _is_compliance(value: Any) -> bool:
    """``{"CIS-7.0": ["2.12"], ...}``: framework names to lists of control ids."""
    return isinstance(value, Mapping) and all(
        isinstance(ids, list) and all(isinstance(i, str) for i in ids) for ids in value.values()
    )


def _require(ok: bool, item: Mapping[str, Any], key: str, at: str) -> None:
    """Raise ``ReportError`` for ``item[key]`` (shown, or "missing") unless ``ok``."""
    if not ok:
        shown = repr(item[key])[:60] if key in item else "missing"
        raise ReportError(f"{at}.{key} is invalid ({inert(shown)})")


def _report_order(row: Mapping[str, Any]) -> tuple[int, int]:
    if row["muted"]:
        return _MUTED_GROUP, 0
    group = _GROUP[row["status"]]
    return group, (-_RANK[row["severity"]] if group == 0 else 0)
