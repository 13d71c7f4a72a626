"""Scale benchmark: API calls, wall time and peak memory of one audit, by account size.

For each size N: a fresh moto server (in this process) and Access Analyzer stub, an
account of N users (one access key each, a real virtual MFA device for each MFA user)
and N/5 roles built straight into moto's objects, then the installed ``iam-auditor
audit`` run as a subprocess against them, writing JSON, CSV and HTML. Measured:

- API calls, counted where they arrive (the moto server's WSGI app and the stub), so the
  count includes retries and does not depend on the auditor reporting honestly; the
  auditor's own count (``Snapshot.api_calls``) is shown next to it with ``--snapshot``;
- wall seconds of the CLI process;
- peak RSS of the CLI process, from the kernel's accounting of that one child (wait4).

Run ``python -m benchmarks.scale [--sizes 100,1000,5000]``; it prints a Markdown table,
and exits 1 when an IAM operation's calls grow with the account beyond the pages its size
needs (``unexplained_growth``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from auditor.testing import moto_account
from auditor.testing.access_analyzer import ANY_REGION, analyzer
from auditor.testing.server import access_analyzer_stub, cli_env, moto_server

DEFAULT_SIZES = (100, 1000, 5000)
# The largest page IAM's List* calls allow (MaxItems); the auditor asks for it.
IAM_PAGE_SIZE = 1000
VIRTUAL_MFA = "iam:ListVirtualMFADevices"
CLI = (str(Path(sys.executable).parent / "iam-auditor"),)
# Exit codes of a finished audit: clean, findings at or above --fail-on, incomplete.
AUDIT_DONE = frozenset({0, 1, 3})


@dataclass(frozen=True)
class ProcessStats:
    """How one child process ended and what it cost."""

    returncode: int
    wall_seconds: float
    peak_rss_bytes: int | None
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Measurement:
    """One size's result."""

    users: int
    roles: int
    api_calls: int
    calls_by_operation: Mapping[str, int]
    client_counted_calls: int | None
    wall_seconds: float
    peak_rss_bytes: int | None
    exit_code: int
    findings: int | None = None
    virtual_mfa_devices: int = 0

    @property
    def iam_calls(self) -> int:
        """Calls to IAM alone: the part that must not grow with the account."""
        return sum(n for op, n in self.calls_by_operation.items() if op.startswith("iam:"))


def pages(items: int) -> int:
    """Pages of ``IAM_PAGE_SIZE`` moto answers for ``items``: ⌈items/1000⌉, or one more.

    moto, unlike AWS, answers a full last page with a marker, then an empty page.
    """
    return items // IAM_PAGE_SIZE + 1


def unexplained_growth(results: Sequence[Measurement]) -> list[str]:
    """One line per IAM operation whose calls grow with the account more than pages do.

    Every IAM operation must cost what it costs for the smallest size, except
    ``ListVirtualMFADevices``, which may take the pages its devices need; moto answers
    ``GetAccountAuthorizationDetails`` in one page whatever the size.
    """
    if not results:
        return []
    smallest = min(results, key=lambda m: m.users)
    problems = []
    for m in results:
        for op, n in sorted(m.calls_by_operation.items()):
            if not op.startswith("iam:"):
                continue
            if op == VIRTUAL_MFA:
                allowed = pages(m.virtual_mfa_devices)
            else:
                allowed = smallest.calls_by_operation.get(op, 0)
            if n > allowed:
                problems.append(
                    f"{op}: {n} calls at {m.users} users, {allowed} expected "
                    f"({m.virtual_mfa_devices} virtual MFA devices)"
                )
    return problems


def parse_sizes(text: str) -> list[int]:
    """``"100,1000,5k"`` -> ``[100, 1000, 5000]``; positive integers only."""
    sizes = []
    for part in text.split(","):
        item = part.strip().lower()
        if not item:
            continue
        number = int(item[:-1]) * 1000 if item.endswith("k") else int(item)
        if number <= 0:
            raise ValueError(f"size must be positive: {part!r}")
        sizes.append(number)
    if not sizes:
        raise ValueError("no sizes given")
    return sizes


# Runs the measured command and reports on it. Linux charges a child with its parent's
# peak RSS at fork/exec time (the benchmark process holds the whole moto account), so the
# command is started from this small interpreter instead, which then reaps it with wait4:
# the grandchild's figure is its own. Writes {"returncode", "wall", "maxrss"} as JSON to
# the file named by its first argument.
_LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
maxrss = None
if hasattr(os, "wait4"):
    _, status, usage = os.wait4(proc.pid, 0)
    returncode, maxrss = os.waitstatus_to_exitcode(status), usage.ru_maxrss
    if sys.platform != "darwin":
        maxrss *= 1024  # Linux counts KiB, macOS bytes
else:
    returncode = proc.wait()
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as report:
    json.dump({"returncode": returncode, "wall": wall, "maxrss": maxrss}, report)
