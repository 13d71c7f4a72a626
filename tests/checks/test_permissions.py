"""PERM-001..PERM-006 and PERM-009: the policies users, groups and roles hold.

PERM-007 and PERM-008 are in test_permissions_principals.py.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from factories import (
    ADMIN_DOC,
    READ_ONLY_DOC,
    ROOT_ARN,
    arn,
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

from auditor.checks import get_check
from auditor.model import ResourceType, Severity, Source, Status
from auditor.snapshot import AttachedPolicy, ManagedPolicy, User

AD = Source.AUTHORIZATION_DETAILS
CR = Source.CREDENTIAL_REPORT

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


# --- PERM-003..PERM-008: catalog metadata --------------------------------------------------

NEW_CHECKS = {
    # id: (slug, severity, FSBP, sources)
    "PERM-003": ("admin-policy-unattached", Severity.LOW, (), {AD}),
    "PERM-004": ("service-wildcard", Severity.LOW, ("IAM.21",), {AD}),
    "PERM-005": ("allow-notaction", Severity.MEDIUM, (), {AD}),
    "PERM-006": ("passrole-assumerole-star", Severity.MEDIUM, (), {AD}),
    "PERM-007": ("privilege-escalation", Severity.HIGH, (), {AD}),
    "PERM-008": ("admin-without-mfa", Severity.CRITICAL, (), {AD, CR}),
}


@pytest.mark.parametrize("check_id", sorted(NEW_CHECKS))
def test_new_permission_checks_are_registered_as_catalogued(check_id: str) -> None:
    found = get_check(check_id)
    assert found is not None
    meta = found.meta
    slug, severity, fsbp, needs = NEW_CHECKS[check_id]
    assert (meta.slug, meta.severity, meta.compliance.fsbp, meta.needs) == (
        slug,
        severity,
        fsbp,
        needs,
    )
    assert (meta.compliance.cis_7, meta.compliance.cis_5) == ((), ())
    assert get_check(slug) is found
    assert meta.remediation_cli.startswith("aws ")
    assert meta.references and all(r.startswith("https://") for r in meta.references)
    sentences = [s for s in meta.rationale.split(". ") if s.strip()]
    assert 2 <= len(sentences) <= 3, meta.rationale
    assert meta.title.strip() and meta.remediation.strip()


# --- PERM-003 ----------------------------------------------------------------------------


def _unattached(name: str, doc: dict[str, Any], *, boundary_uses: int = 0) -> ManagedPolicy:
    return dataclasses.replace(
        policy(name, doc, attachments=0), permissions_boundary_usage_count=boundary_uses
    )


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (_unattached("Admin", ADMIN_DOC), Status.FAIL),
        (_unattached("Admin", {"Statement": statement("*:*", "*")}), Status.FAIL),  # dict form
        (_unattached("Admin", document(statement(["*"], ["*"]))), Status.FAIL),
        (policy("Admin", ADMIN_DOC, attachments=2), Status.PASS),  # PERM-002's business
        (_unattached("Tools", READ_ONLY_DOC), Status.PASS),
        (_unattached("IamAll", document(statement("iam:*"))), Status.PASS),  # not *:*
        (_unattached("Boundary", ADMIN_DOC, boundary_uses=3), Status.PASS),
        (
            _unattached(
                "MfaAdmin",
                document(
                    statement("*", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
                ),
            ),
            Status.PASS,
        ),
        (
            _unattached("Broken", {"Statement": [{"Effect": "Allow", "Resource": "*"}]}),
            Status.ERROR,
        ),
    ],
)
def test_perm_003_unattached_customer_admin_policy(p: ManagedPolicy, expected: Status) -> None:
    r = only(run_check("PERM-003", snapshot(policies=[p])))
    assert (r.status, r.resource_arn, r.resource_type) == (expected, p.arn, ResourceType.POLICY)


def test_perm_003_held_policy_counts_as_attached_even_with_a_stale_count() -> None:
    p = _unattached("Admin", ADMIN_DOC)
    snap = snapshot(roles=[role("ops", policies=[p])], policies=[p])
    assert only(run_check("PERM-003", snap)).status is Status.PASS


def test_perm_003_boundary_of_a_principal_counts_as_boundary_use() -> None:
    p = _unattached("Boundary", ADMIN_DOC)
    snap = snapshot(users=[user("alice", boundary=p)], policies=[p])
    assert only(run_check("PERM-003", snap)).status is Status.PASS


def test_perm_003_names_the_statement_and_ignores_aws_managed_policies() -> None:
    aws_admin = dataclasses.replace(ADMIN, attachment_count=0)
    mine = _unattached("Break-glass", document(statement("s3:GetObject"), statement("*", "*")))
    results = run_check("PERM-003", snapshot(policies=[aws_admin, mine]))
    r = only(results)
    assert r.resource_name == "Break-glass"
    assert r.evidence == {"policy": mine.arn, "statements": [1]}
    assert "statement 1" in r.detail


def test_perm_003_account_pass_without_customer_policies() -> None:
    r = only(run_check("PERM-003", snapshot(policies=[ADMIN])))
    assert (r.status, r.resource_arn) == (Status.PASS, ROOT_ARN)


# --- PERM-004 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "expected", "actions"),
    [
        (document(statement("s3:*")), Status.FAIL, ["s3:*"]),
        (
            {"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}},
            Status.FAIL,
            ["ec2:*"],
        ),
        (
            document(statement(["s3:GetObject", "EC2:*"], "arn:aws:s3:::b/*")),
            Status.FAIL,
            ["EC2:*"],
        ),
        (
            document(
                statement("kms:*", condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
            ),
            Status.FAIL,
            ["kms:*"],
        ),
        (
            document(statement(["s3:*", "iam:*"]), statement("sqs:*")),
            Status.FAIL,
            ["iam:*", "s3:*", "sqs:*"],
        ),
        (document(statement("s3:Get*")), Status.PASS, None),
        (document(statement("*")), Status.PASS, None),  # full admin: PERM-002 / PERM-003
        (document(statement("*:*")), Status.PASS, None),
        (document(statement(not_action="s3:*")), Status.PASS, None),  # PERM-005's
        (document(statement("s3:*", effect="Deny")), Status.PASS, None),
        (document(statement("s*:*")), Status.PASS, None),  # not one service
    ],
)
def test_perm_004_service_wildcard_in_customer_policy(
    doc: dict[str, Any], expected: Status, actions: list[str] | None
) -> None:
    p = policy("Custom", doc)
    r = only(run_check("PERM-004", snapshot(policies=[p])))
    assert (r.status, r.resource_arn) == (expected, p.arn)
    assert r.evidence.get("actions") == actions


def test_perm_004_inline_policy_is_reported_on_its_principal() -> None:
    snap = snapshot(
        roles=[role("app", inline_policies=[inline("wide", document(statement("dynamodb:*")))])],
        groups=[group("devs", inline_policies=[inline("narrow", READ_ONLY_DOC)])],
    )
    results = {(r.resource_name, r.qualifier): r for r in run_check("PERM-004", snap)}
    assert set(results) == {("app", "inline:wide"), ("devs", "inline:narrow")}
    wide = results[("app", "inline:wide")]
    assert (wide.status, wide.resource_type, wide.resource_arn) == (
        Status.FAIL,
        ResourceType.ROLE,
        arn("role", "app"),
    )
    assert wide.evidence["policy"] == "inline:wide"
    assert "Inline policy wide of role app" in wide.detail
    assert results[("devs", "inline:narrow")].status is Status.PASS


def test_perm_004_aws_managed_policies_are_not_judged() -> None:
    s3_full = policy("AmazonS3FullAccess", document(statement("s3:*")), aws_managed=True)
    snap = snapshot(users=[user("alice", policies=[s3_full])], policies=[s3_full])
    r = only(run_check("PERM-004", snap))
    assert (r.status, r.resource_arn) == (Status.PASS, ROOT_ARN)


def test_perm_004_unreadable_policy_is_error() -> None:
    broken = policy("Broken", {"Statement": [{"Effect": "Allow", "Action": 3, "Resource": "*"}]})
    r = only(run_check("PERM-004", snapshot(policies=[broken])))
    assert r.status is Status.ERROR
    assert r.evidence["policy_problems"]


# --- PERM-005 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (document(statement(not_action="iam:*")), Status.FAIL),
        (
            document(statement(not_action=["iam:*", "organizations:*"], resource="arn:aws:s3:::b")),
            Status.FAIL,
        ),
        ({"Statement": {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}}, Status.FAIL),
        (
            document(
                statement(not_action="iam:*", condition={"Bool": {"aws:SecureTransport": "true"}})
            ),
            Status.FAIL,
        ),
        (document(statement(not_action="iam:*", effect="Deny")), Status.PASS),  # a guard rail
        (document(statement(["s3:GetObject"])), Status.PASS),
        (document(statement("*")), Status.PASS),
    ],
)
def test_perm_005_allow_with_notaction(doc: dict[str, Any], expected: Status) -> None:
    p = policy("Custom", doc)
    assert only(run_check("PERM-005", snapshot(policies=[p]))).status is expected


def test_perm_005_names_excluded_actions_and_covers_inline_policies() -> None:
    power = inline(
        "power", document(statement("s3:GetObject"), statement(not_action=["iam:*", "account:*"]))
    )
    snap = snapshot(users=[user("alice", inline_policies=[power])])
    r = only(run_check("PERM-005", snap))
    assert (r.status, r.qualifier, r.resource_type) == (
        Status.FAIL,
        "inline:power",
        ResourceType.USER,
    )
    assert r.evidence == {
        "policy": "inline:power",
        "statements": [1],
        "not_actions": ["account:*", "iam:*"],
        "resources": ["*"],
    }
    assert "every action except account:*, iam:*" in r.detail


# --- PERM-006 ----------------------------------------------------------------------------

PASSED_TO_EC2 = {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (document(statement("iam:PassRole")), Status.FAIL),
        (document(statement(["iam:PassRole"], ["*"])), Status.FAIL),
        (
            {"Statement": {"Effect": "Allow", "Action": "iam:passrole", "Resource": "*"}},
            Status.FAIL,
        ),
        (document(statement("iam:Pass*")), Status.FAIL),
        (document(statement("iam:*")), Status.FAIL),
        (document(statement("sts:AssumeRole")), Status.FAIL),
        (document(statement("sts:*")), Status.FAIL),
        (document(statement("iam:PassRole", "arn:aws:iam::*:role/*")), Status.FAIL),
        (document(statement(not_action="s3:*")), Status.FAIL),  # NotAction allows PassRole
        (document(statement("iam:PassRole", condition=PASSED_TO_EC2)), Status.PASS),
        (
            document(
                statement(
                    "iam:PassRole", condition={"StringLike": {"iam:passedtoservice": "lambda.*"}}
                )
            ),
            Status.PASS,  # lower-case key, a pattern that still names a service
        ),
        (
            document(
                statement(
                    "sts:AssumeRole", condition={"StringEquals": {"aws:ResourceTag/team": "data"}}
                )
            ),
            Status.PASS,
        ),
        (
            document(
                statement(
                    "iam:PassRole",
                    condition={"StringNotEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                )
            ),
            Status.FAIL,  # a negated operator restricts nothing
        ),
        (
            document(
                statement(
                    "iam:PassRole",
                    condition={
                        "StringEqualsIfExists": {"iam:PassedToService": "ec2.amazonaws.com"}
                    },
                )
            ),
            Status.FAIL,  # IfExists passes when the key is absent
        ),
        (
            document(
                statement("iam:PassRole", condition={"StringLike": {"iam:PassedToService": "*"}})
            ),
            Status.FAIL,  # a wildcard value pins nothing
        ),
        (
            document(
                statement(
                    "sts:AssumeRole", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}
                )
            ),
            Status.FAIL,  # restricts when, not which role
        ),
        (
            document(statement("iam:PassRole", "arn:aws:iam::123456789012:role/app-task")),
            Status.PASS,
        ),
        (document(statement("iam:PassRole", "arn:aws:iam::123456789012:role/app-*")), Status.PASS),
        (document(statement("iam:PassRole", effect="Deny")), Status.PASS),
        (document(statement("*", "*")), Status.PASS),  # full admin is PERM-002's finding
        (document(statement("iam:GetRole")), Status.PASS),
    ],
)
def test_perm_006_passrole_and_assumerole_on_every_role(
    doc: dict[str, Any], expected: Status
) -> None:
    p = policy("Custom", doc)
    assert only(run_check("PERM-006", snapshot(policies=[p]))).status is expected


def test_perm_006_evidence_names_statement_actions_and_resources() -> None:
    doc = document(
        statement("iam:PassRole", condition=PASSED_TO_EC2),
        statement(["iam:PassRole", "sts:AssumeRole"], "arn:aws:iam::*:role/*"),
    )
    p = policy("Deployer", doc)
    r = only(run_check("PERM-006", snapshot(policies=[p])))
    assert r.status is Status.FAIL
    assert r.evidence == {
        "policy": p.arn,
        "grants": [
            {
                "statement": 1,
                "actions": ["iam:PassRole", "sts:AssumeRole"],
                "resources": ["arn:aws:iam::*:role/*"],
            }
        ],
    }


def test_perm_006_judges_attached_aws_managed_policies_only() -> None:
    attached_p = policy(
        "AWSSomeServiceFullAccess", document(statement("iam:PassRole")), aws_managed=True
    )
    loose = policy(
        "AWSOtherFullAccess", document(statement("iam:PassRole")), aws_managed=True, attachments=0
    )
    snap = snapshot(roles=[role("svc", policies=[attached_p])], policies=[attached_p, loose])
    r = only(run_check("PERM-006", snap))
    assert (r.status, r.resource_name) == (Status.FAIL, "AWSSomeServiceFullAccess")
