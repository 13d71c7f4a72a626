"""Scale benchmark: API calls, wall time, peak memory and output size of an audit, by size.

Calls are counted where they arrive (the moto server and the Access Analyzer stub), never
from the auditor's own count; exits 1 when an IAM operation's calls grow with the account or
differ between format sets. Details: benchmarks/README.md, "Scale benchmark".
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from auditor.demo import moto_account
from auditor.demo.access_analyzer import ANY_REGION, analyzer
from auditor.report import parse_formats
from testkit.server import MotoServer, access_analyzer_stub, cli_env, moto_server

DEFAULT_SIZES = (1000, 3000, 5000, 10000)
DEFAULT_FORMAT_SETS = ("json,csv,html", "json,csv,html,cis,ocsf,asff")
REPORT_JSON = "report.json"
# The largest page IAM's List* calls allow (MaxItems); the auditor asks for it.
IAM_PAGE_SIZE = 1000
VIRTUAL_MFA = "iam:ListVirtualMFADevices"
CLI = (str(Path(sys.executable).parent / "iam-auditor"),)
# Exit codes of a finished audit: clean, findings at or above --fail-on, incomplete.
AUDIT_DONE = frozenset({0, 1, 3})
MIB = 2**20


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
    """One audit: one account size, one format set."""

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
    formats: str = DEFAULT_FORMAT_SETS[0]
    # Every file the audit wrote, by its path under the output directory.
    output_bytes: Mapping[str, int] = field(default_factory=dict)

    @property
    def iam_calls(self) -> int:
        """Calls to IAM alone: the part that must not grow with the account."""
        return sum(n for op, n in self.calls_by_operation.items() if op.startswith("iam:"))

    @property
    def total_output_bytes(self) -> int:
        """Bytes of every file written."""
        return sum(self.output_bytes.values())

    @property
    def report_json_bytes(self) -> int | None:
        """Bytes of ``report.json``; None when the format set has no ``json``."""
        return self.output_bytes.get(REPORT_JSON)

    def per_finding(self, size: int | None) -> float | None:
        """``size`` bytes divided among the findings; None when either is unknown or zero."""
        if size is None or not self.findings:
            return None
        return size / self.findings

    def as_json(self) -> dict[str, Any]:
        """The measurement and its derived numbers, JSON-native."""
        return asdict(self) | {
            "iam_calls": self.iam_calls,
            "total_output_bytes": self.total_output_bytes,
            "report_json_bytes_per_finding": self.per_finding(self.report_json_bytes),
            "total_bytes_per_finding": self.per_finding(self.total_output_bytes),
        }


@dataclass(frozen=True)
class Slope:
    """How one format set's peak RSS grows against its findings, smallest to largest size."""

    formats: str
    users: tuple[int, int]
    findings: tuple[int, int]
    peak_rss_mib: tuple[float, float]

    @property
    def findings_per_1000_users(self) -> float:
        """Findings added per 1,000 users."""
        return 1000 * (self.findings[1] - self.findings[0]) / (self.users[1] - self.users[0])

    @property
    def mib_per_1000_findings(self) -> float:
        """Peak RSS added per 1,000 findings, in MiB."""
        return (
            1000
            * (self.peak_rss_mib[1] - self.peak_rss_mib[0])
            / (self.findings[1] - self.findings[0])
        )

    @property
    def findings_ratio(self) -> float:
        """Findings at the largest size over findings at the smallest."""
        return self.findings[1] / self.findings[0]

    @property
    def rss_ratio(self) -> float:
        """Peak RSS at the largest size over peak RSS at the smallest."""
        return self.peak_rss_mib[1] / self.peak_rss_mib[0]

    def as_json(self) -> dict[str, Any]:
        """The slope and its derived numbers, JSON-native."""
        return asdict(self) | {
            "findings_per_1000_users": self.findings_per_1000_users,
            "mib_per_1000_findings": self.mib_per_1000_findings,
            "findings_ratio": self.findings_ratio,
            "rss_ratio": self.rss_ratio,
        }


