"""Organization benchmark: wall time and API calls of ``run_org_audit`` by worker count.

moto serves from a thread of this process and each organization run is a separate Python
process, so the auditor's threads and moto never share one interpreter lock. What it builds,
measures and prints: benchmarks/README.md, "Organization benchmark".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from auditor.defaults import ORG_MAX_WORKERS_LIMIT
from auditor.demo import moto_account
from auditor.demo.access_analyzer import ANY_REGION, analyzer
from benchmarks.scale import parse_sizes, run_measured
from testkit.server import (
    AccessAnalyzerStub,
    MotoServer,
    access_analyzer_stub,
    cli_env,
    moto_server,
)

DEFAULT_ACCOUNTS = 200
DEFAULT_USERS = 20
DEFAULT_WORKERS = (1, 8, 32)
DEFAULT_LATENCIES_MS = (0, 50)
# One worker against AWS-like latency is the slow cell: a quarter of the accounts shows its
# rate (accounts per minute) in a quarter of the time.
DEFAULT_SERIAL_SUBSET = 50
REPO_ROOT = Path(__file__).resolve().parent.parent
MANAGEMENT_ACCOUNT_ID = moto_account.DEFAULT_ACCOUNT_ID
# The process that audits: a fresh interpreter running child_main, so its peak memory and
# its interpreter lock are its own.
_CHILD = "import sys; from benchmarks.org import child_main; sys.exit(child_main(sys.argv[1:]))"


@dataclass(frozen=True)
class Member:
    """A member account the benchmark built."""

    account_id: str
    name: str


@dataclass(frozen=True)
class OrgRun:
    """One organization audit: one latency and worker count."""

    workers: int
    latency_ms: float
    accounts: int
    audited: int
    complete: int
    wall_seconds: float
    cpu_seconds: float
    calls_by_operation: Mapping[str, int]
    client_calls: int
    per_account_calls: Mapping[str, int]
    peak_rss_bytes: int | None
    errors: Mapping[str, str]
    reports: int = 0

    @property
    def api_calls(self) -> int:
        """Requests the servers received (retries included)."""
        return sum(self.calls_by_operation.values())

    @property
    def retried(self) -> int:
        """Requests beyond the calls the auditor made: retries (0 when nothing failed)."""
        return self.api_calls - self.client_calls

    @property
    def accounts_per_minute(self) -> float:
        """Audited accounts per minute of wall time."""
        return 60 * self.audited / self.wall_seconds if self.wall_seconds > 0 else 0.0

    @property
    def calls_per_account(self) -> tuple[int, int] | None:
        """The fewest and most calls one account's audit made (equal when constant)."""
        counts = self.per_account_calls.values()
        return (min(counts), max(counts)) if counts else None


def _fake_client(service: str, endpoint: str) -> Any:
    import boto3

    # Explicit fake keys and endpoint: never the developer's own AWS configuration.
    session: Any = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's conventional fake key
        region_name="us-east-1",
    )
    return session.client(service, endpoint_url=endpoint)


def build_organization(
    endpoint: str, *, accounts: int, users: int, roles: int | None = None
) -> list[Member]:
    """Create an Organization of ``accounts`` members of ``users`` users each; list them.

    The moto server at ``endpoint`` must run in this process (the users are written into
    its objects). The Organization and its accounts are created through the API, so each
    member gets its ``OrganizationAccountAccessRole`` as on AWS; each member then gets
    ``users`` users with one access key, ``roles`` roles (default users / 5) and a root
    user with MFA and no keys, seeded by the member's position so accounts differ. The
    EC2 backend moto builds on a member's first call (about 0.1 s each) is built here, so
    the first measured run does not pay for it.
    """
    from moto.ec2.models import ec2_backends

    org = _fake_client("organizations", endpoint)
    org.create_organization(FeatureSet="ALL")
    for index in range(accounts):
        org.create_account(
            Email=f"member-{index:04d}@example.com", AccountName=f"member-{index:04d}"
        )
    members = sorted(
        (
            Member(str(a["Id"]), str(a["Name"]))
            for page in org.get_paginator("list_accounts").paginate()
            for a in page["Accounts"]
            if a["Id"] != MANAGEMENT_ACCOUNT_ID
        ),
        key=lambda m: m.account_id,
    )
    if len(members) != accounts:
        raise RuntimeError(f"asked moto for {accounts} member accounts, it lists {len(members)}")
    role_count = users // 5 if roles is None else roles
    for index, member in enumerate(sorted(members, key=lambda m: m.name)):
        moto_account.bulk_create(
            account_id=member.account_id, users=users, roles=role_count, seed=index
        )
        moto_account.set_root_state(
            access_keys_present=False, mfa_enabled=True, account_id=member.account_id
        )
        ec2_backends[member.account_id]["us-east-1"]  # moto builds it on first access
    return members


def forget_credential_reports(members: Sequence[Member]) -> None:
    """Make every member generate its credential report afresh, as a first daily run does.

    moto keeps a generated report forever (AWS for four hours), and a ready report saves
    a call: without this, later runs would make fewer calls than the first.
    """
    for member in members:
        moto_account.iam_backend(member.account_id).credential_report = None


