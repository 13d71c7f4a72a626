"""Helpers for the end-to-end audits: run the CLI, read report.json, compare with a table.

An end-to-end test builds one account on the moto server, audits it once through the
installed ``iam-auditor`` and then checks many situations against the one report. Each
situation is an ``Expect`` row naming the check, the resource and (for per-key or
per-region findings) the evidence that picks one finding out; ``mismatches`` compares the
whole table and returns every row that did not hold, so one failed run says everything
that is wrong at once instead of stopping at the first difference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.report.json_read import read_report

PASS = "PASS"
FAIL = "FAIL"
ERROR = "ERROR"
ABSENT = None
"""An ``Expect`` status meaning: no finding of this check matches the row."""

ACCOUNT_ID = "123456789012"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT_ID}:root"
REPORT_FILES = ("report.json", "report.csv", "report.html")

# The checks the core audit ships; each needs a PASS and a FAIL built through the API.
CORE_CHECKS = (
    *(f"ROOT-00{n}" for n in range(1, 6)),
    *(f"PWD-00{n}" for n in range(1, 6)),
    *(f"USER-00{n}" for n in range(1, 9)),
    *(f"KEY-00{n}" for n in range(1, 5)),
    "PERM-001",
    "PERM-002",
    "PERM-009",
    "ROLE-015",
    "ROLE-016",
    "AA-001",
    "CERT-001",
    "CERT-002",
    "FED-001",
)

# Satisfies any password policy the tests set: moto checks login profiles against it.
PASSWORD = "Str0ng-Passw0rd!-for-tests"

CLI = Path(sys.executable).parent / "iam-auditor"


@dataclass(frozen=True)
class Expect:
    """One situation's expected verdict.

    ``resource`` is the finding's ``resource_name`` (a user, role, group, certificate,
    region, the account id or ``root``). ``evidence`` must be a subset of the finding's
    evidence and selects among several findings of one resource (``{"key": 2}``).
    ``status`` ``ABSENT`` means no finding matches at all. ``severity`` and ``detail``
    (a substring) are checked when given.
    """

    check: str
    resource: str
    status: str | None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    severity: str | None = None
    detail: str | None = None

    def __str__(self) -> str:
        extra = f" {dict(self.evidence)}" if self.evidence else ""
        return f"{self.check} {self.resource}{extra}"


@dataclass(frozen=True)
class AuditRun:
    """A finished CLI run and, when it wrote one, its report.json read back (``read_report``)."""

    proc: subprocess.CompletedProcess[str]
    output_dir: Path
    report: dict[str, Any] | None

    @property
    def findings(self) -> list[dict[str, Any]]:
        """The report's findings; fails the test if no report was written."""
        assert self.report is not None, f"no report.json; stderr:\n{self.proc.stderr}"
        found: list[dict[str, Any]] = self.report["findings"]
        return found


RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


def audit(run_cli: RunCli, output_dir: Path, *args: str | Path, **kwargs: Any) -> AuditRun:
    """``iam-auditor audit --output-dir DIR ARGS`` through ``run_cli``; report.json parsed."""
    proc = run_cli("audit", "--output-dir", output_dir, *args, **kwargs)
    return AuditRun(proc=proc, output_dir=output_dir, report=read_report_file(output_dir))


def read_report_file(output_dir: Path) -> dict[str, Any] | None:
    """``output_dir``'s report.json with every finding complete (version 1's shape), if any."""
    path = output_dir / "report.json"
    if not path.exists():
        return None
    return read_report(json.loads(path.read_text(encoding="utf-8")), str(path))


def matching(findings: Iterable[Mapping[str, Any]], row: Expect) -> list[Mapping[str, Any]]:
    """The findings of ``row``'s check on ``row``'s resource whose evidence contains its own."""
    return [
        f
        for f in findings
        if f["check_id"] == row.check
        and f["resource_name"] == row.resource
        and all(f["evidence"].get(k) == v for k, v in row.evidence.items())
    ]


def mismatches(findings: Sequence[Mapping[str, Any]], table: Iterable[Expect]) -> list[str]:
    """Every row of ``table`` the findings contradict, one readable line each."""
    problems = []
    for row in table:
        found = matching(findings, row)
        if row.status is ABSENT:
            if found:
                problems.append(f"{row}: expected no finding, got {_brief(found)}")
            continue
        if len(found) != 1:
            problems.append(f"{row}: expected one {row.status} finding, got {_brief(found)}")
            continue
        (finding,) = found
        if finding["status"] != row.status:
            problems.append(f"{row}: expected {row.status}, got {_brief(found)}")
        if row.severity is not None and finding["severity"] != row.severity:
            problems.append(f"{row}: expected severity {row.severity}, got {finding['severity']}")
        if row.detail is not None and row.detail not in finding["detail"]:
            problems.append(f"{row}: detail {finding['detail']!r} lacks {row.detail!r}")
    return problems


def _brief(found: Sequence[Mapping[str, Any]]) -> str:
    if not found:
        return "none"
    return "; ".join(f"{f['status']} {f['detail']!r} {dict(f['evidence'])}" for f in found)


def assert_table(run: AuditRun, table: Sequence[Expect]) -> None:
    """Fail listing every row of ``table`` that ``run``'s report contradicts."""
    problems = mismatches(run.findings, table)
    assert not problems, "\n".join(
        [f"{len(problems)} of {len(table)} expectations failed:", *problems]
    )


def statuses_by_check(table: Iterable[Expect]) -> dict[str, set[str]]:
    """``{check_id: {statuses a table expects}}``, to prove a table covers PASS and FAIL."""
    out: dict[str, set[str]] = {}
    for row in table:
        if row.status is not ABSENT:
            out.setdefault(row.check, set()).add(row.status)
    return out


# --- policy documents ------------------------------------------------------------------------


def policy_doc(*statements: Mapping[str, Any]) -> str:
    """A policy document (JSON text) of ``statements``."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    """One Allow statement."""
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def trust(principal: Mapping[str, str], action: str = "sts:AssumeRole") -> str:
    """A trust policy letting ``principal`` assume the role."""
    return policy_doc({"Effect": "Allow", "Principal": dict(principal), "Action": action})


# --- running the CLI outside the harness's environment ---------------------------------------


def bare_env(**extra: str) -> dict[str, str]:
    """This process's environment without any AWS setting, with ``~/.aws`` and IMDS shut off.

    For the runs that must find no credentials, no profile or a dead endpoint: nothing of
    the harness's fake credentials or endpoints is in it unless ``extra`` adds it back.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BOTO"))}
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
    )
    env.update(extra)
    return env


def run_bare(
    *args: str | Path,
    env: Mapping[str, str],
    cwd: Path,
    timeout: float = 120,
    cli: Path = CLI,
) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI (or ``cli``) with exactly ``env``: no harness endpoints or keys."""
    return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(cli), *map(str, args)],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a usage/credential failure; asserts exit 2 and no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("iam-auditor: error: "), lines[0]
    assert proc.stdout == ""
    return lines[0]