def slope(results: Sequence[Measurement]) -> Slope | None:
    """Peak RSS against findings between the smallest and the largest size of ``results``.

    ``results`` are one format set's. None when there is only one size, when either end
    lacks its findings or peak RSS, or when the findings did not change (no slope to take).
    """
    if not results:
        return None
    small = min(results, key=lambda m: m.users)
    large = max(results, key=lambda m: m.users)
    if (
        small.users == large.users
        or not small.findings
        or large.findings is None
        or small.findings == large.findings
        or not small.peak_rss_bytes
        or large.peak_rss_bytes is None
    ):
        return None
    return Slope(
        formats=small.formats,
        users=(small.users, large.users),
        findings=(small.findings, large.findings),
        peak_rss_mib=(small.peak_rss_bytes / MIB, large.peak_rss_bytes / MIB),
    )


def by_format_set(results: Sequence[Measurement]) -> dict[str, list[Measurement]]:
    """``results`` grouped by format set, in the order each set first appears."""
    groups: dict[str, list[Measurement]] = {}
    for m in results:
        groups.setdefault(m.formats, []).append(m)
    return groups


def slopes(results: Sequence[Measurement]) -> list[Slope]:
    """One ``Slope`` per format set that has one."""
    found = (slope(group) for group in by_format_set(results).values())
    return [s for s in found if s is not None]


def count_findings(report: Mapping[str, Any] | None) -> int | None:
    """The findings in a ``report.json``, whatever its schema_version.

    schema_version 1 lists them (``findings: [...]``); schema_version 2 groups them by
    check (``findings: {"KEY-002": [...], ...}``). None when the report says neither.
    """
    findings = (report or {}).get("findings")
    if isinstance(findings, list):
        return len(findings)
    if isinstance(findings, Mapping) and all(isinstance(v, list) for v in findings.values()):
        return sum(len(group) for group in findings.values())
    return None