"""


def run_measured(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float = 3600
) -> ProcessStats:
    """Run ``argv`` to completion; its exit code, wall time, peak RSS and output.

    Peak RSS comes from the kernel's accounting of that one process (``wait4`` in a
    small launcher, see ``_LAUNCHER``), not from sampling. Output goes to files, not
    pipes, so a chatty command cannot block on a full pipe while we wait.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory(prefix="iam-auditor-bench-") as tmp,
    ):
        result = Path(tmp) / "result.json"
        launcher = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(result), *argv],
            env=dict(env),
            cwd=cwd,
            stdout=out,
            stderr=err,
            start_new_session=True,  # so a timeout can stop the command too
        )
        try:
            launcher.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
            raise TimeoutError(f"{argv[0]} ran longer than {timeout} s") from None
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        try:
            facts = json.loads(result.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            facts = None
        if not isinstance(facts, dict):
            raise RuntimeError(f"could not run {argv[0]}:\n{stderr[-2000:]}")
        return ProcessStats(
            returncode=int(facts["returncode"]),
            wall_seconds=float(facts["wall"]),
            peak_rss_bytes=None if facts["maxrss"] is None else int(facts["maxrss"]),
            stdout=out.read().decode("utf-8", "replace"),
            stderr=stderr,
        )


def client_counted_calls(
    report: Mapping[str, Any] | None, snapshot: Mapping[str, Any] | None
) -> int | None:
    """The auditor's own count of its API calls, from the report or a saved snapshot.

    ``report.json`` may carry ``api_calls`` (a total or a per-operation mapping); a
    snapshot always does (``Snapshot.api_calls``). None when neither says.
    """
    for source in (report, (snapshot or {}).get("snapshot")):
        if not isinstance(source, Mapping) or "api_calls" not in source:
            continue
        calls = source["api_calls"]
        if isinstance(calls, Mapping):
            return sum(int(n) for n in calls.values())
        if isinstance(calls, int):
            return calls
    return None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def measure(
    users: int,
    *,
    roles: int | None = None,
    cli: Sequence[str] = CLI,
    formats: str = "json,csv,html",
    snapshot: bool = False,
    timeout: float = 3600,
) -> Measurement:
    """Build an account of ``users`` users and audit it once with ``cli``; measure it."""
    role_count = users // 5 if roles is None else roles
    with (
        moto_server() as server,
        access_analyzer_stub({ANY_REGION: [analyzer("Benchmark")]}) as stub,
        tempfile.TemporaryDirectory(prefix="iam-auditor-bench-") as tmp,
    ):
        server.reset()  # moto's backends are per process, not per server: start empty
        made = moto_account.bulk_create(users=users, roles=role_count, keys_per_user=1)
        moto_account.set_root_state(access_keys_present=False, mfa_enabled=True)
        server.recorder.clear()
        out_dir = Path(tmp) / "reports"
        argv = [*cli, "audit", "--output-dir", str(out_dir), "--format", formats, "-q"]
        snapshot_path = Path(tmp) / "snapshot.json"
        if snapshot:
            argv += ["--save-snapshot", str(snapshot_path)]
        stats = run_measured(
            argv, env=cli_env(server.endpoint, stub.endpoint), cwd=Path(tmp), timeout=timeout
        )
        if stats.returncode not in AUDIT_DONE:
            raise RuntimeError(
                f"audit of {users} users exited {stats.returncode}:\n{stats.stderr[-2000:]}"
            )
        by_operation = server.calls()
        aa_calls = stub.calls()
        if aa_calls:
            by_operation["access-analyzer:ListAnalyzers"] = aa_calls
        report = _read_json(out_dir / "report.json")
        findings = report.get("findings") if report else None
        return Measurement(
            users=users,
            roles=role_count,
            api_calls=sum(by_operation.values()),
            calls_by_operation=dict(sorted(by_operation.items())),
            client_counted_calls=client_counted_calls(
                report, _read_json(snapshot_path) if snapshot else None
            ),
            wall_seconds=stats.wall_seconds,
            peak_rss_bytes=stats.peak_rss_bytes,
            exit_code=stats.returncode,
            findings=len(findings) if isinstance(findings, list) else None,
            virtual_mfa_devices=made.virtual_mfa_devices,
        )


def _mib(value: int | None) -> str:
    return "–" if value is None else f"{value / 2**20:.0f}"


def markdown_table(results: Sequence[Measurement]) -> str:
    """The results as a Markdown table, one row per size, then calls by operation."""
    lines = [
        "| users | roles | API calls | IAM calls | auditor-counted | findings "
        "| wall s | peak RSS MiB | exit |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in results:
        counted = "–" if m.client_counted_calls is None else str(m.client_counted_calls)
        findings = "–" if m.findings is None else str(m.findings)
        lines.append(
            f"| {m.users} | {m.roles} | {m.api_calls} | {m.iam_calls} | {counted} "
            f"| {findings} | {m.wall_seconds:.1f} | {_mib(m.peak_rss_bytes)} | {m.exit_code} |"
        )
    operations = sorted({op for m in results for op in m.calls_by_operation})
    if operations:
        lines += ["", "| operation | " + " | ".join(str(m.users) for m in results) + " |"]
        lines.append("|---|" + "---:|" * len(results))
        for op in operations:
            counts = " | ".join(str(m.calls_by_operation.get(op, 0)) for m in results)
            lines.append(f"| `{op}` | {counts} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each size in turn and print the table (progress goes to stderr)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--roles-per-user", type=float, default=0.2, metavar="RATIO")
    parser.add_argument("--format", default="json,csv,html")
    parser.add_argument(
        "--snapshot", action="store_true", help="also save a snapshot: the auditor's own count"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results as JSON")
    args = parser.parse_args(argv)
    try:
        sizes = parse_sizes(args.sizes)
    except ValueError as exc:
        parser.error(str(exc))
    if not Path(CLI[0]).exists():
        print(f"the iam-auditor console script is not installed at {CLI[0]}", file=sys.stderr)
        return 2
    results = []
    for size in sizes:
        print(f"auditing {size} users…", file=sys.stderr, flush=True)
        results.append(
            measure(
                size,
                roles=math.floor(size * args.roles_per_user),
                formats=args.format,
                snapshot=args.snapshot,
            )
        )
    print(markdown_table(results))
    if args.json:
        args.json.write_text(
            json.dumps([asdict(m) | {"iam_calls": m.iam_calls} for m in results], indent=1) + "\n",
            encoding="utf-8",
        )
    problems = unexplained_growth(results)
    for line in problems:
        print(f"IAM calls grow with the account: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
