"""Renderers: a ``Report`` in, file contents out (name -> bytes); they never open files.

``render(report, formats, options)`` is what the CLI, the Lambda handler and the
Organization runner call; a sink (``auditor.sink``) then writes the returned mapping. Each
format lives in its own module: ``json_report``, ``csv_report`` and ``html_report`` (the
default three), ``cis`` (the CIS compliance export, two files per benchmark), ``ocsf``
(OCSF Detection Findings for a SIEM) and ``asff`` (AWS Security Finding Format for Security
Hub). ``RenderOptions`` carries what some formats need beyond the report: which benchmark
versions the CIS export covers, and the region ASFF's product ARN and OCSF's cloud object
name.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from auditor.model import Report
from auditor.report.asff import render_asff
from auditor.report.cis import DEFAULT_BENCHMARK, render_cis
from auditor.report.csv_report import render_csv
from auditor.report.html_report import render_html
from auditor.report.json_report import render_json
from auditor.report.ocsf import render_ocsf

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

_RENDERERS: dict[Format, Callable[[Report, RenderOptions], dict[str, bytes]]] = {
    Format.JSON: lambda report, _: {FILENAMES[Format.JSON]: render_json(report)},
    Format.CSV: lambda report, _: {FILENAMES[Format.CSV]: render_csv(report)},
    Format.HTML: lambda report, _: {FILENAMES[Format.HTML]: render_html(report)},
    Format.CIS: lambda report, options: render_cis(report, options.compliance),
    Format.OCSF: lambda report, options: {
        FILENAMES[Format.OCSF]: render_ocsf(report, region=options.region)
    },
    Format.ASFF: lambda report, options: {
        FILENAMES[Format.ASFF]: render_asff(report, region=options.region)
    },
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
) -> dict[str, bytes]:
    """Render ``report`` in each format: ``{file name: content}``, in the order given."""
    chosen = options or RenderOptions()
    out: dict[str, bytes] = {}
    for fmt in formats:
        out.update(_RENDERERS[fmt](report, chosen))
    return out