def output_sizes(directory: Path) -> dict[str, int]:
    """Bytes of every file under ``directory``, by its POSIX path relative to it."""
    if not directory.is_dir():
        return {}
    return {
        path.relative_to(directory).as_posix(): path.stat().st_size
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


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


def parse_format_sets(text: str) -> list[str]:
    """``"json,csv; JSON,cis"`` -> ``["json,csv", "json,cis"]``: ``;``-separated format sets.

    Each set is read as ``iam-auditor --format`` reads it (``auditor.report.parse_formats``:
    case and spaces ignored, duplicates dropped, an unknown name refused) and written back
    in that normal form. Empty sets are skipped; a set given twice is refused.
    """
    sets: list[str] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        formats = ",".join(fmt.value for fmt in parse_formats(part))
        if formats in sets:
            raise ValueError(f"format set given twice: {formats!r}")
        sets.append(formats)
    if not sets:
        raise ValueError("no format sets given")
    return sets


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


def restore_account(server: MotoServer) -> None:
    """Put the account back as built and forget the calls counted so far.

    An audit's one write is ``GenerateCredentialReport``: afterwards moto holds a report,
    so the next audit would find it ready and make one call fewer. Every run starts with
    no report, as the first one did (``calls_differ`` would show it if one did not).
    """
    moto_account.iam_backend().credential_report = None
    server.recorder.clear()


def measure(
    users: int,
    *,
    roles: int | None = None,
    cli: Sequence[str] = CLI,
    format_sets: Sequence[str] = DEFAULT_FORMAT_SETS,
    snapshot: bool = False,
    timeout: float = 3600,
    log: Callable[[str], None] | None = None,
    keep: Path | None = None,
) -> list[Measurement]:
    """Build an account of ``users`` users once; audit it with ``cli`` once per format set.

    ``keep`` is a directory to move each run's reports (and snapshot) to, as
    ``<users>-users-<formats>``; without it they are deleted once measured.
    """
    role_count = users // 5 if roles is None else roles
    with (
        moto_server() as server,
        access_analyzer_stub({ANY_REGION: [analyzer("Benchmark")]}) as stub,
        tempfile.TemporaryDirectory(prefix="iam-auditor-bench-") as tmp,
    ):
        server.reset()  # moto's backends are per process, not per server: start empty
        made = moto_account.bulk_create(users=users, roles=role_count, keys_per_user=1)
        moto_account.set_root_state(access_keys_present=False, mfa_enabled=True)
        env = cli_env(server.endpoint, stub.endpoint)
        results = []
        for index, formats in enumerate(format_sets):
            if log is not None:
                log(f"auditing {users} users, {formats}…")
            workdir = Path(tmp) / f"run-{index}"
            workdir.mkdir()
            out_dir = workdir / "reports"
            snapshot_path = workdir / "snapshot.json"  # beside the reports: not counted
            argv = [*cli, "audit", "--output-dir", str(out_dir), "--format", formats, "-q"]
            if snapshot:
                argv += ["--save-snapshot", str(snapshot_path)]
            restore_account(server)
            analyzer_calls_before = stub.calls()
            stats = run_measured(argv, env=env, cwd=workdir, timeout=timeout)
            if stats.returncode not in AUDIT_DONE:
                raise RuntimeError(
                    f"audit of {users} users ({formats}) exited {stats.returncode}:\n"
                    f"{stats.stderr[-2000:]}"
                )
            by_operation = server.calls()
            aa_calls = stub.calls() - analyzer_calls_before
            if aa_calls:
                by_operation["access-analyzer:ListAnalyzers"] = aa_calls
            report = _read_json(out_dir / REPORT_JSON)
            results.append(
                Measurement(
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
                    findings=count_findings(report),
                    virtual_mfa_devices=made.virtual_mfa_devices,
                    formats=formats,
                    output_bytes=output_sizes(out_dir),
                )
            )
            del report
            if keep is not None:
                kept = keep / f"{users}-users-{formats.replace(',', '-')}"
                kept.mkdir(parents=True)
                for produced in (out_dir, snapshot_path):
                    if produced.exists():
                        shutil.move(produced, kept / produced.name)
            # A 10,000-user run writes hundreds of MB; the next run needs neither disk nor cache.
            shutil.rmtree(workdir)
        return results


def calls_differ(results: Sequence[Measurement]) -> list[str]:
    """One line per size and operation whose calls differ between that size's format sets.

    Collection does not depend on the formats written, and every run of a size audits the
    same account from the same state, so any difference means the runs are not comparable.
    """
    by_size: dict[int, list[Measurement]] = {}
    for m in results:
        by_size.setdefault(m.users, []).append(m)
    problems = []
    for users, group in by_size.items():
        for op in sorted({op for m in group for op in m.calls_by_operation}):
            counts = [m.calls_by_operation.get(op, 0) for m in group]
            if len(set(counts)) > 1:
                each = ", ".join(f"{n} ({m.formats})" for n, m in zip(counts, group, strict=True))
                problems.append(f"{op} at {users} users: {each}")
    return problems


def problems(results: Sequence[Measurement]) -> list[str]:
    """Every reason to exit 1: calls that grow with the account, or differ between formats."""
    growth = (
        line for group in by_format_set(results).values() for line in unexplained_growth(group)
    )
    # Every format set of a size makes the same calls, so each growth is named once.
    lines = [f"IAM calls grow with the account: {line}" for line in dict.fromkeys(growth)]
    lines += [f"calls differ between format sets: {line}" for line in calls_differ(results)]
    return lines


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value / MIB:.0f}"


def _mb(value: int | None) -> str:
    return "–" if value is None else f"{value / 1e6:.1f}"


