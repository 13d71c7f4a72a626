"""The light commands start light: ``--version`` and ``checks`` import no AWS SDK, no
pandas and no Jinja, which only collecting and writing reports need.

Asserted on ``sys.modules`` of a fresh interpreter, which is deterministic, rather than by
timing the start-up (that belongs in benchmarks).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("boto3", "botocore", "pandas", "jinja2")

PROBE = textwrap.dedent(
    """
    import contextlib, io, json, sys
    {setup}
    from auditor.cli import main
    with contextlib.redirect_stdout(io.StringIO()) as out:
        try:
            code = main({argv!r})
        except SystemExit as exc:
            code = exc.code
    print(json.dumps({{"code": code, "printed": out.getvalue(),
                      "heavy": sorted(m for m in {heavy!r} if m in sys.modules)}}))
    """
)


def run_cli(argv: list[str], setup: str = "") -> dict[str, object]:
    code = PROBE.format(argv=argv, heavy=HEAVY, setup=setup)
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own probe
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    ("argv", "expected"),
    [(["--version"], "iam-auditor "), (["checks"], "ROOT-001"), (["checks", "--json"], '"id"')],
)
def test_light_commands_import_no_heavy_library(argv: list[str], expected: str) -> None:
    result = run_cli(argv)

    assert result["code"] == 0
    assert expected in str(result["printed"])
    assert result["heavy"] == []


def test_the_probe_sees_a_heavy_import() -> None:
    """The check above can fail: an eager import of the collector would show up."""
    result = run_cli(["--version"], setup="import auditor.collect")

    assert result["code"] == 0
    assert {"boto3", "botocore"} <= set(result["heavy"])  # type: ignore[arg-type]
