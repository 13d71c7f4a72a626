"""The ``iam-auditor`` command line: parse arguments, call ``run_audit``, hand text to the sink.

Each subcommand returns an ``ExitCode`` (``ExitCode.judge`` for audits; the README lists the
codes). boto3, pandas and Jinja are imported inside the commands that need them, so
``--version`` and ``checks`` answer at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from auditor import __version__, console
from auditor.analyze import selected_checks
from auditor.audit import AuditResult, relaxed_gc, run_audit
from auditor.checks import all_checks
from auditor.config import Settings, load_config
from auditor.defaults import (
    DEADLINE_LIMIT,
    DEADLINE_SECONDS,
    ORG_MAX_WORKERS,
    ORG_MAX_WORKERS_LIMIT,
    ORG_ROLE_NAME,
)
from auditor.errors import AuditorError, ExitCode, UsageError
from auditor.logsafe import limit_wire_loggers, protect_handlers
from auditor.model import Severity
from auditor.names import (
    EXTERNAL_ID_RULE,
    ROLE_NAME_RULE,
    SESSION_NAME_RULE,
    is_account_id,
    is_external_id,
    is_role_name,
    is_session_name,
)
from auditor.report import DEFAULT_REGION, Format, RenderOptions, parse_formats, render
from auditor.report.cis import parse_compliance
from auditor.sink import DIRECTORY_MODE, LocalSink
from auditor.snapshot import Snapshot, SnapshotError, dumps, loads

if TYPE_CHECKING:
    import boto3

    from auditor.model import Report
    from auditor.org import MemberAccount
    from auditor.policy.graph import AttackGraph, Node

FAIL_ON_CHOICES = [s.value for s in Severity] + ["never"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad invocation is one line on stderr (exit 2), like every usage error.

    argparse's default prints the whole usage block first; in a cron log or CI output the
    problem then hides below it. ``--help`` still shows the usage.
    """

    def error(self, message: str) -> NoReturn:
        """Print ``iam-auditor: error: PROBLEM (see PROG --help)`` and exit 2."""
        self.exit(ExitCode.USAGE, f"iam-auditor: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser: argparse.ArgumentParser = _Parser(
        prog="iam-auditor", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--version", action="version", version=f"iam-auditor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    audit = sub.add_parser("audit", help="audit the account of the current credentials")
    _add_credentials(audit)
    source = audit.add_mutually_exclusive_group()
    source.add_argument("--from-snapshot", type=Path, metavar="FILE", help="audit a saved snapshot")
    audit.add_argument("--save-snapshot", type=Path, metavar="FILE", help="save collected data")
    audit.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="an earlier report.json of this account: report what changed since",
    )
    audit.add_argument(
        "--send-to-security-hub",
        action="store_true",
        help="also import the findings into Security Hub (ASFF, in --region): a write",
    )
    _add_output_args(audit, default_dir="iam-auditor-reports")
    _add_fail_on(audit)
    _add_deadline(audit)
    _add_org_parser(sub)

    demo = sub.add_parser("demo", help="audit a built-in demo account (no AWS account needed)")
    _add_output_args(demo, default_dir="iam-auditor-demo")

    checks = sub.add_parser("checks", help="list the check catalog")
    checks.add_argument("--json", action="store_true", help="machine-readable output")
    perms = sub.add_parser(
        "permissions", help="print the least-privilege IAM policy the auditor needs"
    )
    perms.add_argument(
        "--security-hub",
        action="store_true",
        help="add the statement --send-to-security-hub needs (securityhub:BatchImportFindings)",
    )

    diff = sub.add_parser("diff", help="what changed between two report.json files")
    diff.add_argument("old", type=Path, metavar="OLD.json", help="the earlier report (baseline)")
    diff.add_argument("new", type=Path, metavar="NEW.json", help="the later report")
    diff.add_argument("--json", action="store_true", help="machine-readable output")
    _add_paths_parser(sub)
    return parser


