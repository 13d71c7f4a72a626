"""The printed least-privilege policy is enough, and every action in it is needed.

The installed CLI audits a small account as an IAM user whose only policy is the JSON
``iam-auditor permissions`` prints, with moto enforcing IAM policies. With the whole
policy the audit is complete; with one action taken out, exactly the checks that depend
on it (by the catalog's ``needs`` and ``auditor.sources.SOURCES``) turn ERROR,
every other check is still evaluated, the report says the audit is incomplete and the
exit code is 3 (architecture.md's hard rule 2). The expected sets are derived, never written out,
so a new check or source is covered as soon as it is registered.

The optional statement (``organizations:ListAccounts``, which lets the Organization's
accounts count as trusted) is the exception by design: without it no check turns ERROR,
the audit stays complete and the report says in a note what it could not read.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from auditor.demo import moto_account
from auditor.demo.access_analyzer import ANY_REGION, analyzer
from auditor.errors import ExitCode
from auditor.iam_policy import ALWAYS, OPTIONAL_SID, POLICY_SID, optional_actions
from auditor.report.json_read import read_report
from auditor.sources import SOURCES
from testkit.server import AccessAnalyzerStub, MotoServer, cli_env

from .conftest import CLI, AwsClient, RunCli

# Actions moto cannot deny here: AWS (and moto) allow sts:GetCallerIdentity under any
# policy, and the Access Analyzer stub answers every signed request (moto has no Access
# Analyzer, and the stub does not evaluate IAM policies).
NOT_ENFORCED = frozenset({*ALWAYS, "access-analyzer:ListAnalyzers"})
# Optional actions turn no check to ERROR; the optional statement has its own test.
OPTIONAL = frozenset(optional_actions())
DENIABLE = sorted({a for spec in SOURCES.values() for a in spec.actions} - NOT_ENFORCED - OPTIONAL)

TRUST_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _printed(*args: str) -> str:
    """stdout of the installed CLI; these commands need no AWS (the endpoint is dead)."""
    done = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(CLI), *args],
        env=cli_env("http://127.0.0.1:9"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def printed_policy() -> str:
    """The policy exactly as ``iam-auditor permissions`` prints it."""
    return _printed("permissions")


@pytest.fixture(scope="module")
def catalog() -> dict[str, frozenset[str]]:
    """Each check id of ``iam-auditor checks --json`` and the sources it needs."""
    return {c["id"]: frozenset(c["needs"]) for c in json.loads(_printed("checks", "--json"))}


def dependent_checks(action: str, catalog: dict[str, frozenset[str]]) -> set[str]:
    """The checks that need a source whose collection calls ``action``."""
    sources = {s.value for s, spec in SOURCES.items() if action in spec.actions}
    return {check for check, needs in catalog.items() if needs & sources}


@pytest.fixture
def account(aws_client: AwsClient, aa_stub: AccessAnalyzerStub) -> Iterator[None]:
    """A small account in which every check of the catalog has something to judge.

    A console user with a virtual MFA device (USER-008 judges MFA users only), a user with
    an access key, one with no credentials, a group, a role (ROLE-015 judges roles), a root
    user, and an ACTIVE external-access analyzer in every region.
    """
    iam = aws_client("iam")
    for name in ("alice", "bob", "carol"):
        iam.create_user(UserName=name)
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-42")
    moto_account.add_virtual_mfa(iam, "alice")
    iam.create_access_key(UserName="bob")
    iam.create_group(GroupName="developers")
    iam.add_user_to_group(GroupName="developers", UserName="bob")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST_LAMBDA)
    aa_stub.set_analyzers(ANY_REGION, [analyzer("ExternalAccess")])
    with moto_account.set_root_state(access_keys_present=False, mfa_enabled=True):
        yield


@dataclass(frozen=True)
class AuditorRun:
    """One audit by the ``auditor`` user: its exit code, report.json and access keys."""

    code: int
    report: dict[str, Any]
    keys: dict[str, str]


AuditAs = Callable[[str], AuditorRun]


@pytest.fixture
def audit_as_auditor(
    aws_client: AwsClient, server: MotoServer, run_cli: RunCli, tmp_path: Path
) -> Iterator[AuditAs]:
    """``audit_as_auditor(policy)``: audit as a new user holding only ``policy``, enforced.

    Creates the ``auditor`` user with ``policy`` as its one inline policy and an access
    key, turns moto's policy enforcement on and runs ``iam-auditor audit`` with that key.
    Enforcement is process-wide in moto: the teardown turns it off whatever happened.
    """

    def audit(policy_document: str) -> AuditorRun:
        iam = aws_client("iam")
        iam.create_user(UserName="auditor")
        iam.put_user_policy(
            UserName="auditor", PolicyName="iam-auditor", PolicyDocument=policy_document
        )
        key = iam.create_access_key(UserName="auditor")["AccessKey"]
        keys = {
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        }
        server.enforce_auth()
        out = tmp_path / "reports"
        done = run_cli("audit", "--output-dir", out, "--format", "json", "-q", env=keys)
        assert done.returncode in (0, 1, ExitCode.INCOMPLETE), done.stderr
        report = read_report(json.loads((out / "report.json").read_text(encoding="utf-8")))
        return AuditorRun(done.returncode, report, keys)

    try:
        yield audit
    finally:
        server.stop_enforcing_auth()


def _statuses(report: dict[str, Any]) -> dict[str, set[str]]:
    """Each check id in the report and the statuses of its findings."""
    out: dict[str, set[str]] = {}
    for finding in report["findings"]:
        out.setdefault(finding["check_id"], set()).add(finding["status"])
    return out


@pytest.mark.usefixtures("account")
def test_the_printed_policy_is_enough_for_a_complete_audit(
    audit_as_auditor: AuditAs,
    aws_client: AwsClient,
    printed_policy: str,
    catalog: dict[str, frozenset[str]],
) -> None:
    run = audit_as_auditor(printed_policy)
    # The keys really are held to the policy: what it does not allow is denied.
    as_auditor = aws_client(
        "iam",
        aws_access_key_id=run.keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=run.keys["AWS_SECRET_ACCESS_KEY"],
    )
    with pytest.raises(ClientError) as denied:
        as_auditor.list_users()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"

    code, report = run.code, run.report
    assert code != ExitCode.INCOMPLETE
    assert report["complete"] is True
    assert report["gaps"] == []
    assert report["summary"]["ERROR"] == 0
    statuses = _statuses(report)
    errored = sorted(c for c, seen in statuses.items() if "ERROR" in seen)
    assert errored == []
    # Every check of the catalog looked at something (a check without findings would
    # hide a source that silently came back empty).
    assert set(statuses) == set(catalog)


def test_every_deniable_action_is_tried() -> None:
    # The parametrisation below covers the whole printed policy but what moto cannot deny.
    policy_actions = {a for spec in SOURCES.values() for a in spec.actions} | set(ALWAYS)
    assert set(DENIABLE) | NOT_ENFORCED | OPTIONAL == policy_actions
    assert {"organizations:ListAccounts"} == OPTIONAL
    for named in (
        "iam:GetAccountPasswordPolicy",
        "iam:GetCredentialReport",
        "iam:ListVirtualMFADevices",
        "iam:GetAccountAuthorizationDetails",
        "iam:ListServerCertificates",
    ):
        assert named in DENIABLE


def test_the_derived_dependent_sets_match_the_catalog_families(
    catalog: dict[str, frozenset[str]],
) -> None:
    # A cross-check of the metadata the test below derives its expectations from.
    def family(*prefixes: str) -> set[str]:
        return {c for c in catalog if c.startswith(prefixes)}

    assert dependent_checks("iam:GetAccountPasswordPolicy", catalog) == family("PWD-")
    assert dependent_checks("iam:ListServerCertificates", catalog) == family("CERT-")
    assert dependent_checks("iam:GetAccountAuthorizationDetails", catalog) >= family(
        "PERM-", "ROLE-"
    )
    assert {"ROOT-003", "USER-008"} <= dependent_checks("iam:ListVirtualMFADevices", catalog)
    report_checks = dependent_checks("iam:GetCredentialReport", catalog)
    assert family("USER-", "KEY-") | {"ROOT-004", "ROOT-005"} <= report_checks
    assert report_checks == dependent_checks("iam:GenerateCredentialReport", catalog)


@pytest.mark.parametrize("action", DENIABLE)
@pytest.mark.usefixtures("account")
def test_one_missing_action_turns_exactly_its_checks_to_error(
    action: str,
    audit_as_auditor: AuditAs,
    printed_policy: str,
    catalog: dict[str, frozenset[str]],
) -> None:
    expected = dependent_checks(action, catalog)
    assert expected, f"no check depends on {action}"
    policy = json.loads(printed_policy)
    (statement,) = [s for s in policy["Statement"] if s["Sid"] == POLICY_SID]
    statement["Action"].remove(action)

    run = audit_as_auditor(json.dumps(policy))
    code, report = run.code, run.report

    assert code == ExitCode.INCOMPLETE
    assert report["complete"] is False
    statuses = _statuses(report)
    errored = {c for c, seen in statuses.items() if "ERROR" in seen}
    assert errored == expected
    # Every other check was still evaluated, and only the dependent ones failed to look.
    assert set(statuses) == set(catalog)
    for check in expected:
        assert statuses[check] == {"ERROR"}, check
    for finding in report["findings"]:
        if finding["status"] == "ERROR":
            assert finding["evidence"]["operation"] == action
            assert finding["evidence"]["error"] == "AccessDenied"
    (gap,) = report["gaps"]
    assert (gap["operation"], gap["error"]) == (action, "AccessDenied")
    assert set(gap["checks"]) == expected


def _make_organization(aws_client: AwsClient) -> str:
    """This account as an Organization's management account with one member; its id."""
    org = aws_client("organizations")
    org.create_organization(FeatureSet="ALL")
    created = org.create_account(AccountName="workloads", Email="workloads@example.com")
    return str(created["CreateAccountStatus"]["AccountId"])


