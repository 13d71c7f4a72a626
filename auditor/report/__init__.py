"""Renderers: a ``Report`` in, file contents out; they never open files.

``render`` maps each requested file name to a ``Producer`` that yields the file's bytes a few
hundred findings at a time when a sink (``auditor.sink``) writes it, so no file is held whole
and a format nobody asked for is neither rendered nor imported. Each format's module has a
``stream_<format>`` generator; ``as_bytes`` joins the producers for tests.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial

from auditor.errors import UsageError
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
        raise UsageError(f"no report format given; expected a comma-separated list of {valid}")
    formats: list[Format] = []
    for name in names:
        if not name:
            raise UsageError(f"empty report format in {text!r}; expected names from {valid}")
        try:
            fmt = Format(name)
        except ValueError:
            raise UsageError(f"unknown report format {name!r}; expected one of {valid}") from None
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