def _add_credentials(parser: argparse.ArgumentParser) -> None:
    creds = parser.add_argument_group("credentials")
    creds.add_argument("--profile", help="AWS profile name (default: environment)")
    creds.add_argument("--region", help="region for API calls (IAM itself is global)")
    creds.add_argument("--role-arn", help="assume this role first (e.g. from a security account)")
    creds.add_argument("--external-id", help="ExternalId for --role-arn")
    creds.add_argument("--session-name", default="iam-auditor", help="role session name")


def _add_paths_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    paths = sub.add_parser(
        "paths",
        help="attack paths: who can become an administrator through other principals",
        description="Attack paths to administrator (or to NAME), each hop with the "
        "statements that grant it, then the cheapest cut. Exit 0: no path; 1: paths found; "
        "2: usage error or unknown name; 3: authorization details could not be read.",
    )
    _add_credentials(paths)
    paths.add_argument("--from-snapshot", type=Path, metavar="FILE", help="read a saved snapshot")
    paths.add_argument(
        "--from",
        dest="start",
        metavar="NAME|ARN",
        help="only the path from this user, role or entry point (default: every start)",
    )
    paths.add_argument(
        "--to",
        dest="target",
        default="admin",
        metavar="admin|NAME|ARN",
        help="where the paths lead: admin (default) or a user or role",
    )
    paths.add_argument("--json", action="store_true", help="machine-readable output")
    _add_deadline(paths)


def _add_fail_on(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON_CHOICES,
        default="low",
        help="exit 1 on an unmuted FAIL at or above this severity (default: low)",
    )


def _add_deadline(parser: argparse.ArgumentParser, *, per_account: bool = False) -> None:
    each = " per account" if per_account else ""
    parser.add_argument(
        "--deadline",
        default=str(DEADLINE_SECONDS),
        metavar="SECONDS",
        help=f"stop collecting{each} after this long and report what could not be read "
        f"as ERROR (exit 3) (default: {DEADLINE_SECONDS})",
    )


def _with_deadline(settings: Settings, text: str) -> Settings:
    """``settings`` with ``--deadline``; a bad value is one line and exit 2."""
    try:
        value = float(text.strip())
    except ValueError:
        value = 0.0
    if not 0 < value <= DEADLINE_LIMIT:  # also rejects nan
        raise UsageError(
            f"--deadline must be a number of seconds above 0 and at most {DEADLINE_LIMIT}, "
            f"not {text!r}"
        )
    return dataclasses.replace(settings, collection_deadline=value)


def _add_org_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    org = sub.add_parser("org", help="audit every ACTIVE account of an AWS Organization")
    creds = org.add_argument_group("credentials")
    creds.add_argument("--profile", help="AWS profile name (default: environment)")
    creds.add_argument("--region", help="region for API calls (IAM itself is global)")
    creds.add_argument(
        "--role-name",
        default=ORG_ROLE_NAME,
        help=f"role to assume in each member account (default: {ORG_ROLE_NAME})",
    )
    creds.add_argument("--external-id", help="ExternalId for the member role")
    creds.add_argument("--session-name", default="iam-auditor", help="role session name")
    org.add_argument("--accounts", metavar="ID,...", help="audit only these account ids")
    org.add_argument(
        "--max-workers",
        default=str(ORG_MAX_WORKERS),
        metavar="N",
        help=f"accounts audited at once, 1 to {ORG_MAX_WORKERS_LIMIT} (default: {ORG_MAX_WORKERS})",
    )
    _add_output_args(org, default_dir="iam-auditor-org-reports")
    _add_fail_on(org)
    _add_deadline(org, per_account=True)


