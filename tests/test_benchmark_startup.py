"""The start-up benchmark's machinery: reading ``-X importtime``, judging, the table.

It checks what the benchmark reports (which modules a command imported), never how long
anything took.
"""

from __future__ import annotations

from benchmarks.startup import (
    Startup,
    heavy_of,
    imported_modules,
    markdown_table,
    measure,
    problems,
)

IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       120 |        120 |   _io
import time:      2000 |      35000 |     botocore.session
import time:       500 |      41000 |   boto3
import time:      3000 |      90000 | auditor.cli
"""


def test_importtime_lines_are_read_as_cumulative_seconds() -> None:
    modules = imported_modules(IMPORTTIME)

    assert modules == {
        "_io": 0.00012,
        "botocore.session": 0.035,
        "boto3": 0.041,
        "auditor.cli": 0.09,
    }
    assert heavy_of(modules) == ("boto3", "botocore")
    assert heavy_of({"auditor.cli": 0.09, "jsonschema": 0.01}) == ()


def startup(seconds: float, heavy: tuple[str, ...] = ()) -> Startup:
    return Startup(("checks",), seconds, 3, heavy, 0.08)


def test_a_slow_or_heavy_command_is_a_problem() -> None:
    assert problems([startup(0.1)], 0.5) == []
    assert problems([startup(0.7)], 0.5) == ["iam-auditor checks takes 0.70 s (budget 0.5 s)"]
    assert problems([startup(0.1, ("pandas",))], 0.5) == ["iam-auditor checks imports pandas"]


def test_the_table_names_each_command_and_the_kind_of_start() -> None:
    table = markdown_table([startup(0.123), startup(0.2, ("jinja2",))], bytecode=False)

    assert "| `iam-auditor checks` | 0.123 | 3 | 0.080 | none |" in table
    assert "| jinja2 |" in table
    assert "no bytecode written" in table


def test_version_imports_no_heavy_module() -> None:
    result = measure(("--version",), repeat=1)

    assert result.heavy_imported == ()
    assert result.cli_import_seconds is not None
    assert result.runs == 1
