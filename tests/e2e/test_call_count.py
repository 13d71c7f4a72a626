"""An account of 5,000 users and 1,000 roles costs at most 30 API calls, as does one of 50.

architecture.md's performance story: the auditor reads an account in a number of calls that does
not grow with its users and roles, besides one ``access-analyzer:ListAnalyzers`` per
enabled region. Two accounts are built straight into moto's objects and audited by the
installed CLI: the calls are counted where they arrive (``cli_operations``, the server and
the stub) and by the auditor itself (``Snapshot.api_calls`` of ``--save-snapshot``), and the
two counts must agree. Their MFA users hold real virtual MFA devices (about 850 at 5,000
users), which IAM lists 100 a page unless asked for its largest page of 1,000.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from auditor.collect.authorization import PAGE_SIZE
from auditor.demo import moto_account
from auditor.demo.access_analyzer import ANY_REGION, analyzer
from auditor.iam_policy import required_actions
from auditor.snapshot import Snapshot, loads
from testkit.server import AccessAnalyzerStub, MotoServer

from .conftest import OperationLog, RunCli

BUDGET = 30
# The README's "same dozen IAM calls", whatever the size of the account.
IAM_BUDGET = 12
LIST_ANALYZERS = "access-analyzer:ListAnalyzers"
AUTHORIZATION_DETAILS = "iam:GetAccountAuthorizationDetails"
VIRTUAL_MFA = "iam:ListVirtualMFADevices"

# What peers call once or more per user, role, group or policy; none may appear.
PER_ENTITY = frozenset(
    {
        "iam:ListUsers",
        "iam:ListRoles",
        "iam:ListGroups",
        "iam:ListPolicies",
        "iam:GetUser",
        "iam:GetRole",
        "iam:GetGroup",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:GetLoginProfile",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
        "iam:ListMFADevices",
        "iam:ListSigningCertificates",
        "iam:ListSSHPublicKeys",
        "iam:ListServiceSpecificCredentials",
        "iam:ListGroupsForUser",
        "iam:ListUserPolicies",
        "iam:ListRolePolicies",
        "iam:ListGroupPolicies",
        "iam:GetUserPolicy",
        "iam:GetRolePolicy",
        "iam:GetGroupPolicy",
        "iam:ListAttachedUserPolicies",
        "iam:ListAttachedRolePolicies",
        "iam:ListAttachedGroupPolicies",
        "iam:ListEntitiesForPolicy",
        "iam:ListUserTags",
        "iam:ListRoleTags",
        "iam:ListInstanceProfilesForRole",
    }
)


@dataclass(frozen=True)
class Counted:
    """One audit's calls: as the endpoints received them, and as the auditor counted them."""

    account: moto_account.BulkAccount
    received: dict[str, int]
    snapshot: Snapshot

    def without_analyzers(self) -> int:
        """Every call but the one ListAnalyzers per enabled region."""
        return sum(n for op, n in self.received.items() if op != LIST_ANALYZERS)

    def iam(self) -> int:
        """The IAM calls alone."""
        return sum(n for op, n in self.received.items() if op.startswith("iam:"))


def _audit_bulk_account(
    users: int,
    roles: int,
    *,
    server: MotoServer,
    aa_stub: AccessAnalyzerStub,
    run_cli: RunCli,
    cli_operations: OperationLog,
    out: Path,
) -> Counted:
    server.reset()
    aa_stub.reset()
    account = moto_account.bulk_create(users=users, roles=roles, keys_per_user=1)
    moto_account.set_root_state(access_keys_present=False, mfa_enabled=True)
    aa_stub.set_analyzers(ANY_REGION, [analyzer("ExternalAccess")])
    snapshot_file = out / "snapshot.json"
    done = run_cli(
        "audit",
        "--output-dir",
        out / "reports",
        "--format",
        "json",
        "-q",
        "--save-snapshot",
        snapshot_file,
    )
    # Complete (not 3): an ERROR could hide calls that were never made.
    assert done.returncode in (0, 1), done.stderr
    report = json.loads((out / "reports" / "report.json").read_text(encoding="utf-8"))
    assert report["complete"] is True
    # The audit saw the whole account (plus root), so the count is not of a partial read.
    assert report["summary"]["ERROR"] == 0
    snapshot = loads(snapshot_file.read_text(encoding="utf-8"))
    assert snapshot.authorization is not None
    assert len(snapshot.authorization.users) == users
    assert len(snapshot.authorization.roles) == roles
    assert snapshot.credential_report is not None
    assert len(snapshot.credential_report.users) == users
    assert snapshot.virtual_mfa_devices is not None
    assert len(snapshot.virtual_mfa_devices) == account.virtual_mfa_devices == account.mfa_users
    return Counted(account, cli_operations.runs[-1], snapshot)


def test_calls_do_not_grow_with_users_and_roles(
    server: MotoServer,
    aa_stub: AccessAnalyzerStub,
    run_cli: RunCli,
    cli_operations: OperationLog,
    tmp_path: Path,
) -> None:
    counted = {
        users: _audit_bulk_account(
            users,
            roles,
            server=server,
            aa_stub=aa_stub,
            run_cli=run_cli,
            cli_operations=cli_operations,
            out=tmp_path / str(users),
        )
        for users, roles in ((50, 10), (5000, 1000))
    }
    small, large = counted[50], counted[5000]

    # The auditor's own count is the endpoints' count: nothing uncounted, no retries.
    for audit in (small, large):
        assert dict(audit.snapshot.api_calls) == audit.received

    # One ListAnalyzers per enabled region, and nothing else grows.
    assert large.snapshot.access_analyzer is not None
    regions = large.snapshot.access_analyzer.regions
    assert len(regions) > 1
    assert large.received[LIST_ANALYZERS] == len(regions)
    assert large.without_analyzers() <= BUDGET

    # The same calls, operation by operation, for 100 times the users. The credential
    # report's polls would be the exception, but moto answers STARTED once and COMPLETE
    # after that, so the auditor's generate-then-poll makes the same calls every time.
    assert large.received == small.received
    assert large.iam() == small.iam() <= IAM_BUDGET

    # Hundreds of virtual MFA devices, still one page: IAM's largest (1,000), where its
    # default of 100 would cost a call per hundred devices.
    assert large.account.virtual_mfa_devices > 500
    assert large.received[VIRTUAL_MFA] == 1

    # moto returns GetAccountAuthorizationDetails in one page; AWS pages it. Counting
    # the pages AWS would need, the budget still holds.
    details = large.snapshot.authorization
    assert details is not None
    entities = len(details.users) + len(details.groups) + len(details.roles)
    pages = math.ceil((entities + len(details.policies)) / PAGE_SIZE)
    assert entities == large.account.users + large.account.roles + large.account.groups
    assert large.received[AUTHORIZATION_DETAILS] == 1
    assert large.without_analyzers() - 1 + pages <= BUDGET

    # Bulk sources only: no per-user or per-role operation, nothing beyond the policy.
    assert set(large.received) & PER_ENTITY == set()
    assert set(large.received) <= set(required_actions())
