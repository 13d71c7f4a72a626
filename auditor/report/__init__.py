"""Renderers: a ``Report`` in, file contents out (name -> bytes); they never open files.

``render(report, formats)`` is what the CLI, the Lambda handler and the Organization
runner call; a sink (``auditor.sink``) then writes the returned mapping. Each format lives
in its own module (``json_report``, ``csv_report``, ``html_report``) so a new one (CIS,
OCSF, ASFF) is a module plus one line in ``_RENDERERS``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable

from auditor.model import Report
from auditor.report.csv_report import render_csv
from auditor.report.html_report import render_html
from auditor.report.json_report import render_json


class Format(enum.Enum):
    """A report format, as named on the command line (``--format json,csv,html``)."""

    JSON = "json"
    CSV = "csv"
    HTML = "html"


FILENAMES: dict[Format, str] = {
    Format.JSON: "report.json",
    Format.CSV: "report.csv",
    Format.HTML: "report.html",
}

_RENDERERS: dict[Format, Callable[[Report], bytes]] = {
    Format.JSON: render_json,
    Format.CSV: render_csv,
    Format.HTML: render_html,
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


def render(report: Report, formats: Iterable[Format]) -> dict[str, bytes]:
    """Render ``report`` in each format: ``{file name: content}``, in the order given."""
    out: dict[str, bytes] = {}
    for fmt in formats:
        out[FILENAMES[fmt]] = _RENDERERS[fmt](report)
    return out
