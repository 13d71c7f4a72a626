"""Every check's ERROR names the question that check could not answer, not a neighbour's.

Several checks read the same datum (the ``<root_account>`` row, a user's report row, a role's
trust document, a certificate's expiry) and meet the same defect in it; a shared helper
that words the ERROR for one of them tells the reader of another check the wrong thing
(ROOT-005 once said "root use cannot be judged"). One registry-wide test runs every
registered check on a snapshot whose sources were all read but whose data is broken in
each way a check turns into ERROR, and holds two rules:

- an ERROR a check itself reports is worded for that check: no two checks give the same
  ERROR detail for the same resource;
- an ERROR that a failed call explains (the analyzer's, for a gapped source) names that
  call, so the report's gap stands behind it.

A check that can never ERROR on broken data is listed in ``NEVER_ERRORS``; any other check
that this snapshot does not drive to ERROR fails the test, so a new check either joins the
list or brings the broken data that reaches its ERROR.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from factories import (
    ACCOUNT,
    ADMIN_DOC,
    NOW,
    access_analyzer,
    arn,
    cred_row,
    document,
    inline,
    policy,
    role,
    snapshot,
    summary,
    user,
)

from auditor.analyze import analyze
from auditor.checks import all_checks
from auditor.checks.registry import CheckContext
from auditor.config import Settings
from auditor.model import Gap, Source, Status, Tool
from auditor.snapshot import AccessKeyState, ServerCertificate, Snapshot

# Checks whose data has no broken state they could meet: account-level maps and policies
# read whole (a password policy, the account summary, a provider list), where a failed
# read is a gap, never a half-read value.
NEVER_ERRORS = frozenset(
    {
        "ROOT-001",
        "ROOT-002",
        "ROOT-003",
        "PWD-001",
        "PWD-002",
        "PWD-003",
        "PWD-004",
        "PWD-005",
        "PERM-001",
        "PERM-009",
        "ROLE-015",
        "ROLE-016",
        "FED-001",
    }
)

# A statement the policy engine cannot fully read (a condition that is not a block).
_UNREADABLE_POLICY = {
    "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*", "Condition": "x"}]
}
# A trust statement whose principal is not a string.
_UNREADABLE_TRUST = document({"Effect": "Allow", "Principal": {"AWS": 12}, "Action": "*"})


def broken_snapshot() -> Snapshot:
    """Every source read, and every datum a check can find broken, broken once."""
    undated_key = AccessKeyState(slot=1, active=True, last_rotated=None, last_used=None)
    rows = [
        # No <root_account> row at all (moto writes none): ROOT-004 and ROOT-005.
        cred_row("broken", password=True, mfa=True, problems=["mfa_active: 'maybe'"]),
        cred_row("undated", password=True, keys=[undated_key]),
        dataclasses.replace(
            cred_row("no-dates", password=True),
            user_creation_time=None,
            password_last_changed=None,
        ),
    ]
    unreadable = inline("unreadable", _UNREADABLE_POLICY)
    loose = policy("Loose", _UNREADABLE_POLICY, attachments=0)
    admin = policy("AdminLike", ADMIN_DOC)
    cert = ServerCertificate(
        name="no-expiry",
        arn=arn("server-certificate", "no-expiry"),
        certificate_id="ASCANOEXPIRY",
        path="/",
        expiration=None,
        upload_date=None,
    )
    return snapshot(
        credential_report=rows,
        users=[
            user("broken"),
            user("unread", inline_policies=[unreadable]),
            # Admin-equivalent, and created after the credential report: MFA unknown.
            user("new-admin", policies=[admin]),
        ],
        roles=[role("opaque", trust=_UNREADABLE_TRUST, inline_policies=[unreadable])],
        policies=[loose, admin],
        account_summary=summary(),
        password_policy=None,
        virtual_mfa_devices=(),
        server_certificates=(cert,),
        saml_providers=(),
        oidc_providers=(),
        # No enabled region could be listed.
        access_analyzer=access_analyzer([]),
    )


def gapped_snapshot() -> Snapshot:
    """Every call failed: the analyzer answers for each check."""
    gaps = tuple(
        Gap(source=s, operation=f"test:Read{s.name.title()}", error="AccessDenied", message="no")
        for s in Source
        if s is not Source.ORGANIZATION
    )
    return Snapshot(account_id=ACCOUNT, partition="aws", collected_at=NOW, gaps=gaps)


def test_every_error_detail_names_its_own_question() -> None:
    checks = all_checks()

    # Check-level ERRORs: resource -> detail -> the checks that gave it.
    said: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    errored: set[str] = set()
    snap = broken_snapshot()
    for chk in checks:
        for result in chk.run(snap, CheckContext()):
            if result.status is Status.ERROR:
                errored.add(chk.meta.id)
                said[result.resource_arn][result.detail].add(chk.meta.id)
    shared = {
        (resource, detail): sorted(ids)
        for resource, details in said.items()
        for detail, ids in details.items()
        if len(ids) > 1
    }
    assert shared == {}, "ERROR details worded for another check's question"
    silent = {c.meta.id for c in checks} - NEVER_ERRORS - errored
    assert silent == set(), "checks this test never drove to ERROR: add the broken data"

    # Gap-level ERRORs: every check, and each names the call that failed for it.
    gapped = gapped_snapshot()
    report = analyze(gapped, Settings(), checks, tool=Tool("iam-auditor", "test"))
    operations = {g.operation for g in report.gaps}
    assert {f.check_id for f in report.findings} == {c.meta.id for c in checks}
    for finding in report.findings:
        assert finding.status is Status.ERROR, finding.check_id
        assert finding.evidence["operation"] in operations, finding.check_id
        assert finding.evidence["operation"] in finding.detail, finding.check_id
