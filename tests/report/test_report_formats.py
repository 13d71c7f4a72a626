"""auditor.report: format names, file names, parse_formats and render()."""

from __future__ import annotations

import pytest

from auditor.model import Report
from auditor.report import FILENAMES, Format, parse_formats, render
from auditor.report.csv_report import render_csv
from auditor.report.html_report import render_html
from auditor.report.json_report import render_json


def test_formats_and_file_names() -> None:
    assert [f.value for f in Format] == ["json", "csv", "html", "cis", "ocsf", "asff"]
    # CIS writes two files per benchmark (tests/report/test_cis.py), so it has no one name.
    assert FILENAMES == {
        Format.JSON: "report.json",
        Format.CSV: "report.csv",
        Format.HTML: "report.html",
        Format.OCSF: "report.ocsf.json",
        Format.ASFF: "report.asff.json",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("json,csv,html", (Format.JSON, Format.CSV, Format.HTML)),
        ("html", (Format.HTML,)),
        (" CSV , Json ", (Format.CSV, Format.JSON)),
        ("json,json,csv,json", (Format.JSON, Format.CSV)),
    ],
)
def test_parse_formats(text: str, expected: tuple[Format, ...]) -> None:
    assert parse_formats(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("json,xml", r"unknown report format 'xml'; expected one of json, csv, html"),
        ("pdf", r"unknown report format 'pdf'"),
        ("", r"no report format given"),
        (" , ", r"no report format given"),
        ("json,,csv", r"empty report format in 'json,,csv'"),
    ],
)
def test_parse_formats_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_formats(text)


def test_render_returns_each_requested_file(sample_report: Report) -> None:
    files = render(sample_report, [Format.HTML, Format.JSON])
    assert list(files) == ["report.html", "report.json"]
    assert files["report.json"] == render_json(sample_report)
    assert files["report.html"] == render_html(sample_report)


def test_render_all_formats(sample_report: Report) -> None:
    files = render(sample_report, parse_formats("json,csv,html"))
    assert files == {
        "report.json": render_json(sample_report),
        "report.csv": render_csv(sample_report),
        "report.html": render_html(sample_report),
    }
    assert all(isinstance(content, bytes) and content for content in files.values())


def test_render_nothing(sample_report: Report) -> None:
    assert render(sample_report, []) == {}
