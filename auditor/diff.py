"""Run-to-run diff: what is new, resolved and still open since a baseline ``report.json``.

Findings are matched on the stable ``finding_id``; a finding open before whose check reported
ERROR now is ``unverified``, never resolved. Each side is a pandas DataFrame keyed by
``finding_id`` and one outer merge classifies every finding, which stays fast at tens of
thousands. Both inputs go through ``json_read.read_report``, so versions 1 and 2 compare alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from auditor.console import inert
from auditor.model import FindingChange, Report, ReportDiff, Severity, Status
from auditor.report.common import ordered_findings, utc_timestamp
from auditor.report.json_read import (
    ReportError,
    check_header,
    parse_score,
    parse_timestamp,
    read_report,
)
from auditor.report.json_report import finding_to_dict, report_to_dict

# The keys of a finding the diff reads; everything else in a finding is ignored.
FINDING_KEYS = (
    "finding_id",
    "check_id",
    "severity",
    "status",
    "muted",
    "resource_arn",
    "resource_name",
    "title",
)
_TEXT_KEYS = ("finding_id", "check_id", "resource_arn", "resource_name", "title")
_SEVERITIES = frozenset(s.value for s in Severity)
_STATUSES = frozenset(s.value for s in Status)
_RANK = {s.value: s.rank for s in Severity}
_SEVERITY = {s.value: s for s in Severity}
_STATUS = {s.value: s for s in Status}


class DiffError(ReportError):
    """A report cannot be read or compared; the message is one line for people."""


def load_report(path: Path) -> dict[str, Any]:
    """Read and validate one ``report.json``; ``DiffError`` names the file and the problem."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DiffError(f"cannot read report {path}: {exc.strerror or exc}") from exc
    return parse_report(data, str(path))


