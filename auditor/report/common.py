"""Helpers every renderer shares: finding order, UTC timestamps, JSON-safe evidence.

The JSON, CSV and HTML of one run must agree on order and on how a time or evidence is
spelled, and the terminal and HTML on why an audit is incomplete (``check_errors``). Pure.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from auditor.model import Compliance, Finding, Report, Status

T = TypeVar("T")

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# Findings a streaming renderer turns into text before it yields: a chunk is then tens of
# kilobytes, so writing costs little per call and holds little at once.
ITEMS_PER_CHUNK = 256

# How many resources' names an incomplete-audit line spells out before "and N more".
_ERROR_NAMES_SHOWN = 3

# Display groups, in report order: what needs action first, then what could not be
# looked at, then what a person chose to accept, then what is fine.
_GROUP_FAIL = 0
_GROUP_ERROR = 1
_GROUP_MUTED = 2
_GROUP_PASS = 3


def utc_timestamp(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC (the model's times are all timezone-aware)."""
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def optional_utc_timestamp(moment: datetime | None) -> str | None:
    """``utc_timestamp`` that passes ``None`` (no credential report) through."""
    return None if moment is None else utc_timestamp(moment)


def display_group(finding: Finding) -> int:
    """0 unmuted FAIL, 1 unmuted ERROR, 2 muted (any status), 3 unmuted PASS."""
    if finding.muted:
        return _GROUP_MUTED
    if finding.status is Status.FAIL:
        return _GROUP_FAIL
    if finding.status is Status.ERROR:
        return _GROUP_ERROR
    return _GROUP_PASS


def ordered_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Report order: unmuted FAIL by severity (critical first), ERROR, muted, PASS.

    The sort is stable, so within one group (and one severity) findings keep the order
    the analyzer produced them in, and two runs over the same input render identically.
    """

    def key(finding: Finding) -> tuple[int, int]:
        group = display_group(finding)
        return group, (-finding.severity.rank if group == _GROUP_FAIL else 0)

    return sorted(findings, key=key)


def plain(value: Any) -> Any:  # noqa: PLR0911 - one return per kind of value reads best
    """``value`` as JSON-native data (dict, list, str, int, float, bool, None).

    Evidence is a free-form mapping; a check may put a datetime, an enum, a set or a
    tuple in it. Sets are sorted so output is deterministic; non-finite floats become
    strings because bare ``NaN`` is not JSON; anything unknown becomes its ``str``.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return utc_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {_plain_key(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return str(value)


def _plain_key(key: Any) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    return key if isinstance(key, str) else str(key)


def evidence_json(evidence: Mapping[str, Any]) -> str:
    """Evidence as one line of JSON, non-ASCII kept readable (``AKIA…WXYZ``)."""
    return json.dumps(plain(evidence), ensure_ascii=False, allow_nan=False)


def compliance_text(compliance: Compliance) -> str:
    """``CIS-7.0:2.12; CIS-5.0:1.13; AWS-FSBP:IAM.3``: one ``framework:id`` per mapping."""
    return "; ".join(
        f"{framework}:{control}"
        for framework, controls in compliance.as_dict().items()
        for control in controls
    )


def json_array(items: Iterable[Mapping[str, Any]]) -> bytes:
    """A JSON array with one item a line (diffable, greppable), UTF-8, ending in a newline."""
    return b"".join(stream_json_array(items))


def stream_json_array(
    items: Iterable[Mapping[str, Any]], per_chunk: int = ITEMS_PER_CHUNK
) -> Iterator[bytes]:
    """``json_array(items)`` as chunks of ``per_chunk`` items, each made as it is yielded."""
    opening = "[\n"
    for batch in batched(items, per_chunk):
        lines = (json.dumps(item, ensure_ascii=False, allow_nan=False) for item in batch)
        yield (opening + ",\n".join(lines)).encode()
        opening = ",\n"
    yield b"[]\n" if opening == "[\n" else b"\n]\n"


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in consecutive lists of ``size`` (the last one shorter), taken lazily."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


@dataclasses.dataclass(frozen=True)
class CheckErrors:
    """One check's ERROR findings that no failed call (gap) explains, in report order."""

    check_id: str
    title: str
    findings: tuple[Finding, ...]

    def reason(self) -> str:
        """The finding's detail when the check could not judge one resource; else a count.

        A per-resource check can ERROR on hundreds of users, so past one it names only the
        first few resources and leaves the details to the ERROR findings.
        """
        if len(self.findings) == 1:
            return self.findings[0].detail
        names = list(dict.fromkeys(f.resource_name for f in self.findings))
        shown = ", ".join(names[:_ERROR_NAMES_SHOWN])
        more = len(names) - _ERROR_NAMES_SHOWN
        listing = f"{shown} and {more} more" if more > 0 else shown
        return f"{len(self.findings)} resources could not be judged ({listing})"


def check_errors(report: Report) -> list[CheckErrors]:
    """Why ``report`` is incomplete beyond its gaps: each check that reported ERROR itself.

    An ERROR whose evidence names the operation of one of the report's gaps is explained
    by that gap (``Report.gap_checks`` counts it there); every other ERROR - a row or a
    document that could not be read, a root row that is missing, data the snapshot never
    collected, a check that crashed - is listed here, grouped by check in the order the
    checks ran, so an incomplete audit never shows its reasons as an empty list.
    """
    failed = {gap.operation for gap in report.gaps}
    grouped: dict[str, list[Finding]] = {}
    for finding in report.findings:
        if finding.status is Status.ERROR and finding.evidence.get("operation") not in failed:
            grouped.setdefault(finding.check_id, []).append(finding)
    return [
        CheckErrors(check_id=check_id, title=found[0].title, findings=tuple(found))
        for check_id, found in grouped.items()
    ]
