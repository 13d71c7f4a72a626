"""The ``iam-auditor`` command line end to end: exit codes, options, output and packaging.

Live runs audit a small account on the moto server; runs that need no AWS read a snapshot
(saved by a live run, or built with ``tests/factories``) with the AWS environment pointed
at a dead endpoint and no credentials at all, so any AWS call would fail loudly. Failure
modes (bad config, no credentials, unknown profile, unreachable endpoint) must end with
exit code 2 and one line on stderr, before anything is written. The last test builds the
wheel, installs it into a fresh virtualenv and runs that copy from another directory.
"""

from __future__ import annotations

import csv
import json
import os
import re
import runpy
import stat
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.demo import moto_account
from auditor.snapshot import dumps
from testkit.server import AccessAnalyzerStub, MotoServer

from .audit_helpers import (
    ACCOUNT_ID,
    CORE_CHECKS,
    FAIL,
    PASS,
    REPORT_FILES,
    AuditRun,
    audit,
    bare_env,
    one_error_line,
    read_report_file,
    run_bare,
)
from .conftest import AwsClient, RunCli

DEAD_ENDPOINT = "http://127.0.0.1:1"
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# IAM user names may contain = + , . @ - _ : each of these starts a formula.
HOSTILE_USERS = ("=HYPERLINK", "+1", "@SUM", "-x")


def offline_env() -> dict[str, str]:
    """No credentials and every endpoint dead: a run that touches AWS cannot succeed."""
    return bare_env(AWS_ENDPOINT_URL=DEAD_ENDPOINT, AWS_ENDPOINT_URL_ACCESSANALYZER=DEAD_ENDPOINT)


def offline_audit(snapshot: Path, output_dir: Path, *args: str) -> AuditRun:
    """``iam-auditor audit --from-snapshot`` with ``offline_env`` (no AWS reachable)."""
    proc = run_bare(
        "audit",
        "--from-snapshot",
        snapshot,
        "--output-dir",
        output_dir,
        *args,
        env=offline_env(),
        cwd=output_dir.parent,
    )
    return AuditRun(proc=proc, output_dir=output_dir, report=read_report_file(output_dir))


def finding_list(run: AuditRun) -> list[tuple[str, str, str, str]]:
    """What two audits of the same data must agree on, in a stable order."""
    return sorted((f["finding_id"], f["check_id"], f["status"], f["detail"]) for f in run.findings)


def worst_unmuted_fail(run: AuditRun) -> str:
    """The highest severity among unmuted FAIL findings."""
    fails = [str(f["severity"]) for f in run.findings if f["status"] == FAIL and not f["muted"]]
    return max(fails, key=SEVERITY_RANK.__getitem__)


# --- a live audit: summary, report files, snapshot round trip --------------------------------


def build_medium_account(iam: Any) -> None:
    """Root well kept, no password policy, a workload user: FAILs up to medium, no ERROR."""
    moto_account.set_root_state(
        access_keys_present=False, mfa_enabled=True, password_last_used_days_ago=200
    )
    iam.create_user(UserName="ci-uploader")
    iam.create_access_key(UserName="ci-uploader")
    moto_account.backdate_user("ci-uploader", created_days_ago=40)
    moto_account.backdate_access_key("ci-uploader", 1, created_days_ago=30, last_used_days_ago=1)


def test_live_audit_summary_reports_and_offline_snapshot_round_trip(
    aws_client: AwsClient,
    server: MotoServer,
    aa_stub: AccessAnalyzerStub,
    run_cli: RunCli,
    tmp_path: Path,
) -> None:
    build_medium_account(aws_client("iam"))
    snap = tmp_path / "snapshots" / "account.json"

    live = audit(run_cli, tmp_path / "live", "--save-snapshot", snap)

    # Default --fail-on low: the medium and low FAILs make it exit 1.
    assert live.proc.returncode == 1, live.proc.stderr
    assert live.report is not None and live.report["complete"] is True
    assert worst_unmuted_fail(live) == "medium"
    # The terminal summary: score and grade as in the report, and where the reports are.
    score = live.report["score"]
    assert f"score {score['value']:.1f} / 100, grade {score['grade']}" in live.proc.stdout
    paths = [str(tmp_path / "live" / name) for name in REPORT_FILES]
    assert live.proc.stdout.strip().splitlines()[-3:] == [f"  {p}" for p in paths]
    # Reports and the snapshot are owner-only.
    for path in [*map(Path, paths), snap]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert aa_stub.calls() > 1  # it really was live: every region's analyzers were listed

    # Offline: no credentials, every endpoint dead; the same findings come out.
    moto_calls, aa_calls = server.calls(), aa_stub.calls()
    offline = offline_audit(snap, tmp_path / "offline", "--format", "json")

    assert offline.proc.returncode == 1, offline.proc.stderr
    assert finding_list(offline) == finding_list(live)
    assert offline.report is not None
    assert offline.report["score"] == live.report["score"]
    assert (server.calls(), aa_stub.calls()) == (moto_calls, aa_calls)