@contextmanager
def organization(
    *, accounts: int, users: int, roles: int | None = None
) -> Iterator[tuple[MotoServer, AccessAnalyzerStub, list[Member]]]:
    """A moto server holding the benchmark's Organization and an Access Analyzer stub."""
    with (
        moto_server() as server,
        access_analyzer_stub({ANY_REGION: [analyzer("Benchmark")]}) as stub,
    ):
        server.reset()  # moto's backends are per process, not per server: start empty
        members = build_organization(server.endpoint, accounts=accounts, users=users, roles=roles)
        yield server, stub, members


def _server_calls(server: MotoServer, stub: AccessAnalyzerStub) -> dict[str, int]:
    calls = server.calls()
    listed = stub.calls()
    if listed:
        calls["access-analyzer:ListAnalyzers"] = listed
    return calls


def measure(
    server: MotoServer,
    stub: AccessAnalyzerStub,
    members: Sequence[Member],
    *,
    workers: int,
    latency_ms: float = 0,
    formats: str = "json,csv,html",
    timeout: float = 3600,
) -> OrgRun:
    """Audit ``members`` once with ``workers`` workers in a child process; measure it."""
    forget_credential_reports(members)
    with tempfile.TemporaryDirectory(prefix="iam-auditor-bench-org-") as tmp:
        spec = {
            "accounts": [m.account_id for m in members],
            "workers": workers,
            "latency_ms": latency_ms,
            "formats": formats,
            "output_dir": str(Path(tmp) / "reports"),
        }
        spec_path, result_path = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        env = cli_env(server.endpoint, stub.endpoint)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
        )
        before = _server_calls(server, stub)
        stats = run_measured(
            [sys.executable, "-c", _CHILD, str(spec_path), str(result_path)],
            env=env,
            cwd=Path(tmp),
            timeout=timeout,
        )
        after = _server_calls(server, stub)
        if stats.returncode != 0:
            raise RuntimeError(
                f"organization audit with {workers} workers exited {stats.returncode}:\n"
                f"{stats.stderr[-3000:]}"
            )
        result = json.loads(result_path.read_text(encoding="utf-8"))
    delta = {op: n - before.get(op, 0) for op, n in after.items() if n - before.get(op, 0)}
    outcomes: list[dict[str, Any]] = result["accounts"]
    per_account = {
        str(o["account_id"]): sum(o["calls"].values()) for o in outcomes if o["calls"] is not None
    }
    return OrgRun(
        workers=workers,
        latency_ms=latency_ms,
        accounts=len(members),
        audited=sum(1 for o in outcomes if o["audited"]),
        complete=sum(1 for o in outcomes if o["complete"]),
        wall_seconds=float(result["wall_seconds"]),
        cpu_seconds=float(result["cpu_seconds"]),
        calls_by_operation=dict(sorted(delta.items())),
        client_calls=sum(per_account.values()) + sum(result["runner_calls"].values()),
        per_account_calls=per_account,
        peak_rss_bytes=stats.peak_rss_bytes,
        errors={str(o["account_id"]): str(o["error"]) for o in outcomes if o["error"]},
        reports=sum(int(o["reports"]) for o in outcomes),
    )


# --- the auditing process ---------------------------------------------------------------


def add_request_latency(
    seconds: float, *, sleep: Callable[[float], None] = time.sleep
) -> Callable[[], None]:
    """Delay every request botocore sends by ``seconds``; returns the undo.

    A ``before-send`` handler that sleeps (and returns None, so the request still goes
    out), added to botocore's built-in handlers: every session created afterwards -
    including the member sessions the organization runner makes - registers it. Sleeping
    releases the interpreter lock, as waiting on a socket does.
    """
    from botocore import handlers

    def delay(**_: Any) -> None:
        sleep(seconds)

    spec = ("before-send", delay)
    handlers.BUILTIN_HANDLERS.append(spec)

    def undo() -> None:
        if spec in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.remove(spec)

    return undo


def child_main(argv: Sequence[str]) -> int:
    """Run one organization audit as the spec file says; write the facts as JSON.

    ``argv`` is the spec file and the result file. Credentials, region and endpoints come
    from the environment (``cli_env``). The result holds the run's wall time (the
    ``run_org_audit`` call alone, not the interpreter's start), every account's outcome
    and API calls, and the calls the runner made itself (listing, role assumptions).
    """
    import boto3

    from auditor.audit import AuditResult
    from auditor.collect.session import CallRecorder
    from auditor.config import Settings
    from auditor.org import MemberAccount, run_org_audit
    from auditor.report import parse_formats, render
    from auditor.sink import LocalSink

    spec_path, result_path = argv
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    if spec["latency_ms"]:
        add_request_latency(float(spec["latency_ms"]) / 1000)
    formats = parse_formats(spec["formats"])
    output_dir = Path(spec["output_dir"])
    calls: dict[str, dict[str, int]] = {}
    lock = threading.Lock()

    def write(member: MemberAccount, result: AuditResult) -> list[str]:
        paths = LocalSink(output_dir / member.account_id).write(render(result.report, formats))
        with lock:
            calls[member.account_id] = dict(result.snapshot.api_calls)
        return [str(p) for p in paths]

    session = boto3.Session()
    runner = CallRecorder()
    runner.attach(session)
    cpu_start, start = time.process_time(), time.perf_counter()
    org = run_org_audit(
        Settings(), session, write=write, accounts=spec["accounts"], max_workers=spec["workers"]
    )
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    accounts = [
        {
            "account_id": a.account_id,
            "audited": a.audited,
            "complete": a.complete,
            "error": a.error,
            "reports": len(a.reports),
            "calls": calls.get(a.account_id),
        }
        for a in org.accounts
    ]
    facts = {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "accounts": accounts,
        "runner_calls": runner.calls,
    }
    Path(result_path).write_text(json.dumps(facts), encoding="utf-8")
    return 0