def _organization_notes(report: dict[str, Any]) -> list[str]:
    return [n for n in report["notes"] if "Organization" in n]


@pytest.mark.usefixtures("account")
def test_the_printed_policy_reads_the_organization(
    audit_as_auditor: AuditAs, aws_client: AwsClient, printed_policy: str
) -> None:
    _make_organization(aws_client)
    assert [s["Sid"] for s in json.loads(printed_policy)["Statement"]] == [
        POLICY_SID,
        OPTIONAL_SID,
    ]

    run = audit_as_auditor(printed_policy)

    assert run.report["complete"] is True
    assert _organization_notes(run.report) == [
        "2 active account(s) of the AWS Organization count as trusted "
        "(organizations:ListAccounts), with trusted_account_ids"
    ]


@pytest.mark.usefixtures("account")
def test_without_the_optional_statement_the_audit_is_still_complete(
    audit_as_auditor: AuditAs,
    aws_client: AwsClient,
    printed_policy: str,
    catalog: dict[str, frozenset[str]],
) -> None:
    _make_organization(aws_client)
    policy = json.loads(printed_policy)
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != OPTIONAL_SID]
    assert "organizations:ListAccounts" not in json.dumps(policy)

    run = audit_as_auditor(json.dumps(policy))
    code, report = run.code, run.report

    assert code != ExitCode.INCOMPLETE
    assert report["complete"] is True
    assert report["gaps"] == []
    assert report["summary"]["ERROR"] == 0
    statuses = _statuses(report)
    assert sorted(c for c, seen in statuses.items() if "ERROR" in seen) == []
    assert set(statuses) == set(catalog)
    (note,) = _organization_notes(report)
    assert note.startswith(
        "Organization member accounts not read (organizations:ListAccounts failed with "
    )
    assert note.endswith("): only trusted_account_ids count as trusted")
