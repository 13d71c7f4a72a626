"""``iam-auditor org`` end to end: an Organization on the moto server, audited account by account.

The management account (123456789012, the harness's credentials) creates an Organization
with three member accounts, each given its own users through its
``OrganizationAccountAccessRole``; moto's STS is then made to refuse that role in one
member. The run must audit the management account with its own credentials, the two
reachable members through the role, write each account's reports into its own directory
with its own users' findings, report the refused member as not audited (org summary and
terminal summary) and exit 3. Usage and listing failures end with exit 2 and one line.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from auditor.demo import moto_account
from auditor.demo.moto_account import OrgMember
from auditor.report.json_read import read_report
from testkit.server import MotoServer

from .audit_helpers import ACCOUNT_ID, FAIL, PASSWORD, REPORT_FILES, one_error_line
from .conftest import AwsClient, RunCli

ORG_FILES = ("org-summary.json", "org-summary.csv", "org-summary.html")
ROLE = moto_account.ORG_ROLE_NAME


@dataclass(frozen=True)
class Org:
    """The Organization a test audits: its three members and the one refused."""

    prod: OrgMember
    staging: OrgMember
    sandbox: OrgMember

    @property
    def members(self) -> tuple[OrgMember, ...]:
        return (self.prod, self.staging, self.sandbox)


def member_client(aws_client: AwsClient, member: OrgMember, service: str) -> Any:
    """A client of this test inside ``member``, through its Organization role."""
    creds = aws_client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member.account_id}:role/{ROLE}", RoleSessionName="test-setup"
    )["Credentials"]
    return aws_client(
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


@pytest.fixture
def org(server: Any, aws_client: AwsClient) -> Org:
    """Three members with different users; assuming the role in ``sandbox`` is refused."""
    prod, staging, sandbox = moto_account.create_organization("prod", "staging", "sandbox")
    # prod: a workload user whose only key is 200 days old.
    iam = member_client(aws_client, prod, "iam")
    iam.create_user(UserName="prod-deployer")
    iam.create_access_key(UserName="prod-deployer")
    moto_account.backdate_access_key(
        "prod-deployer", 1, created_days_ago=200, last_used_days_ago=1, account_id=prod.account_id
    )
    # staging: a console user without MFA.
    iam = member_client(aws_client, staging, "iam")
    iam.create_user(UserName="staging-alice")
    iam.create_login_profile(UserName="staging-alice", Password=PASSWORD)
    # sandbox: a user nobody will see, because the role cannot be assumed.
    iam = member_client(aws_client, sandbox, "iam")
    iam.create_user(UserName="sandbox-bob")
    # The management account's own user.
    aws_client("iam").create_user(UserName="mgmt-carol")
    # moto has no root user; without one ROOT-004/005 cannot look and every audit would be
    # incomplete. A clean root everywhere leaves "not audited" the only reason for exit 3.
    for account_id in (ACCOUNT_ID, prod.account_id, staging.account_id, sandbox.account_id):
        moto_account.set_root_state(
            access_keys_present=False, mfa_enabled=True, account_id=account_id
        )
    moto_account.deny_assume_role(f"arn:aws:iam::{sandbox.account_id}:role/{ROLE}")
    return Org(prod, staging, sandbox)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def users_in(report: dict[str, Any]) -> set[str]:
    """The IAM users a report has findings about."""
    return {f["resource_name"] for f in report["findings"] if f["resource_type"] == "AwsIamUser"}


def statuses(report: dict[str, Any], check: str, resource: str) -> list[str]:
    return [
        f["status"]
        for f in report["findings"]
        if f["check_id"] == check and f["resource_name"] == resource
    ]


def test_org_run_audits_each_member_into_its_own_directory(
    run_cli: RunCli, org: Org, tmp_path: Path
) -> None:
    out = tmp_path / "org-out"
    proc = run_cli("org", "--output-dir", out, "--max-workers", "3")

    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    audited = {ACCOUNT_ID, org.prod.account_id, org.staging.account_id}
    assert {p.name for p in out.iterdir() if p.is_dir()} == audited
    for account_id in audited:
        assert sorted(p.name for p in (out / account_id).iterdir()) == sorted(REPORT_FILES)
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == sorted(ORG_FILES)
    # Owner-only, all the way down.
    for path in (out, *out.rglob("*")):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path

    # Each report is its own account's, with its own users' findings and no one else's.
    reports = {a: read_report(read_json(out / a / "report.json")) for a in audited}
    assert {a: r["account_id"] for a, r in reports.items()} == {a: a for a in audited}
    assert users_in(reports[org.prod.account_id]) == {"prod-deployer"}
    assert users_in(reports[org.staging.account_id]) == {"staging-alice"}
    assert users_in(reports[ACCOUNT_ID]) == {"mgmt-carol"}
    assert statuses(reports[org.prod.account_id], "KEY-002", "prod-deployer") == [FAIL]
    assert statuses(reports[org.staging.account_id], "USER-001", "staging-alice") == [FAIL]
    assert statuses(reports[org.staging.account_id], "KEY-002", "prod-deployer") == []

    # The refused member: not audited, and said why, in the org summary...
    summary = read_json(out / "org-summary.json")
    assert summary["runner_account_id"] == ACCOUNT_ID
    assert summary["complete"] is False
    by_id = {a["account_id"]: a for a in summary["accounts"]}
    assert set(by_id) == audited | {org.sandbox.account_id}
    sandbox = by_id[org.sandbox.account_id]
    assert (sandbox["audited"], sandbox["name"], sandbox["score"]) == (False, "sandbox", None)
    assert "AccessDenied" in sandbox["error"]
    assert f"arn:aws:iam::{org.sandbox.account_id}:role/{ROLE}" in sandbox["error"]
    assert [a["account_id"] for a in summary["not_audited"]] == [org.sandbox.account_id]
    # ...worst first: the account that was not audited leads.
    assert summary["accounts"][0]["account_id"] == org.sandbox.account_id
    for account_id in audited:
        entry = by_id[account_id]
        assert entry["audited"] is True
        assert entry["score"]["value"] == reports[account_id]["score"]["value"]
        assert entry["reports"] == [str(out / account_id / name) for name in REPORT_FILES]
    assert "KEY-002" in {t["check_id"] for t in by_id[org.prod.account_id]["failing"]}

    # ...and in the terminal summary (stdout), with plain progress lines on stderr.
    assert f"{org.sandbox.account_id} (sandbox): " in proc.stdout
    assert "NOT AUDITED" in proc.stdout
    assert "3 audited, 1 not audited" in proc.stdout
    assert str(out / "org-summary.json") in proc.stdout
    assert f"{org.sandbox.account_id} (sandbox): NOT AUDITED: " in proc.stderr
    assert f"{org.prod.account_id} (prod): done: score " in proc.stderr
    assert f"{org.prod.account_id} (prod): assuming role {ROLE}…" in proc.stderr
    # The runner's own account is audited with its own credentials: no role to assume.
    assert f"{ACCOUNT_ID} (master): assuming role" not in proc.stderr
    assert "\x1b[" not in proc.stderr


def test_accounts_limits_the_run(run_cli: RunCli, org: Org, tmp_path: Path) -> None:
    out = tmp_path / "only-prod"
    proc = run_cli("org", "--output-dir", out, "--accounts", org.prod.account_id, "-q")

    # prod's old key fails (default --fail-on low) and nothing is unaudited: exit 1.
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert (proc.stdout, proc.stderr) == ("", "")
    assert {p.name for p in out.iterdir() if p.is_dir()} == {org.prod.account_id}
    summary = read_json(out / "org-summary.json")
    assert [a["account_id"] for a in summary["accounts"]] == [org.prod.account_id]
    assert summary["complete"] is True


@pytest.mark.parametrize("value", ["0", "65", "many"])
def test_bad_max_workers_is_one_line_and_exit_2(
    run_cli: RunCli, tmp_path: Path, value: str
) -> None:
    out = tmp_path / "never"
    line = one_error_line(run_cli("org", "--output-dir", out, "--max-workers", value))
    assert "--max-workers" in line
    assert "1 to 64" in line
    assert not out.exists()


@pytest.mark.parametrize("value", ["1234567890123", "abc,123456789012", ","])
def test_bad_accounts_flag_is_one_line_and_exit_2(
    run_cli: RunCli, tmp_path: Path, value: str
) -> None:
    line = one_error_line(run_cli("org", "--output-dir", tmp_path / "never", "--accounts", value))
    assert "--accounts" in line


def test_account_outside_the_organization_is_one_line_and_exit_2(
    run_cli: RunCli, server: MotoServer, tmp_path: Path
) -> None:
    (member,) = moto_account.create_organization("prod")
    out = tmp_path / "never"
    proc = run_cli("org", "--output-dir", out, "--accounts", f"{member.account_id},999999999999")
    line = one_error_line(proc)
    assert "999999999999" in line
    assert member.account_id not in line
    assert not out.exists()


def test_listing_denied_is_one_line_and_exit_2(run_cli: RunCli, org: Org, tmp_path: Path) -> None:
    moto_account.fail_list_accounts("AccessDeniedException")
    out = tmp_path / "never"
    line = one_error_line(run_cli("org", "--output-dir", out))
    assert "organizations:ListAccounts was denied (AccessDeniedException)" in line
    assert "management account or a delegated administrator" in line
    assert not out.exists()


def test_no_organization_is_one_line_and_exit_2(
    run_cli: RunCli, server: MotoServer, tmp_path: Path
) -> None:
    moto_account.fail_list_accounts(
        "AWSOrganizationsNotInUseException", "Your account is not a member of an organization."
    )
    out = tmp_path / "never"
    line = one_error_line(run_cli("org", "--output-dir", out))
    assert "not in an AWS Organization (AWSOrganizationsNotInUseException)" in line
    assert not out.exists()


def test_empty_listing_is_one_line_and_exit_2(
    run_cli: RunCli, server: MotoServer, tmp_path: Path
) -> None:
    # AWS always lists the management account; moto, in no Organization, lists nothing.
    out = tmp_path / "never"
    line = one_error_line(run_cli("org", "--output-dir", out))
    assert "organizations:ListAccounts listed no ACTIVE account" in line
    assert not out.exists()