# --- output -------------------------------------------------------------------------------


def _mib(value: int | None) -> str:
    return "–" if value is None else f"{value / 2**20:.0f}"


def _span(pair: tuple[int, int] | None) -> str:
    if pair is None:
        return "–"
    low, high = pair
    return str(low) if low == high else f"{low}–{high}"


def markdown_table(runs: Sequence[OrgRun]) -> str:
    """The runs as a Markdown table, then the requests by operation of each run."""
    lines = [
        "| latency ms | workers | accounts | audited | wall s | CPU s | accounts/min "
        "| API calls | calls/account | retried | peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        audited = str(r.audited) if r.complete == r.audited else f"{r.audited} ({r.complete} full)"
        lines.append(
            f"| {r.latency_ms:g} | {r.workers} | {r.accounts} | {audited} "
            f"| {r.wall_seconds:.1f} | {r.cpu_seconds:.1f} | {r.accounts_per_minute:.0f} "
            f"| {r.api_calls} "
            f"| {_span(r.calls_per_account)} | {r.retried} | {_mib(r.peak_rss_bytes)} |"
        )
    operations = sorted({op for r in runs for op in r.calls_by_operation})
    if operations:
        heads = " | ".join(f"{r.latency_ms:g} ms × {r.workers}" for r in runs)
        lines += ["", f"| operation | {heads} |", "|---|" + "---:|" * len(runs)]
        for op in operations:
            counts = " | ".join(str(r.calls_by_operation.get(op, 0)) for r in runs)
            lines.append(f"| `{op}` | {counts} |")
    return "\n".join(lines)


def _as_json(run: OrgRun) -> dict[str, Any]:
    return asdict(run) | {
        "api_calls": run.api_calls,
        "retried": run.retried,
        "accounts_per_minute": run.accounts_per_minute,
        "calls_per_account": run.calls_per_account,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Build the Organization once, audit it at each latency and worker count, print."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.org", description=__doc__)
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS, metavar="N")
    parser.add_argument("--users", type=int, default=DEFAULT_USERS, metavar="N")
    parser.add_argument("--workers", default=",".join(map(str, DEFAULT_WORKERS)))
    parser.add_argument(
        "--latency-ms",
        default=",".join(map(str, DEFAULT_LATENCIES_MS)),
        metavar="MS[,MS]",
        help="delays added before every request, one table row group each (0: none)",
    )
    parser.add_argument(
        "--serial-subset",
        type=int,
        default=DEFAULT_SERIAL_SUBSET,
        metavar="N",
        help="1-worker runs with added latency audit only the first N accounts (0: all)",
    )
    parser.add_argument("--format", default="json,csv,html")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results as JSON")
    args = parser.parse_args(argv)
    try:
        workers = parse_sizes(args.workers)
        latencies = [float(x) for x in args.latency_ms.split(",") if x.strip()]
    except ValueError as exc:
        parser.error(str(exc))
    if args.accounts <= 0 or args.users < 0 or args.serial_subset < 0:
        parser.error("--accounts must be positive, --users and --serial-subset not negative")
    if not latencies or min(latencies) < 0:
        parser.error("--latency-ms must be zero or more")
    if max(workers) > ORG_MAX_WORKERS_LIMIT:
        parser.error(f"--workers: at most {ORG_MAX_WORKERS_LIMIT}")
    print(
        f"building an Organization of {args.accounts} accounts × {args.users} users…",
        file=sys.stderr,
        flush=True,
    )
    runs = []
    with organization(accounts=args.accounts, users=args.users) as (server, stub, members):
        for latency in latencies:
            for count in workers:
                audited = members
                if count == 1 and latency > 0 and args.serial_subset:
                    audited = members[: args.serial_subset]
                print(
                    f"auditing {len(audited)} accounts with {count} workers, "
                    f"{latency:g} ms latency…",
                    file=sys.stderr,
                    flush=True,
                )
                run = measure(
                    server, stub, audited, workers=count, latency_ms=latency, formats=args.format
                )
                print(
                    f"  {run.wall_seconds:.1f} s, {run.api_calls} calls",
                    file=sys.stderr,
                    flush=True,
                )
                runs.append(run)
    print(markdown_table(runs))
    if args.json:
        args.json.write_text(
            json.dumps([_as_json(r) for r in runs], indent=1) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