# --- exit codes and --fail-on, from a snapshot -----------------------------------------------


@pytest.fixture(scope="module")
def factory_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete snapshot (tests/factories) whose worst FAIL is medium, and no ERROR."""
    import factories as f

    snap = f.snapshot(
        credential_report=[
            f.root_row(mfa=True, password_used_days_ago=200),
            f.cred_row("alice", keys=[f.key(1, age_days=120, used_days_ago=1)]),
        ],
        users=[f.user("alice")],
        account_summary=f.summary(keys=0, mfa=1),
        password_policy=None,
        virtual_mfa_devices=(),
        server_certificates=(),
        saml_providers=(),
        oidc_providers=(),
        access_analyzer=f.access_analyzer(["us-east-1"], f.analyzer("us-east-1")),
    )
    path = tmp_path_factory.mktemp("factory-snapshot") / "snapshot.json"
    path.write_text(dumps(snap), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [
        ("never", 0),  # FAILs, but nothing fails the run
        ("critical", 0),  # only medium and lower FAILs
        ("medium", 1),  # the worst FAIL is medium
    ],
)
def test_fail_on_sets_the_exit_code_and_quiet_prints_nothing(
    factory_snapshot: Path, tmp_path: Path, fail_on: str, expected: int
) -> None:
    run = offline_audit(factory_snapshot, tmp_path / "out", "--fail-on", fail_on, "-q")

    assert run.proc.returncode == expected, run.proc.stderr
    assert run.proc.stdout == ""
    assert run.report is not None and run.report["complete"] is True
    assert worst_unmuted_fail(run) == "medium"
    assert sorted(p.name for p in run.output_dir.iterdir()) == sorted(REPORT_FILES)


# --- --checks and --config -------------------------------------------------------------------


def build_key_account(iam: Any) -> None:
    """A legacy deploy user with a 200-day-old key, and alice with a fresh one."""
    moto_account.set_root_state(access_keys_present=False, mfa_enabled=True)
    for name, age in (("legacy-deployer", 200), ("alice", 10)):
        iam.create_user(UserName=name)
        iam.create_access_key(UserName=name)
        moto_account.backdate_user(name, created_days_ago=300)
        moto_account.backdate_access_key(name, 1, created_days_ago=age, last_used_days_ago=1)


def test_checks_option_runs_one_check_on_only_its_data(
    aws_client: AwsClient,
    server: MotoServer,
    aa_stub: AccessAnalyzerStub,
    run_cli: RunCli,
    tmp_path: Path,
) -> None:
    build_key_account(aws_client("iam"))
    before = server.calls()

    run = audit(run_cli, tmp_path / "out", "--checks", "KEY-002", "--format", "json")

    assert run.proc.returncode == 1, run.proc.stderr
    assert sorted((f["check_id"], f["resource_name"], f["status"]) for f in run.findings) == [
        ("KEY-002", "alice", PASS),
        ("KEY-002", "legacy-deployer", FAIL),
    ]
    # KEY-002 reads the credential report; the context rule (an old key of an
    # admin-equivalent user is raised one level) adds the authorization details, one call.
    # Nothing else was asked for.
    made = {op for op, n in server.calls().items() if n > before.get(op, 0)}
    assert made == {
        "sts:GetCallerIdentity",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GetAccountAuthorizationDetails",
    }
    assert aa_stub.calls() == 0


MUTE_CONFIG = """\
[[mute]]
check = "KEY-002"
resource = "arn:aws:iam::*:user/legacy-*"
reason = "Vendor rotates quarterly; ticket SEC-123"
"""


def test_config_mute_marks_the_finding_and_only_unmuted_fails_count(
    aws_client: AwsClient, run_cli: RunCli, tmp_path: Path
) -> None:
    build_key_account(aws_client("iam"))
    config = tmp_path / "iam-auditor.toml"
    config.write_text(MUTE_CONFIG, encoding="utf-8")
    snap = tmp_path / "snapshot.json"

    run = audit(
        run_cli,
        tmp_path / "muted",
        "--checks",
        "KEY-002",
        "--config",
        config,
        "--save-snapshot",
        snap,
        "--format",
        "json,csv",
    )

    # The only FAIL is muted: still in the report, with its reason, and the run passes.
    assert run.proc.returncode == 0, run.proc.stdout + run.proc.stderr
    legacy = [f for f in run.findings if f["resource_name"] == "legacy-deployer"]
    assert [(f["status"], f["muted"], f["mute_reason"]) for f in legacy] == [
        (FAIL, True, "Vendor rotates quarterly; ticket SEC-123")
    ]
    (alice,) = [f for f in run.findings if f["resource_name"] == "alice"]
    assert (alice["status"], alice["muted"]) == (PASS, False)
    assert run.report is not None and run.report["summary"]["muted"] == 1
    assert "1 muted" in run.proc.stdout
    csv_text = (run.output_dir / "report.csv").read_text(encoding="utf-8-sig")
    assert "Vendor rotates quarterly; ticket SEC-123" in csv_text

    # The same data without the mute: the FAIL counts again.
    unmuted = offline_audit(snap, tmp_path / "unmuted", "--checks", "KEY-002")
    assert unmuted.proc.returncode == 1, unmuted.proc.stderr
    assert [
        (f["status"], f["muted"])
        for f in unmuted.findings
        if f["resource_name"] == "legacy-deployer"
    ] == [(FAIL, False)]


def test_config_with_an_unknown_key_stops_before_anything_runs(
    server: MotoServer, run_cli: RunCli, tmp_path: Path
) -> None:
    config = tmp_path / "typo.toml"
    config.write_text("[thresholds]\nkey_rotation_days = 90\nkey_rotaton_days = 30\n")

    proc = run_cli("audit", "--config", config, "--output-dir", tmp_path / "out")

    # The file, the line and the key, on one line.
    line = one_error_line(proc)
    assert f"{config}:3:" in line and "key_rotaton_days" in line, line
    assert not (tmp_path / "out").exists()
    assert server.calls() == {}


# --- credential and connection failures ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        pytest.param((), {}, "no usable AWS credentials", id="no-credentials"),
        pytest.param(("--profile", "nope"), {}, "'nope' not found", id="unknown-profile"),
        pytest.param(
            (),
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_ENDPOINT_URL": DEAD_ENDPOINT,
            },
            "cannot reach AWS",
            id="unreachable-endpoint",
        ),
    ],
)
def test_unusable_credentials_or_endpoint_exit_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], says: str
) -> None:
    # The timeout bounds the run: an unreachable endpoint must not retry for minutes.
    proc = run_bare(
        "audit",
        *args,
        "--output-dir",
        tmp_path / "out",
        env=bare_env(**env),
        cwd=tmp_path,
        timeout=60,
    )

    assert says in one_error_line(proc)
    assert not (tmp_path / "out").exists()


# --- catalog and permissions -----------------------------------------------------------------


def test_checks_lists_the_catalog_as_a_table_and_as_json(run_cli: RunCli) -> None:
    as_json = run_cli("checks", "--json")
    table = run_cli("checks")

    assert (as_json.returncode, table.returncode) == (0, 0), as_json.stderr + table.stderr
    catalog = json.loads(as_json.stdout)
    ids = [c["id"] for c in catalog]
    assert set(CORE_CHECKS) <= set(ids)
    assert len(ids) == len(set(ids))
    for entry in catalog:
        assert entry["severity"] in SEVERITY_RANK
        assert entry["slug"] and entry["title"]
    by_id = {c["id"]: c for c in catalog}
    assert by_id["KEY-002"]["slug"] == "access-key-rotation"
    assert by_id["KEY-002"]["compliance"]["CIS-7.0"] == ["2.12"]
    assert by_id["ROOT-001"]["severity"] == "critical"
    rows = {line.split()[0]: line.split()[1] for line in table.stdout.splitlines()[1:]}
    assert rows == {c["id"]: c["severity"] for c in catalog}


def test_permissions_prints_a_read_only_policy(run_cli: RunCli) -> None:
    proc = run_cli("permissions")

    assert proc.returncode == 0, proc.stderr
    policy = json.loads(proc.stdout)
    assert policy["Version"] == "2012-10-17"
    actions = [a for s in policy["Statement"] for a in s["Action"]]
    assert {s["Effect"] for s in policy["Statement"]} == {"Allow"}
    assert {
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GetAccountAuthorizationDetails",
        "access-analyzer:ListAnalyzers",
    } <= set(actions)
    # Read-only: the one write is generating the credential report.
    writes = [a for a in actions if not re.match(r"^[a-z0-9-]+:(Get|List|Describe)", a)]
    assert writes == ["iam:GenerateCredentialReport"]


# --- hostile names stay inert ----------------------------------------------------------------


def test_formula_like_user_names_are_inert_in_csv_and_html(
    aws_client: AwsClient, run_cli: RunCli, tmp_path: Path
) -> None:
    iam = aws_client("iam")
    moto_account.set_root_state(access_keys_present=False, mfa_enabled=True)
    for name in HOSTILE_USERS:
        iam.create_user(UserName=name)

    run = audit(run_cli, tmp_path / "out", "--checks", "USER-002,PERM-001")

    assert run.proc.returncode == 1, run.proc.stderr
    # JSON keeps the names exactly; they are data there.
    assert {f["resource_name"] for f in run.findings} == set(HOSTILE_USERS)

    with (run.output_dir / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert len(body) == len(run.findings)
    dangerous = [cell for row in rows for cell in row if cell.startswith(FORMULA_START)]
    assert dangerous == []
    names = {row[header.index("resource_name")] for row in body}
    assert names == {f"'{name}" for name in HOSTILE_USERS}
    # The detail cell starts with the name too, and is neutralised the same way.
    details = [row[header.index("detail")] for row in body]
    assert "'=HYPERLINK has no MFA device." in details

    html = (run.output_dir / "report.html").read_text(encoding="utf-8")
    assert "=HYPERLINK" in html and ACCOUNT_ID in html
    assert not re.search(r"<script[^>]*\ssrc\s*=", html, re.IGNORECASE)
    remote = re.findall(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.IGNORECASE)
    assert remote == []


# --- the wheel, installed on its own -----------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
# The Lambda packager's wheel build: from a clean copy of only what a wheel is built from
# (the checkout gets no build/ or egg-info; tests, caches and .venv stay out), offline
# since the dev environment has the build backend.
BUILD_WHEEL: Callable[[Path], Path] = runpy.run_path(str(REPO / "deploy" / "package.py"))[
    "build_wheel"
]
PIP_INSTALL_OFFLINE = ("install", "--no-deps", "--no-index", "--quiet")
PRINT_PURELIB = "import sysconfig; print(sysconfig.get_paths()['purelib'])"


def _isolated_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` without PYTHONPATH: nothing may put the checkout on the fresh venv's path."""
    return {k: v for k, v in env.items() if k != "PYTHONPATH"}


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(  # noqa: S603 - interpreters and tools of this test, fixed arguments
        [str(a) for a in args],
        cwd=cwd,
        env=_isolated_env(dict(os.environ)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_the_wheel_installs_and_runs_from_a_fresh_virtualenv(
    factory_snapshot: Path, tmp_path: Path
) -> None:
    wheel = BUILD_WHEEL(tmp_path / "build")

    # A fresh virtualenv holding only the wheel. Its dependencies come from this venv
    # through a .pth file, whose lines site.py appends after the fresh site-packages, so
    # the wheel's auditor is found first (this venv's editable hook is never run).
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, *PIP_INSTALL_OFFLINE, wheel, cwd=tmp_path)
    purelib = Path(_run(python, "-c", PRINT_PURELIB, cwd=tmp_path).stdout.strip())
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (purelib / "zz-dev-dependencies.pth").write_text("".join(f"{p}\n" for p in ours))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run(python, "-c", "import auditor; print(auditor.__file__)", cwd=elsewhere).stdout
    assert Path(where.strip()).is_relative_to(purelib), where

    out = elsewhere / "reports"
    proc = run_bare(
        "audit",
        "--from-snapshot",
        factory_snapshot,
        "--format",
        "html",
        "--output-dir",
        out,
        env=_isolated_env(offline_env()),
        cwd=elsewhere,
        cli=venv / "bin" / "iam-auditor",
    )
    # The packaged templates render: the report names the account and the failing check.
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert [p.name for p in out.iterdir()] == ["report.html"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert ACCOUNT_ID in html and "KEY-002" in html
