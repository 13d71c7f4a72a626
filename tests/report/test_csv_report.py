"""report.csv: one row per finding, BOM + CRLF, every cell inert for spreadsheets."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from report_samples import HOSTILE, MakeFinding, MakeReport

from auditor.model import Compliance, Report, Status
from auditor.report.common import ITEMS_PER_CHUNK, ordered_findings
from auditor.report.csv_report import COLUMNS, finding_row, neutralise, render_csv, stream_csv

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXPECTED_COLUMNS = [
    "finding_id", "check_id", "slug", "title", "severity", "base_severity", "status", "muted",
    "mute_reason", "resource_type", "resource_arn", "resource_name", "detail", "remediation",
    "compliance", "evidence",
]  # fmt: skip


def _parse(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == EXPECTED_COLUMNS
    return list(reader)


def _assert_inert(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_START), (column, cell)
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), (column, cell)


def test_columns_constant_matches_contract() -> None:
    assert list(COLUMNS) == EXPECTED_COLUMNS


def test_one_row_per_finding_in_report_order(sample_report: Report) -> None:
    rows = _parse(render_csv(sample_report))
    assert len(rows) == len(sample_report.findings)
    assert [r["finding_id"] for r in rows] == [
        f.finding_id for f in ordered_findings(sample_report.findings)
    ]


def test_values_round_trip(sample_report: Report) -> None:
    rows = {r["finding_id"]: r for r in _parse(render_csv(sample_report))}
    for f in sample_report.findings:
        row = rows[f.finding_id]
        assert row["check_id"] == f.check_id
        assert row["slug"] == f.slug
        assert row["title"] == f.title
        assert row["severity"] == f.severity.value
        assert row["base_severity"] == f.base_severity.value
        assert row["status"] == f.status.value
        assert row["muted"] == ("true" if f.muted else "false")
        assert row["mute_reason"] == (f.mute_reason or "")
        assert row["resource_type"] == f.resource_type.value
        assert row["resource_arn"] == f.resource_arn
        assert row["resource_name"] == f.resource_name
        assert row["detail"] == f.detail
        assert row["remediation"] == f.remediation
        assert json.loads(row["evidence"]) == dict(f.evidence)
    bob = next(r for r in rows.values() if r["resource_name"] == "bob")
    assert bob["compliance"] == "CIS-7.0:2.12; CIS-5.0:1.13; AWS-FSBP:IAM.3"
    assert bob["detail"] == "Access key 1 (AKIA…WXYZ) is 120 days old; limit is 90."


def test_crlf_rows_and_pandas_reads_it_back(sample_report: Report) -> None:
    data = render_csv(sample_report)
    assert data.count(b"\r\n") == len(sample_report.findings) + 1
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert list(frame.columns) == EXPECTED_COLUMNS
    assert len(frame) == len(sample_report.findings)
    assert frame["check_id"].tolist() == [
        f.check_id for f in ordered_findings(sample_report.findings)
    ]


def test_empty_report_has_header_only(make_report: MakeReport) -> None:
    assert _parse(render_csv(make_report([]))) == []


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_prefix_neutralised_in_every_column(
    prefix: str, make_report: MakeReport, make_finding: MakeFinding
) -> None:
    payload = prefix + "cmd|' /C calc'!A0"
    finding = make_finding(
        check_id=payload,
        slug=payload,
        title=payload,
        resource_arn=payload,
        resource_name=payload,
        detail=payload,
        remediation=payload,
        muted=True,
        mute_reason=payload,
        evidence={payload: payload},
        compliance=Compliance(cis_7=(payload,)),
    )
    report = make_report([finding, make_finding(status=Status.PASS)])
    rows = _parse(render_csv(report))
    assert len(rows) == 2
    _assert_inert(rows)
    row = next(r for r in rows if r["slug"] != "slug-key-002")
    for column in (
        "check_id", "slug", "title", "resource_arn", "resource_name", "detail", "remediation",
        "mute_reason",
    ):  # fmt: skip
        assert row[column] == "'" + payload, column
    assert row["compliance"] == "CIS-7.0:" + payload  # does not start with the prefix
    assert json.loads(row["evidence"]) == {payload: payload}


def test_hostile_strings_in_every_column_stay_inert(hostile_report: Report) -> None:
    rows = _parse(render_csv(hostile_report))
    assert len(rows) == len(hostile_report.findings)
    _assert_inert(rows)
    for payload in HOSTILE:
        expected = neutralise(payload)
        matching = [r for r in rows if r["resource_name"] == expected]
        assert len(matching) == 2, payload
        for row in matching:
            assert row["title"] == row["detail"] == row["remediation"] == expected
            assert json.loads(row["evidence"])["name"] == payload


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\rfoo", "'\rfoo"),
        (" =1+1", "' =1+1"),
        ("\n@cmd", "'\n@cmd"),
        ("alice", "alice"),
        ("a=b", "a=b"),
        ("", ""),
        ("'=already", "'=already"),
        ('{"a": "=x"}', '{"a": "=x"}'),
    ],
)
def test_neutralise(cell: str, expected: str) -> None:
    assert neutralise(cell) == expected


def test_check_metadata_leaves_the_csv_unchanged(
    sample_report: Report, checks_report: Report
) -> None:
    assert checks_report.checks and not sample_report.checks
    assert render_csv(checks_report) == render_csv(sample_report)


def _one_frame(report: Report) -> bytes:
    """report.csv as it was written before streaming: every row in a single DataFrame."""
    rows = [finding_row(f) for f in ordered_findings(report.findings)]
    frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
    return b"\xef\xbb\xbf" + frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


@pytest.mark.parametrize("per_chunk", [1, 7, ITEMS_PER_CHUNK])
def test_chunks_join_to_what_one_frame_writes(
    per_chunk: int, demo_report: Report, hostile_report: Report, make_report: MakeReport
) -> None:
    """Header once, BOM once, CRLF and neutralising unchanged, however the rows are cut."""
    for report in (demo_report, hostile_report, make_report([])):
        chunks = list(stream_csv(report, per_chunk))
        assert b"".join(chunks) == _one_frame(report)
        # The BOM, then one chunk per per_chunk findings (the header rides on the first).
        assert len(chunks) == 1 + max(1, -(-len(report.findings) // per_chunk))
        assert sum(chunk.count(b"finding_id,check_id") for chunk in chunks) == 1