def _whole(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _sizes(results: Sequence[Measurement]) -> list[int]:
    return list(dict.fromkeys(m.users for m in results))


def runs_table(results: Sequence[Measurement]) -> list[str]:
    """One row per run: calls, findings, time, memory and output size."""
    lines = [
        "| users | roles | formats | API calls | IAM calls | auditor-counted | findings "
        "| wall s | peak RSS MiB | report.json MB | all files MB | report.json B/finding "
        "| all files B/finding | exit |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in results:
        counted = "–" if m.client_counted_calls is None else str(m.client_counted_calls)
        findings = "–" if m.findings is None else str(m.findings)
        lines.append(
            f"| {m.users} | {m.roles} | {m.formats} | {m.api_calls} | {m.iam_calls} "
            f"| {counted} | {findings} | {m.wall_seconds:.1f} | {_mib(m.peak_rss_bytes)} "
            f"| {_mb(m.report_json_bytes)} | {_mb(m.total_output_bytes)} "
            f"| {_whole(m.per_finding(m.report_json_bytes))} "
            f"| {_whole(m.per_finding(m.total_output_bytes))} | {m.exit_code} |"
        )
    return lines


def slopes_table(found: Sequence[Slope]) -> list[str]:
    """One row per format set: findings and peak RSS, smallest to largest size."""
    if not found:
        return []
    lines = [
        "| formats | users | findings | findings / 1,000 users | peak RSS MiB "
        "| MiB / 1,000 findings | findings × | peak RSS × |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in found:
        lines.append(
            f"| {s.formats} | {s.users[0]} → {s.users[1]} "
            f"| {s.findings[0]} → {s.findings[1]} | {s.findings_per_1000_users:.0f} "
            f"| {s.peak_rss_mib[0]:.0f} → {s.peak_rss_mib[1]:.0f} "
            f"| {s.mib_per_1000_findings:.2f} | {s.findings_ratio:.2f} | {s.rss_ratio:.2f} |"
        )
    return lines


def output_tables(results: Sequence[Measurement]) -> list[str]:
    """Per format set, the bytes of each file written and their total, one column a size."""
    lines: list[str] = []
    for formats, group in by_format_set(results).items():
        files = sorted({name for m in group for name in m.output_bytes})
        if lines:
            lines.append("")
        lines += [
            f"Bytes written, `{formats}`:",
            "",
            "| file | " + " | ".join(str(m.users) for m in group) + " |",
            "|---|" + "---:|" * len(group),
        ]
        for name in files:
            cells = " | ".join(f"{m.output_bytes.get(name, 0):,}" for m in group)
            lines.append(f"| `{name}` | {cells} |")
        lines.append("| total | " + " | ".join(f"{m.total_output_bytes:,}" for m in group) + " |")
    return lines


def calls_table(results: Sequence[Measurement]) -> list[str]:
    """Calls per operation, one column a size; ``a / b`` where format sets disagree."""
    operations = sorted({op for m in results for op in m.calls_by_operation})
    if not operations:
        return []
    sizes = _sizes(results)
    lines = [
        "| operation | " + " | ".join(str(n) for n in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for op in operations:
        cells = []
        for users in sizes:
            counts = [m.calls_by_operation.get(op, 0) for m in results if m.users == users]
            shown = dict.fromkeys(counts) if len(set(counts)) == 1 else counts
            cells.append(" / ".join(str(n) for n in shown))
        lines.append(f"| `{op}` | " + " | ".join(cells) + " |")
    return lines


def markdown_table(results: Sequence[Measurement]) -> str:
    """The runs, the memory slopes, the bytes per file and the calls by operation."""
    sections = [
        runs_table(results),
        slopes_table(slopes(results)),
        output_tables(results),
        calls_table(results),
    ]
    return "\n\n".join("\n".join(section) for section in sections if section)


def results_json(results: Sequence[Measurement]) -> dict[str, Any]:
    """Everything the tables show, JSON-native: runs, slopes and problems."""
    return {
        "runs": [m.as_json() for m in results],
        "slopes": [s.as_json() for s in slopes(results)],
        "problems": problems(results),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each size in turn and print the tables (progress goes to stderr)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="comma-separated user counts, 5k = 5000 (default: %(default)s)",
    )
    parser.add_argument("--roles-per-user", type=float, default=0.2, metavar="RATIO")
    parser.add_argument(
        "--format-sets",
        default=";".join(DEFAULT_FORMAT_SETS),
        metavar="SETS",
        help="';'-separated format sets, each as --format takes it (default: %(default)s)",
    )
    parser.add_argument(
        "--snapshot", action="store_true", help="also save a snapshot: the auditor's own count"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results as JSON")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="keep every run's reports in DIR (one per run)"
    )
    args = parser.parse_args(argv)
    try:
        sizes = parse_sizes(args.sizes)
        format_sets = parse_format_sets(args.format_sets)
    except ValueError as exc:
        parser.error(str(exc))
    # Found out now, not after an hour of measuring.
    if args.json and not args.json.parent.is_dir():
        parser.error(f"--json: no directory {args.json.parent}")
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep: {args.keep} is not empty")
    if not Path(CLI[0]).exists():
        print(f"the iam-auditor console script is not installed at {CLI[0]}", file=sys.stderr)
        return 2
    results = []
    for size in sizes:
        results += measure(
            size,
            roles=math.floor(size * args.roles_per_user),
            format_sets=format_sets,
            snapshot=args.snapshot,
            log=lambda line: print(line, file=sys.stderr, flush=True),
            keep=args.keep,
        )
    print(markdown_table(results))
    if args.json:
        args.json.write_text(json.dumps(results_json(results), indent=1) + "\n", encoding="utf-8")
    found = problems(results)
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
