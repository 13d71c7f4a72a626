"""Bad configuration and bad flags: one line naming the problem, exit 2, nothing touched.

Each case runs the installed CLI against an output directory that already holds the
previous run's reports. Whatever is wrong - a malformed config file, a flag with a bad
value, an unknown flag - the run must stop before any AWS call, print exactly one
``iam-auditor: error: ...`` line that names the problem (for a config file: the file, the
line and the key), exit 2, and leave the previous reports byte for byte and mtime for mtime
as they were, with no new file beside them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.server import MotoServer

from .audit_helpers import REPORT_FILES, one_error_line
from .conftest import RunCli

MUTE = 'check = "KEY-002"\nresource = "arn:aws:iam::*:user/legacy-*"\nreason = "SEC-123"\n'


@dataclass(frozen=True)
class Case:
    """One bad invocation: the command line and what the error line must say.

    ``config`` is written to ``config.toml`` and passed with ``--config`` when given;
    ``says`` are fragments the one error line must contain (``{config}`` is its path).
    """

    args: tuple[str, ...]
    says: tuple[str, ...]
    config: str | None = None
    command: str = "audit"


CASES = {
    "toml-syntax-error": Case(
        (), ("{config}:2: TOML syntax error",), config="[thresholds]\nkey_rotation_days = \n"
    ),
    "unknown-key": Case(
        (),
        ("{config}:3: [thresholds] key_rotaton_days: unknown key", "key_rotation_days"),
        config="[thresholds]\nkey_rotation_days = 90\nkey_rotaton_days = 30\n",
    ),
    "wrong-type": Case(
        (),
        (
            "{config}:2: [thresholds] role_unused_days: expected a positive integer",
            'got string "90"',
        ),
        config='[thresholds]\nrole_unused_days = "90"\n',
    ),
    "unknown-check-id": Case(
        (),
        ("{config}:1: [checks] KEY-099: unknown check id",),
        config="[checks.KEY-099]\nenabled = false\n",
    ),
    "bad-glob-in-mute": Case(
        (),
        ("{config}:3: [[mute]] #1 resource: bad ARN glob", "never closed"),
        config='[[mute]]\ncheck = "KEY-002"\nresource = "arn:aws:iam::*:user/[ab"\nreason = "r"\n',
    ),
    "past-date-mute": Case(
        (),
        ("{config}:5: [[mute]] #1 expires:", "expired on 2020-01-31", "KEY-002"),
        config=f"[[mute]]\n{MUTE}expires = 2020-01-31\n",
    ),
    "unreadable-config": Case(("--config", "{tmp}"), ("cannot read config file",)),
    "missing-config": Case(("--config", "{tmp}/nope.toml"), ("nope.toml: config file not found",)),
    "bad-format": Case(("--format", "json,pdf"), ("unknown report format 'pdf'",)),
    "bad-fail-on": Case(("--fail-on", "huge"), ("--fail-on", "'huge'")),
    "bad-checks": Case(("--checks", "KEY-002,NOPE-001"), ("unknown check 'NOPE-001'",)),
    "bad-compliance": Case(
        ("--format", "cis", "--compliance", "cis-9"), ("unknown compliance benchmark 'cis-9'",)
    ),
    "missing-baseline": Case(
        ("--baseline", "{tmp}/old/report.json"), ("--baseline", "old/report.json")
    ),
    "unknown-flag": Case(("--outptu-dir", "x"), ("unrecognized arguments: --outptu-dir",)),
    "org-max-workers-0": Case(("--max-workers", "0"), ("--max-workers", "'0'"), command="org"),
    "org-bad-fail-on": Case(("--fail-on", "urgent"), ("--fail-on", "'urgent'"), command="org"),
}


def _seed(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Previous reports, backdated so any rewrite would show in the mtime; their state."""
    directory.mkdir(mode=0o700)
    for name in REPORT_FILES:
        path = directory / name
        path.write_bytes(f"previous {name}\n".encode())
        path.chmod(0o600)
        os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    return _state(directory)


def _state(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_invocation_is_one_line_exit_2_and_leaves_reports(
    case: Case, run_cli: RunCli, server: MotoServer, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    before = _seed(out)
    config = tmp_path / "config.toml"
    args = [a.replace("{tmp}", str(tmp_path)) for a in case.args]
    if case.config is not None:
        config.write_text(case.config, encoding="utf-8")
        args += ["--config", str(config)]

    proc = run_cli(case.command, "--output-dir", out, *args)

    line = one_error_line(proc)  # exit 2, one line on stderr, nothing on stdout
    for fragment in case.says:
        assert fragment.format(config=config) in line, line
    assert _state(out) == before  # same files, same bytes, same mtimes
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["reports", *(["config.toml"] if case.config is not None else [])]
    )
    assert server.calls() == {}  # stopped before any AWS call
