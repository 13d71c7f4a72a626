"""Renderers: a ``Report`` in, file contents out; they never open files.

``render(report, formats, options)`` is what the CLI, the Lambda handler and the
Organization runner call; a sink (``auditor.sink``) then writes the returned mapping. It is
lazy: each file name maps to a producer (``Producer``), a callable that renders that file
as a stream of byte chunks when the sink calls it, so a file is written a few hundred
findings at a time and never held whole, and nothing of a format not asked for is
rendered. The renderers import their heavy libraries only when they render (pandas for
CSV, Jinja for the HTML pages), so importing this package costs little.
``as_bytes`` turns such a mapping into whole files, for tests and small callers.

Each format lives in its own module, with a ``stream_<format>`` generator and a
``render_<format>`` that joins it: ``json_report``, ``csv_report`` and ``html_report``
(the default three), ``cis`` (the CIS compliance export, two small files per benchmark,
``cis_files``), ``ocsf`` (OCSF Detection Findings for a SIEM) and ``asff`` (AWS Security
Finding Format for Security Hub). ``RenderOptions`` carries what some formats need beyond
the report: which benchmark versions the CIS export covers, and the region ASFF's product
ARN and OCSF's cloud object name.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial

from auditor.model import Report
from auditor.report.asff import stream_asff
from auditor.report.cis import DEFAULT_BENCHMARK, cis_files
from auditor.report.csv_report import stream_csv
from auditor.report.html_report import stream_html
from auditor.report.json_report import stream_json
from auditor.report.ocsf import stream_ocsf

Producer = Callable[[], Iterator[bytes]]
"""One rendered file, on demand: each call renders it anew and yields its bytes in order."""

DEFAULT_REGION = "us-east-1"


class Format(enum.Enum):
    """A report format, as named on the command line (``--format json,csv,html``)."""

    JSON = "json"
    CSV = "csv"
    HTML = "html"
    CIS = "cis"
    OCSF = "ocsf"
    ASFF = "asff"


DEFAULT_FORMATS: tuple[Format, ...] = (Format.JSON, Format.CSV, Format.HTML)


@dataclass(frozen=True)
class RenderOptions:
    """What some formats need besides the report.

    ``compliance``: the CIS benchmark versions the ``cis`` format exports (keys of
    ``auditor.report.cis.benchmarks()``, e.g. ``cis-7.0``), one CSV and one HTML each.
    ``region``: the region named in ASFF (product ARN, resources) and OCSF (``cloud``);
    IAM is global, so this is where the findings are sent or filed, not where they are.
    """

    compliance: tuple[str, ...] = (DEFAULT_BENCHMARK,)
    region: str = DEFAULT_REGION


# Formats that write exactly one file, by its name.
FILENAMES: dict[Format, str] = {
    Format.JSON: "report.json",
    Format.CSV: "report.csv",
    Format.HTML: "report.html",
    Format.OCSF: "report.ocsf.json",
    Format.ASFF: "report.asff.json",
}


# The formats that write one file: how to stream it.
_STREAMS: dict[Format, Callable[[Report, RenderOptions], Iterator[bytes]]] = {
    Format.JSON: lambda report, _: stream_json(report),
    Format.CSV: lambda report, _: stream_csv(report),
    Format.HTML: lambda report, _: stream_html(report),
    Format.OCSF: lambda report, options: stream_ocsf(report, region=options.region),
    Format.ASFF: lambda report, options: stream_asff(report, region=options.region),
}


def parse_formats(text: str) -> tuple[Format, ...]:
    """``"json,csv,html"`` -> formats in the order given, duplicates dropped.

    Case and spaces around names are ignored. An empty list or an unknown name raises
    ``ValueError`` naming the offending value and the valid ones.
    """
    valid = ", ".join(f.value for f in Format)
    names = [part.strip().lower() for part in text.split(",")]
    if not any(names):
        raise ValueError(f"no report format given; expected a comma-separated list of {valid}")
    formats: list[Format] = []
    for name in names:
        if not name:
            raise ValueError(f"empty report format in {text!r}; expected names from {valid}")
        try:
            fmt = Format(name)
        except ValueError:
            raise ValueError(f"unknown report format {name!r}; expected one of {valid}") from None
        if fmt not in formats:
            formats.append(fmt)
    return tuple(formats)


def render(
    report: Report, formats: Iterable[Format], options: RenderOptions | None = None
) -> dict[str, Producer]:
    """``{file name: producer}`` for each format, in the order given; nothing rendered yet.

    A sink renders each file when it writes it (``auditor.sink``); ``as_bytes`` renders
    them all at once. An unknown CIS benchmark raises ``ValueError`` here, not mid-write.
    """
    chosen = options or RenderOptions()
    out: dict[str, Producer] = {}
    for fmt in formats:
        if fmt is Format.CIS:
            out.update(cis_files(report, chosen.compliance))
        else:
            out[FILENAMES[fmt]] = partial(_STREAMS[fmt], report, chosen)
    return out


def as_bytes(files: Mapping[str, bytes | Callable[[], Iterable[bytes]]]) -> dict[str, bytes]:
    """Every file of ``render`` (or of any sink-ready mapping) rendered whole, by name."""
    return {
        name: content if isinstance(content, bytes) else b"".join(content())
        for name, content in files.items()
    }
