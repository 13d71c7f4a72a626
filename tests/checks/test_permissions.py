"""PERM-001, PERM-002, PERM-009: policies held by users, groups and roles."""

from __future__ import annotations

import pytest
from factories import (
    ADMIN_DOC,
    READ_ONLY_DOC,
    ROOT_ARN,
    by_name,
    document,
    group,
    inline,
    only,
    policy,
    role,
    run_check,
    snapshot,
    statement,
    user,
)

from auditor.model import ResourceType, Status
from auditor.snapshot import AttachedPolicy, User

ADMIN = policy("AdministratorAccess", ADMIN_DOC, aws_managed=True)
READ = policy("ReadS3")
CLOUDSHELL = policy(
    "AWSCloudShellFullAccess", document(statement("cloudshell:*")), aws_managed=True
)


# --- PERM-001 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        (user("alice", groups=["devs"]), Status.PASS),
        (user("alice", policies=[READ]), Status.FAIL),
        (user("alice", inline_policies=[inline("extra", READ_ONLY_DOC)]), Status.FAIL),
    ],
)
def test_perm_001_user_direct_policies(principal: User, expected: Status) -> None:
    snap = snapshot(users=[principal], groups=[group("devs", policies=[READ])], policies=[READ])
    assert only(run_check("PERM-001", snap)).status is expected


def test_perm_001_names_both_kinds() -> None:
    alice = user("alice", policies=[READ], inline_policies=[inline("extra", READ_ONLY_DOC)])
    r = only(run_check("PERM-001", snapshot(users=[alice], policies=[READ])))
    assert r.detail == "User alice has attached managed policy ReadS3 and inline policy extra."
    assert r.evidence == {"inline_policies": ["extra"], "attached_policies": [READ.arn]}


# --- PERM-002 ----------------------------------------------------------------------------


def test_perm_002_one_finding_per_principal_with_the_granting_policies() -> None:
    everything = inline("everything", document(statement("*:*", "*")))
    snap = snapshot(
        users=[user("alice", policies=[ADMIN]), user("bob", policies=[READ])],
        groups=[group("admins", inline_policies=[everything])],
        roles=[role("deploy", policies=[ADMIN, READ], inline_policies=[everything])],
        policies=[ADMIN, READ],
    )
    results = by_name(run_check("PERM-002", snap))
    assert {n: r.status for n, r in results.items()} == {
        "alice": Status.FAIL,
        "bob": Status.PASS,
        "admins": Status.FAIL,
        "deploy": Status.FAIL,
    }
    assert results["deploy"].evidence["policies"] == ["inline:everything", ADMIN.arn]
    assert "AdministratorAccess (managed)" in results["deploy"].detail
    assert results["admins"].resource_type is ResourceType.GROUP
    assert results["deploy"].resource_type is ResourceType.ROLE
    assert results["alice"].resource_type is ResourceType.USER


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (document(statement("*", "*")), Status.FAIL),
        (document(statement("*:*", "*")), Status.FAIL),
        ({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}, Status.FAIL),
        (document(statement(["s3:GetObject", "*"], ["arn:aws:s3:::b", "*"])), Status.FAIL),
        (document(statement("iam:*", "*")), Status.PASS),  # admin-equivalent, not *:*
        (document(statement("*", "arn:aws:s3:::bucket/*")), Status.PASS),
        (document(statement(not_action="iam:*")), Status.PASS),
        (
            document(statement("*", "*", condition={"Bool": {"aws:MultiFactorAuthPresent": True}})),
            Status.PASS,
        ),
        (document(statement("*", "*", effect="Deny")), Status.PASS),
    ],
)
def test_perm_002_what_counts_as_full_admin(doc: dict[str, object], expected: Status) -> None:
    snap = snapshot(roles=[role("r", inline_policies=[inline("p", doc)])])
    assert only(run_check("PERM-002", snap)).status is expected


def test_perm_002_user_inheriting_from_group_passes_and_says_where() -> None:
    snap = snapshot(
        users=[user("alice", groups=["admins"])],
        groups=[group("admins", policies=[ADMIN])],
        policies=[ADMIN],
    )
    results = by_name(run_check("PERM-002", snap))
    assert results["admins"].status is Status.FAIL
    assert results["alice"].status is Status.PASS
    assert results["alice"].evidence == {"inherited_from_groups": ["admins"]}


def test_perm_002_permissions_boundary_does_not_grant() -> None:
    boundary = policy("Boundary", ADMIN_DOC)
    snap = snapshot(users=[user("alice", boundary=boundary)], policies=[boundary])
    assert only(run_check("PERM-002", snap)).status is Status.PASS


def test_perm_002_administrator_access_known_by_arn_without_document() -> None:
    snap = snapshot(roles=[role("ops", policies=[ADMIN])], policies=[])
    assert only(run_check("PERM-002", snap)).status is Status.FAIL


def test_perm_002_unreadable_policy_is_error_not_pass() -> None:
    broken = inline(
        "broken",
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": "x"}]},
    )
    snap = snapshot(roles=[role("r", inline_policies=[broken])])
    r = only(run_check("PERM-002", snap))
    assert r.status is Status.ERROR
    assert "inline:broken" in r.evidence["policy_problems"]


def test_perm_002_uses_the_default_version_document() -> None:
    # The snapshot carries only the default version; an admin non-default version is
    # invisible here by design, and the read-only default passes.
    safe = policy("Tooling", READ_ONLY_DOC)
    snap = snapshot(users=[user("alice", policies=[safe])], policies=[safe])
    assert only(run_check("PERM-002", snap)).status is Status.PASS


# --- PERM-009 ----------------------------------------------------------------------------


def test_perm_009_fails_per_principal_with_cloudshell_full_access() -> None:
    snap = snapshot(
        users=[user("alice", policies=[CLOUDSHELL]), user("bob")],
        groups=[group("ops", policies=[CLOUDSHELL])],
        roles=[role("r", policies=[READ])],
        policies=[CLOUDSHELL, READ],
    )
    results = by_name(run_check("PERM-009", snap))
    assert {n: r.status for n, r in results.items()} == {"alice": Status.FAIL, "ops": Status.FAIL}


def test_perm_009_any_partition() -> None:
    gov = AttachedPolicy(
        "AWSCloudShellFullAccess", "arn:aws-us-gov:iam::aws:policy/AWSCloudShellFullAccess"
    )
    alice = user("alice")
    alice = User(**{**alice.__dict__, "attached_policies": (gov,)})
    assert only(run_check("PERM-009", snapshot(users=[alice]))).status is Status.FAIL


def test_perm_009_one_account_pass_when_nobody_has_it() -> None:
    snap = snapshot(users=[user("alice", policies=[READ])], roles=[role("r")], policies=[READ])
    r = only(run_check("PERM-009", snap))
    assert (r.status, r.resource_arn, r.resource_type) == (
        Status.PASS,
        ROOT_ARN,
        ResourceType.ACCOUNT,
    )


def test_perm_009_a_customer_policy_of_that_name_does_not_count() -> None:
    lookalike = policy("AWSCloudShellFullAccess", READ_ONLY_DOC)  # customer managed
    snap = snapshot(users=[user("alice", policies=[lookalike])], policies=[lookalike])
    assert only(run_check("PERM-009", snap)).status is Status.PASS