def _add_output_args(parser: argparse.ArgumentParser, *, default_dir: str) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML configuration")
    parser.add_argument("--output-dir", type=Path, default=Path(default_dir), metavar="DIR")
    parser.add_argument(
        "--format",
        default="json,csv,html",
        help="comma-separated: json,csv,html,cis,ocsf,asff (default: json,csv,html)",
    )
    parser.add_argument(
        "--compliance",
        default="cis-7.0",
        metavar="NAME,...",
        help="benchmarks for --format cis: cis-7.0,cis-5.0 (default: cis-7.0)",
    )
    parser.add_argument("--checks", metavar="ID,...", help="run only these check ids or slugs")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress or summary")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code.

    A closed stdout or stderr pipe (``iam-auditor checks | head -1``) ends the run quietly
    with ``ExitCode.BROKEN_PIPE``: the reader has all it wanted, and a traceback would only
    bury what it printed.
    """
    try:
        try:
            return _run(argv)
        finally:
            # Flushed here, where a broken pipe can still be caught: the interpreter's own
            # flush at exit would report it on stderr and exit 120. Also after SystemExit
            # (argparse's --help and --version).
            if sys.stdout is not None:
                sys.stdout.flush()
    except BrokenPipeError:
        _discard_output()
        return ExitCode.BROKEN_PIPE


def _discard_output() -> None:
    """Point stdout, and stderr if its pipe is broken too, at the null device.

    Python keeps what it could not write in the stream's buffer and tries again at exit;
    written to the null device, that last flush succeeds and says nothing.
    """
    _to_null(sys.stdout)
    if sys.stderr is not None:
        try:
            sys.stderr.flush()
        except OSError:
            _to_null(sys.stderr)


def _to_null(stream: TextIO | None) -> None:
    if stream is None:
        return
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # replaced by an object with no descriptor (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING
    logging.basicConfig(level=level, format="iam-auditor: %(levelname)s %(name)s: %(message)s")
    # -v is the auditor's own debug output: botocore's DEBUG dumps request headers and
    # response bodies, session tokens and assumed-role secrets included.
    limit_wire_loggers(level)
    protect_handlers()
    try:
        with relaxed_gc():
            return COMMANDS[args.command](args)
    except AuditorError as exc:
        print(f"iam-auditor: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("iam-auditor: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


def cmd_audit(args: argparse.Namespace) -> int:
    """``iam-auditor audit``: collect (or load), analyze, write, summarise."""
    settings, formats, only = _common_options(args)
    settings = _with_deadline(settings, args.deadline)
    _check_assume_options(args)
    if args.send_to_security_hub and args.from_snapshot is not None:
        raise UsageError("--send-to-security-hub needs a live audit, not --from-snapshot")
    # Read before any AWS call, so a bad baseline is one line and exit 2 with nothing done.
    baseline = _load_baseline(args.baseline) if args.baseline is not None else None
    progress = None if args.quiet else console.progress
    if args.from_snapshot is not None:
        result = run_audit(settings, snapshot=_load_snapshot(args.from_snapshot), only=only)
    else:
        session = _session(args)
        # This command's session is its own: the service models can go once collected.
        result = run_audit(
            settings, session=session, only=only, progress=progress, private_session=True
        )
    if args.save_snapshot is not None:
        _save_snapshot(args.save_snapshot, result)
    if baseline is not None:
        result = _with_changes(result, baseline, args.baseline)
    live = args.from_snapshot is None
    options = _render_options(args, session.region_name if live else None)
    code = _finish(
        result, formats, args.output_dir, quiet=args.quiet, fail_on=_fail_on(args), options=options
    )
    if args.send_to_security_hub and code != ExitCode.USAGE:
        sent = _send_to_security_hub(session, result.report, options.region, quiet=args.quiet)
        code = sent or code
    return code


def cmd_org(args: argparse.Namespace) -> int:
    """``iam-auditor org``: every selected account's reports, then the org summary.

    Everything that can be checked before touching AWS is: a bad flag is one line and
    exit 2 before any credentials are used. Listing failures (not in an Organization,
    ``ListAccounts`` denied) are exit 2 too; an account that cannot be assumed or read is
    reported as not audited and makes the exit code 3.
    """
    from auditor.collect.session import make_session  # noqa: PLC0415
    from auditor.org import run_org_audit  # noqa: PLC0415
    from auditor.report.org_summary import render_org  # noqa: PLC0415

    settings, formats, only = _common_options(args)
    settings = _with_deadline(settings, args.deadline)
    max_workers = _parse_max_workers(args.max_workers)
    accounts = _parse_accounts(args.accounts)
    if not is_role_name(args.role_name):
        raise UsageError(
            f"--role-name {args.role_name!r} is not an IAM role name: {ROLE_NAME_RULE}"
        )
    _check_assume_options(args)
    display = None if args.quiet else console.OrgConsole()
    try:
        session = make_session(profile=args.profile, region=args.region)
        org = run_org_audit(
            settings,
            session,
            write=partial(_write_account, args.output_dir, formats, _render_options(args)),
            role_name=args.role_name,
            external_id=args.external_id,
            accounts=accounts,
            max_workers=max_workers,
            only=only or None,
            progress=display,
            session_name=args.session_name,
        )
    except OSError as exc:
        return _cannot_write(args.output_dir, exc)
    finally:
        if display is not None:
            display.close()
    try:
        paths = LocalSink(args.output_dir).write(render_org(org))
    except OSError as exc:
        return _cannot_write(args.output_dir, exc)
    if not args.quiet:
        print(console.org_summary(org, paths))
    return ExitCode.judge(org, _fail_on(args))


def _write_account(
    output_dir: Path,
    formats: tuple[Format, ...],
    options: RenderOptions,
    account: MemberAccount,
    result: AuditResult,
) -> list[str]:
    """One account's reports into ``OUTPUT/ACCOUNT_ID/`` (called from worker threads)."""
    # LocalSink makes its own directory 0700 but leaves parents to the umask; OUTPUT is
    # ours too. Whichever worker creates it sets the mode; the others find it there.
    try:
        output_dir.mkdir(mode=DIRECTORY_MODE, parents=True)
    except FileExistsError:
        pass
    else:
        os.chmod(output_dir, DIRECTORY_MODE)
    files = render(result.report, formats, options)
    paths = LocalSink(output_dir / account.account_id).write(files)
    return [str(p) for p in paths]


