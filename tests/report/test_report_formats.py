"""auditor.report: format names, file names, parse_formats, and render() - lazy, streaming,
rendering and importing only what is asked for."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from report_samples import MakeFinding, MakeReport

import auditor.report as report_package
from auditor.model import Report, Status
from auditor.report import FILENAMES, Format, RenderOptions, as_bytes, parse_formats, render
from auditor.report.cis import DEFAULT_BENCHMARK, filenames
from auditor.report.common import ITEMS_PER_CHUNK
from auditor.report.csv_report import render_csv
from auditor.report.html_report import CHUNK_CHARS, render_html, stream_html
from auditor.report.json_report import render_json

STREAMS = ("stream_json", "stream_csv", "stream_html", "stream_ocsf", "stream_asff")


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
    whole = as_bytes(files)
    assert whole["report.json"] == render_json(sample_report)
    assert whole["report.html"] == render_html(sample_report)


def test_render_all_formats(sample_report: Report) -> None:
    files = as_bytes(render(sample_report, parse_formats("json,csv,html")))
    assert files == {
        "report.json": render_json(sample_report),
        "report.csv": render_csv(sample_report),
        "report.html": render_html(sample_report),
    }
    assert all(isinstance(content, bytes) and content for content in files.values())


def test_render_nothing(sample_report: Report) -> None:
    assert render(sample_report, []) == {}


def test_render_renders_nothing_until_a_file_is_produced(
    sample_report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``render`` only names the files; each is rendered when (and each time) it is produced."""
    calls: list[str] = []
    real: dict[str, Callable[..., Iterator[bytes]]] = {
        name: getattr(report_package, name) for name in STREAMS
    }

    def spy(name: str) -> Callable[..., Iterator[bytes]]:
        def stream(*args: Any, **kwargs: Any) -> Iterator[bytes]:
            calls.append(name)
            return real[name](*args, **kwargs)

        return stream

    for name in STREAMS:
        monkeypatch.setattr(report_package, name, spy(name))
    files = render(sample_report, list(Format))
    assert calls == []
    assert b"".join(files["report.csv"]()) == render_csv(sample_report)
    assert calls == ["stream_csv"]
    as_bytes(files)
    assert sorted(calls) == sorted(["stream_csv", *STREAMS])


def test_render_names_an_unknown_benchmark_before_rendering(sample_report: Report) -> None:
    with pytest.raises(ValueError, match=r"unknown compliance benchmark 'cis-0\.1'"):
        render(sample_report, [Format.JSON, Format.CIS], RenderOptions(compliance=("cis-0.1",)))


def test_default_benchmark_is_the_cis_modules(sample_report: Report) -> None:
    assert RenderOptions().compliance == (DEFAULT_BENCHMARK,)
    assert list(render(sample_report, [Format.CIS])) == list(filenames(DEFAULT_BENCHMARK))


def _big_report(make_report: MakeReport, make_finding: MakeFinding, n: int) -> Report:
    statuses = (Status.FAIL, Status.PASS, Status.ERROR, Status.PASS)
    return make_report(
        make_finding(
            check_id=f"KEY-00{i % 3 + 1}",
            status=statuses[i % len(statuses)],
            resource_name=f"user-{i}",
            evidence={"key": 1, "age_days": i},
        )
        for i in range(n)
    )


@pytest.mark.parametrize("fmt", [Format.CSV, Format.OCSF, Format.ASFF])
def test_finding_formats_stream_a_few_hundred_findings_at_a_time(
    make_report: MakeReport, make_finding: MakeFinding, fmt: Format
) -> None:
    """Each finding is in one chunk, no chunk holds more than ``ITEMS_PER_CHUNK`` of them."""
    n = 3 * ITEMS_PER_CHUNK + 5
    report = _big_report(make_report, make_finding, n)
    [produce] = render(report, [fmt]).values()
    chunks = list(produce())
    ids = [f.finding_id.encode() for f in report.findings]
    per_chunk = [sum(i in chunk for i in ids) for chunk in chunks]
    assert sum(per_chunk) == n
    assert max(per_chunk) == ITEMS_PER_CHUNK
    assert b"".join(chunks) == as_bytes(render(report, [fmt]))[FILENAMES[fmt]]


def test_html_streams_in_bounded_chunks(make_report: MakeReport, make_finding: MakeFinding) -> None:
    report = _big_report(make_report, make_finding, 2 * ITEMS_PER_CHUNK)
    """Jinja's many small pieces are gathered: every chunk but the last is CHUNK_CHARS long
    or a little more (the piece that reached it), never the whole page."""
    texts = [chunk.decode("utf-8") for chunk in stream_html(report)]
    assert len(texts) > 1
    assert all(CHUNK_CHARS <= len(text) < 2 * CHUNK_CHARS for text in texts[:-1])
    assert 0 < len(texts[-1]) < 2 * CHUNK_CHARS


# What each format imports only when it renders. Checked in a fresh interpreter: this one
# has loaded everything already.
_IMPORTS = """
import sys
sys.path.insert(0, {samples!r})
from report_samples import sample_report
from auditor.report import Format, as_bytes, render

files = render(sample_report(), list(Format))
loaded = lambda: sorted(m for m in ("pandas", "jinja2") if m in sys.modules)
steps = [loaded()]
for name in ("report.json", "report.ocsf.json", "report.asff.json", "report.csv",
             "report.html"):
    as_bytes({{name: files[name]}})
    steps.append(loaded())
print(steps)
"""


def test_heavy_libraries_load_only_for_the_formats_that_need_them() -> None:
    code = _IMPORTS.format(samples=str(Path(__file__).parent))
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    steps = ast.literal_eval(done.stdout.strip())
    assert steps == [[], [], [], [], ["pandas"], ["jinja2", "pandas"]]