def parse_report(data: bytes | str, source: str) -> dict[str, Any]:
    """The text of a ``report.json`` read from ``source`` (a path, a URI), validated.

    Returned as ``read_report`` gives it: version 1's shape, whatever version was read.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise DiffError(f"{source}: not a report.json (not UTF-8 text)") from exc
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DiffError(f"{source}: not a report.json (invalid JSON at line {exc.lineno})") from exc
    report = _read(parsed, source)
    _frame(report, source)
    return report


def validate_report(data: Any, source: str = "report") -> None:
    """Raise ``DiffError`` unless ``data`` is a report (schema_version 1 or 2) the diff reads.

    Checks the top-level keys the diff uses, a version-2 report's shape, and, in every
    finding, the keys of ``FINDING_KEYS`` with their types and values; ``source`` (a path,
    "baseline") starts the message.
    """
    _frame(_read(data, source), source)


def _read(data: Any, source: str) -> dict[str, Any]:
    """``read_report``, its ``ReportError`` a ``DiffError`` (what the diff's callers catch)."""
    try:
        return read_report(data, source)
    except ReportError as exc:
        raise DiffError(str(exc)) from None


def diff_reports(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    labels: Sequence[str] = ("baseline", "report"),
) -> ReportDiff:
    """Compare two parsed report.json documents of one account (``old`` is the baseline).

    Both are validated; ``labels`` name them in error messages (file paths, say). Raises
    ``DiffError`` for an invalid report or reports of different accounts.
    """
    old_label, new_label = labels
    # The accounts first: comparing two accounts is refused before their findings are read.
    for data, label in ((old, old_label), (new, new_label)):
        try:
            check_header(data, label)
        except ReportError as exc:
            raise DiffError(str(exc)) from None
    if old["account_id"] != new["account_id"]:
        raise DiffError(
            f"cannot compare reports of different accounts: {old_label} is of account "
            f"{inert(old['account_id'])}, {new_label} of account {inert(new['account_id'])}"
        )
    merged = pd.merge(
        _frame(_read(old, old_label), old_label),
        _frame(_read(new, new_label), new_label),
        how="outer",
        left_index=True,
        right_index=True,
        suffixes=("_before", "_after"),
    )
    # A finding absent from one run is NaN there after the outer merge: not open.
    open_before = merged["open_before"].eq(True)
    open_after = merged["open_after"].eq(True)
    new_frame = merged["status_after"]
    errored_checks = set(
        merged.loc[new_frame.eq(Status.ERROR.value), "check_id_after"].dropna().tolist()
    )
    unverified = (
        open_before
        & ~open_after
        & (
            new_frame.eq(Status.ERROR.value)
            | (new_frame.isna() & merged["check_id_before"].isin(errored_checks))
        )
    )
    return ReportDiff(
        account_id=str(new["account_id"]),
        baseline_generated_at=parse_timestamp(old["generated_at"], old_label),
        generated_at=parse_timestamp(new["generated_at"], new_label),
        baseline_tool_version=str(old["tool"]["version"]),
        score_before=parse_score(old["score"], old_label),
        score_after=parse_score(new["score"], new_label),
        new=_changes(merged[open_after & ~open_before], "_after"),
        resolved=_changes(merged[open_before & ~open_after & ~unverified], "_before"),
        still_open=_changes(merged[open_before & open_after], "_after"),
        unverified=_changes(merged[unverified], "_before"),
    )


def diff_against(
    baseline: Mapping[str, Any], report: Report, label: str = "baseline"
) -> ReportDiff:
    """What changed from a parsed baseline report.json to ``report`` (``audit --baseline``).

    ``report`` is compared in version 1's shape, built straight from its findings, so no
    version-2 text is made and read back just to be compared.
    """
    current = report_to_dict(report, findings=False)
    current["schema_version"] = 1
    current["findings"] = [finding_to_dict(f) for f in ordered_findings(report.findings)]
    return diff_reports(baseline, current, labels=(label, "this audit"))


def state_label(status: Status | None, muted: bool) -> str:
    """A finding's state in one run as people read it: FAIL, PASS, ERROR, muted or absent."""
    if status is None:
        return "absent"
    return "muted" if muted else status.value


def diff_text(diff: ReportDiff) -> str:
    """The terminal summary of ``iam-auditor diff``: score, counts, then one line a finding.

    New findings say what they were in the baseline, resolved ones what they are now; a
    finding "resolved" only because its check could not look this time says so. Names come
    from a report file, so control characters are made visible.
    """
    before, after = diff.score_before, diff.score_after
    counts = diff.counts()
    lines = [
        f"Account {inert(diff.account_id)}: changes from "
        f"{utc_timestamp(diff.baseline_generated_at)} (baseline) to "
        f"{utc_timestamp(diff.generated_at)}",
        f"Score: {before.value:.1f} ({inert(before.grade)}) -> {after.value:.1f} "
        f"({inert(after.grade)}), change {diff.score_change:+.1f}",
        f"{counts['new']} new, {counts['resolved']} resolved, {counts['still_open']} still open"
        + (
            f", {counts['unverified']} unverified (their check could not look this time)"
            if counts["unverified"]
            else ""
        ),
    ]
    for heading, changes, when, side in (
        ("New", diff.new, "was", "before"),
        ("Resolved", diff.resolved, "now", "after"),
        ("Unverified", diff.unverified, "now", "after"),
    ):
        if not changes:
            continue
        lines.append(f"{heading} findings ({len(changes)}):")
        for change in changes:
            if side == "before":
                state = state_label(change.status_before, change.muted_before)
            else:
                state = state_label(change.status_after, change.muted_after)
            note = f"{when} {state}"
            if heading == "Unverified":
                note = "its check could not look this time: not known to be fixed"
            elif state == "absent":
                note = "not in the baseline" if side == "before" else "gone from the report"
            lines.append(
                f"  {change.severity.value:<8} {change.check_id:<9} "
                f"{inert(change.resource_name)}  {inert(change.title)}  ({note})"
            )
    return "\n".join(lines)


def _frame(report: Mapping[str, Any], source: str) -> pd.DataFrame:
    """The findings of a report ``read_report`` gave, as a DataFrame of ``FINDING_KEYS``.

    Indexed by ``finding_id``; every finding's ``FINDING_KEYS`` are checked for type and
    value first (column by column: a row at a time is slow at tens of thousands).
    """
    findings = report["findings"]
    frame = pd.DataFrame.from_records(findings, columns=list(FINDING_KEYS))
    for key in _TEXT_KEYS:
        column = frame[key]
        if isinstance(column.dtype, pd.StringDtype):  # only strings (and NaN for missing)
            text_ok = column.notna().to_numpy(bool)
        else:
            text_ok = _each(column, lambda v: isinstance(v, str))
        _require(findings, key, text_ok, source)
    muted = frame["muted"]
    if muted.dtype == np.dtype(bool):  # only True and False
        muted_ok = np.ones(len(muted), dtype=bool)
    else:
        muted_ok = _each(muted, lambda v: isinstance(v, bool | np.bool_))
    _require(findings, "muted", muted_ok, source)
    _require(findings, "severity", frame["severity"].isin(_SEVERITIES).to_numpy(bool), source)
    _require(findings, "status", frame["status"].isin(_STATUSES).to_numpy(bool), source)
    duplicated = frame["finding_id"].duplicated()
    if duplicated.any():
        repeat = frame["finding_id"][duplicated].iloc[0]
        raise DiffError(f"{source}: finding_id {inert(repeat)} appears more than once")
    frame["open"] = frame["status"].eq(Status.FAIL.value) & ~frame["muted"].astype(bool)
    return frame.set_index("finding_id")


def _each(column: pd.Series[Any], test: Callable[[Any], bool]) -> npt.NDArray[np.bool_]:
    """``test`` of every value; over a plain list, as iterating pandas' arrays is slow."""
    return np.fromiter((test(v) for v in column.tolist()), dtype=bool, count=len(column))


def _require(findings: list[Any], key: str, ok: Any, source: str) -> None:
    """Raise naming the first finding whose ``key`` fails the row-wise test ``ok``."""
    if not ok.all():
        index = int((~ok).nonzero()[0][0])
        finding = findings[index]
        shown = repr(finding[key])[:60] if key in finding else "missing"
        raise DiffError(f"{source}: findings[{index}].{key} is invalid ({inert(shown)})")


def _changes(rows: pd.DataFrame, side: str) -> tuple[FindingChange, ...]:
    """``FindingChange`` for each row, described by the run (``side``) in which it is open."""
    if rows.empty:
        return ()
    ordered = rows.assign(
        _rank=rows[f"severity{side}"].map(_RANK),
        _check=rows[f"check_id{side}"],
        _name=rows[f"resource_name{side}"],
        _id=rows.index,
    ).sort_values(["_rank", "_check", "_name", "_id"], ascending=[False, True, True, True])
    # Column by column: iterrows would build a Series per finding, far too slow at scale.
    names = (
        f"check_id{side}",
        f"severity{side}",
        f"resource_arn{side}",
        f"resource_name{side}",
        f"title{side}",
        "status_before",
        "muted_before",
        "status_after",
        "muted_after",
    )
    columns = zip(ordered.index.tolist(), *(ordered[n].tolist() for n in names), strict=True)
    return tuple(
        FindingChange(
            finding_id=str(finding_id),
            check_id=str(check_id),
            severity=_SEVERITY[severity],
            resource_arn=str(arn),
            resource_name=str(name),
            title=str(title),
            status_before=_status(status_before),
            muted_before=_flag(muted_before),
            status_after=_status(status_after),
            muted_after=_flag(muted_after),
        )
        for (
            finding_id,
            check_id,
            severity,
            arn,
            name,
            title,
            status_before,
            muted_before,
            status_after,
            muted_after,
        ) in columns
    )


def _status(value: Any) -> Status | None:
    return _STATUS[value] if isinstance(value, str) else None


def _flag(value: Any) -> bool:
    """A ``muted`` cell: numpy or Python bool, or NaN for a finding absent from that run."""
    return isinstance(value, bool | np.bool_) and bool(value)