def _check_assume_options(args: argparse.Namespace) -> None:
    """``--session-name`` and ``--external-id`` by the rules the Lambda applies to them."""
    if not is_session_name(args.session_name):
        raise UsageError(f"--session-name {args.session_name!r}: {SESSION_NAME_RULE}")
    if args.external_id is not None and not is_external_id(args.external_id):
        # Not echoed: an external id is not a secret, but it is not ours to print either.
        raise UsageError(f"--external-id is not a valid external id ({EXTERNAL_ID_RULE})")


def _parse_max_workers(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if not 1 <= value <= ORG_MAX_WORKERS_LIMIT:
        raise UsageError(
            f"--max-workers must be a whole number from 1 to {ORG_MAX_WORKERS_LIMIT}, not {text!r}"
        )
    return value


def _parse_accounts(text: str | None) -> list[str] | None:
    if text is None:
        return None
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise UsageError("--accounts needs at least one 12-digit account id")
    for account_id in ids:
        if not is_account_id(account_id):
            raise UsageError(f"--accounts: {account_id!r} is not a 12-digit account id")
    return ids


def _fail_on(args: argparse.Namespace) -> Severity | None:
    return None if args.fail_on == "never" else Severity(args.fail_on)


def _cannot_write(output_dir: Path, exc: OSError) -> int:
    print(f"iam-auditor: error: cannot write reports to {output_dir}: {exc}", file=sys.stderr)
    return ExitCode.USAGE


def cmd_demo(args: argparse.Namespace) -> int:
    """``iam-auditor demo``: audit a moto-built account in process; exit 0 unless it breaks."""
    try:
        from auditor.demo.account import demo_session  # noqa: PLC0415 (moto is the demo extra)
    except ImportError as exc:
        raise UsageError(f"the demo needs moto: pip install 'iam-auditor[demo]' ({exc})") from exc
    settings, formats, only = _common_options(args)
    progress = None if args.quiet else console.progress
    with demo_session() as session:
        result = run_audit(settings, session=session, only=only, progress=progress)
    options = _render_options(args)
    _finish(result, formats, args.output_dir, quiet=args.quiet, fail_on=None, options=options)
    return ExitCode.OK


def cmd_diff(args: argparse.Namespace) -> int:
    """``iam-auditor diff OLD NEW``: new, resolved and still-open findings, score change.

    Unreadable or invalid reports, and reports of different accounts, are one line and
    exit 2. ``--json`` prints what ``audit --baseline OLD`` puts under ``changes``.
    """
    from auditor.diff import diff_reports, diff_text, load_report  # noqa: PLC0415
    from auditor.report.json_report import changes_to_dict  # noqa: PLC0415

    diff = diff_reports(
        load_report(args.old), load_report(args.new), labels=(str(args.old), str(args.new))
    )
    print(json.dumps(changes_to_dict(diff), indent=2) if args.json else diff_text(diff))
    return ExitCode.OK


def _load_baseline(path: Path) -> dict[str, Any]:
    from auditor.diff import DiffError, load_report  # noqa: PLC0415

    try:
        return load_report(path)
    except DiffError as exc:
        raise UsageError(f"--baseline: {exc}") from exc


def _with_changes(result: AuditResult, baseline: dict[str, Any], path: Path) -> AuditResult:
    """``result`` whose report carries what changed since ``baseline`` (same account only)."""
    from auditor.diff import DiffError, diff_against  # noqa: PLC0415

    try:
        changes = diff_against(baseline, result.report, label=str(path))
    except DiffError as exc:
        raise UsageError(f"--baseline: {exc}") from exc
    return dataclasses.replace(result, report=dataclasses.replace(result.report, changes=changes))


def cmd_checks(*, as_json: bool) -> int:
    """``iam-auditor checks``: the catalog, as a table or JSON."""
    metas = [c.meta for c in all_checks()]
    print(console.catalog_json(metas) if as_json else console.catalog_table(metas))
    return ExitCode.OK


def cmd_permissions(*, security_hub: bool = False) -> int:
    """``iam-auditor permissions``: the least-privilege policy for every check.

    With ``--security-hub``, plus the one write ``--send-to-security-hub`` makes.
    """
    from auditor.iam_policy import policy_document  # noqa: PLC0415

    print(json.dumps(policy_document(security_hub=security_hub), indent=2))
    return ExitCode.OK


def cmd_paths(args: argparse.Namespace) -> int:
    """``iam-auditor paths``: attack paths to admin (or to ``--to``), then the cheapest cut.

    Reads a saved snapshot, or collects live only what PERM-010 needs (authorization
    details: the same calls as ``audit --checks PERM-010``). Exit 0 when there is no path,
    1 when there is one (like ``audit``'s FAIL), 2 for a usage error or an unknown
    ``--from`` / ``--to`` name, 3 when the authorization details could not be read.
    """
    from auditor.model import Source  # noqa: PLC0415
    from auditor.policy.graph import attack_graph, cheapest_cut  # noqa: PLC0415

    settings = _with_deadline(Settings(), args.deadline)
    _check_assume_options(args)
    if args.from_snapshot is not None:
        snapshot = _load_snapshot(args.from_snapshot)
    else:
        session = _session(args)
        snapshot = run_audit(settings, session=session, only=["PERM-010"]).snapshot
    if snapshot.authorization is None:
        gap = snapshot.gap(Source.AUTHORIZATION_DETAILS)
        why = f"{gap.operation} failed with {gap.error}" if gap else "not in the snapshot"
        print(f"iam-auditor: error: authorization details {why}", file=sys.stderr)
        return ExitCode.INCOMPLETE
    graph = attack_graph(snapshot)
    start = _graph_node(graph, args.start, "--from") if args.start is not None else None
    target = _graph_node(graph, args.target, "--to")
    found = console.select_paths(graph, start, target)
    cut = cheapest_cut(found)
    if args.json:
        data = {"paths": [p.to_dict() for p in found], "cut": cut.to_dict() if cut else None}
        print(json.dumps(data, indent=2))
    else:
        print(console.paths_text(found, cut))
    return ExitCode.FAIL if found else ExitCode.OK


def _graph_node(graph: AttackGraph, name: str, option: str) -> Node:
    node = graph.node(name)
    if node is None:
        raise UsageError(f"{option}: no user, role or entry point {console.inert(name)!r}")
    return node


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "audit": cmd_audit,
    "org": cmd_org,
    "demo": cmd_demo,
    "diff": cmd_diff,
    "paths": cmd_paths,
    "checks": lambda args: cmd_checks(as_json=args.json),
    "permissions": lambda args: cmd_permissions(security_hub=args.security_hub),
}


def _common_options(args: argparse.Namespace) -> tuple[Settings, tuple[Format, ...], list[str]]:
    known = {c.meta.id for c in all_checks()}
    settings = load_config(args.config, known) if args.config else Settings()
    formats = parse_formats(args.format)
    parse_compliance(args.compliance)  # early, so a typo costs no audit
    only = [c.strip() for c in args.checks.split(",") if c.strip()] if args.checks else []
    # Checked here, before any credentials are used or a demo account is built.
    selected_checks(settings, only or None)
    return settings, formats, only


def _session(args: argparse.Namespace) -> boto3.Session:
    """The session ``audit`` and ``paths`` read the account with, from their options."""
    from auditor.collect.session import make_session  # noqa: PLC0415 (boto3 only to collect)

    return make_session(
        profile=args.profile,
        region=args.region,
        role_arn=args.role_arn,
        external_id=args.external_id,
        session_name=args.session_name,
    )


def _load_snapshot(path: Path) -> Snapshot:
    try:
        return loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read snapshot {path}: {exc.strerror}") from exc
    except SnapshotError as exc:
        raise UsageError(f"{path}: {exc}") from exc


def _save_snapshot(path: Path, result: AuditResult) -> None:
    LocalSink(path.parent).write({path.name: dumps(result.snapshot).encode("utf-8")})


def _finish(
    result: AuditResult,
    formats: tuple[Format, ...],
    output_dir: Path,
    *,
    quiet: bool,
    fail_on: Severity | None,
    options: RenderOptions | None = None,
) -> int:
    try:
        paths = LocalSink(output_dir).write(render(result.report, formats, options))
    except OSError as exc:
        return _cannot_write(output_dir, exc)
    if not quiet:
        print(console.summary(result.report, paths))
    return ExitCode.judge(result.report, fail_on)


def _render_options(args: argparse.Namespace, session_region: str | None = None) -> RenderOptions:
    """``--compliance`` and the region ASFF and OCSF name: ``--region``, else the session's."""
    compliance = parse_compliance(args.compliance)
    region = getattr(args, "region", None) or session_region or DEFAULT_REGION
    return RenderOptions(compliance=compliance, region=region)


def _send_to_security_hub(
    session: boto3.Session, report: Report, region: str, *, quiet: bool
) -> int:
    """Import the report's findings into Security Hub; 0, or ``ExitCode.SEND_FAILED`` with the
    failures on stderr. A failed import leaves the audit and its reports as they are.
    """
    from auditor.report.asff import asff_findings  # noqa: PLC0415
    from auditor.securityhub import describe, send_to_security_hub  # noqa: PLC0415

    # One batch of ASFF findings is built at a time, never the whole report's.
    outcome = send_to_security_hub(session, asff_findings(report, region=region), region=region)
    lines = describe(outcome, region=region)
    if not outcome.ok:
        print("iam-auditor: error: " + "\n".join(lines), file=sys.stderr)
        return ExitCode.SEND_FAILED
    if not quiet:
        print("\n".join(lines), file=sys.stderr)
    return ExitCode.OK
