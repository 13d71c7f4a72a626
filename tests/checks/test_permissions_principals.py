"""PERM-007 and PERM-008: principals judged by their effective permissions (escalation,
admins without MFA)."""

from __future__ import annotations

from typing import Any

import pytest
from factories import (
    ADMIN_DOC,
    by_name,
    cred_row,
    document,
    group,
    inline,
    key,
    only,
    policy,
    role,
    run_check,
    snapshot,
    statement,
    user,
)

from auditor.model import Result, Status
from auditor.snapshot import User

ADMIN = policy("AdministratorAccess", ADMIN_DOC, aws_managed=True)
READ = policy("ReadS3")


# --- PERM-007 ----------------------------------------------------------------------------


def _escalation(*statements: dict[str, Any]) -> Result:
    alice = user("alice", inline_policies=[inline("p", document(*statements))])
    return only(run_check("PERM-007", snapshot(users=[alice])))


def _methods(r: Result) -> list[str]:
    return [m["method"] for m in r.evidence.get("methods", [])]


@pytest.mark.parametrize(
    ("statements", "expected", "methods"),
    [
        ([statement("iam:CreatePolicyVersion")], Status.FAIL, ["CreatePolicyVersion"]),
        ([statement(["iam:PassRole", "ec2:RunInstances"])], Status.FAIL, ["EC2"]),
        ([statement("iam:PassRole"), statement("ec2:RunInstances")], Status.FAIL, ["EC2"]),
        ([statement("iam:PassRole")], Status.PASS, []),
        ([statement(["iam:PassRole", "lambda:CreateFunction"])], Status.PASS, []),  # no invoke
        (
            [statement(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"])],
            Status.FAIL,
            ["Lambda+Invoke"],
        ),
        (
            [
                statement(
                    "iam:CreatePolicyVersion",
                    condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                )
            ],
            Status.PASS,
            [],
        ),
        (
            [statement("iam:CreatePolicyVersion"), statement("iam:*", effect="Deny")],
            Status.PASS,
            [],
        ),
        (
            [
                statement("iam:CreatePolicyVersion"),
                statement(
                    "iam:*",
                    effect="Deny",
                    condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}},
                ),
            ],
            Status.FAIL,  # a conditional Deny may not apply: it does not subtract
            ["CreatePolicyVersion"],
        ),
        (
            [statement("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}")],
            Status.PASS,
            [],
        ),
        (
            [statement("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/*")],
            Status.FAIL,
            ["CreateAccessKey"],
        ),
        ([statement("iam:Put*")], Status.FAIL, None),
        ([statement("iam:*", "arn:aws:iam::*:*")], Status.FAIL, None),  # not on *: not admin
        ([statement("s3:*"), statement("ec2:Describe*")], Status.PASS, []),
    ],
)
def test_perm_007_escalation_methods(
    statements: list[dict[str, Any]], expected: Status, methods: list[str] | None
) -> None:
    r = _escalation(*statements)
    assert r.status is expected
    if methods is not None:
        assert _methods(r) == methods


def test_perm_007_iam_put_matches_the_put_methods() -> None:
    r = _escalation(statement("iam:Put*"))
    assert {"IAMPut", "PutUserPolicy", "PutGroupPolicy", "PutRolePolicy"} <= set(_methods(r))
    assert "CreatePolicyVersion" not in _methods(r)


def test_perm_007_names_methods_and_granting_policies() -> None:
    passer = policy("PassAnyRole", document(statement("iam:PassRole")))
    runner = policy("RunInstances", document(statement("ec2:RunInstances")))
    snap = snapshot(
        users=[user("bob", groups=["ops"], policies=[runner])],
        groups=[group("ops", policies=[passer])],
        policies=[passer, runner],
    )
    results = by_name(run_check("PERM-007", snap))
    bob = results["bob"]
    assert bob.status is Status.FAIL
    assert bob.evidence["methods"] == [
        {
            "method": "EC2",
            "actions": ["iam:PassRole", "ec2:RunInstances"],
            "policies": ["RunInstances (managed)", "PassAnyRole (managed, via group ops)"],
        }
    ]
    assert "EC2 (iam:PassRole, ec2:RunInstances" in bob.detail
    # The group alone lacks RunInstances: it cannot escalate.
    assert results["ops"].status is Status.PASS


def test_perm_007_admin_is_not_escalating() -> None:
    snap = snapshot(
        users=[
            user("root-ish", policies=[ADMIN]),
            user("iam-admin", inline_policies=[inline("i", document(statement("iam:*")))]),
        ],
        policies=[ADMIN],
    )
    results = by_name(run_check("PERM-007", snap))
    assert {n: r.status for n, r in results.items()} == {
        "root-ish": Status.PASS,
        "iam-admin": Status.PASS,
    }
    assert results["root-ish"].evidence == {"admin_grants": ["AdministratorAccess (managed)"]}
    assert "already admin-equivalent" in results["iam-admin"].detail


def test_perm_007_group_inherited_escalation_fails_user_and_group() -> None:
    cpv = policy("PolicyEditor", document(statement(["iam:CreatePolicyVersion"])))
    snap = snapshot(
        users=[user("carol", groups=["editors"])],
        groups=[group("editors", policies=[cpv])],
        policies=[cpv],
    )
    results = by_name(run_check("PERM-007", snap))
    assert results["carol"].status is Status.FAIL
    assert results["editors"].status is Status.FAIL
    assert results["carol"].evidence["policies"] == ["PolicyEditor (managed, via group editors)"]


@pytest.mark.parametrize(
    ("boundary_doc", "expected"),
    [
        (document(statement("s3:*")), Status.PASS),  # the boundary limits: no IAM at all
        (document(statement("*")), Status.FAIL),  # a boundary allowing everything limits nothing
        (
            document(statement("*"), statement("iam:CreatePolicyVersion", effect="Deny")),
            Status.PASS,
        ),
    ],
)
def test_perm_007_permissions_boundary_limits(
    boundary_doc: dict[str, Any], expected: Status
) -> None:
    boundary = policy("Boundary", boundary_doc, attachments=0)
    dave = user(
        "dave",
        inline_policies=[inline("p", document(statement("iam:CreatePolicyVersion")))],
        boundary=boundary,
    )
    assert (
        only(run_check("PERM-007", snapshot(users=[dave], policies=[boundary]))).status is expected
    )


def test_perm_007_boundary_never_grants() -> None:
    boundary = policy("Boundary", document(statement("iam:*")), attachments=0)
    erin = user("erin", boundary=boundary)
    assert (
        only(run_check("PERM-007", snapshot(users=[erin], policies=[boundary]))).status
        is Status.PASS
    )


def test_perm_007_skips_service_linked_roles_and_errors_on_unreadable() -> None:
    slr = role(
        "AWSServiceRoleForAutoScaling",
        path="/aws-service-role/autoscaling.amazonaws.com/",
        inline_policies=[inline("p", document(statement(["iam:PassRole", "ec2:RunInstances"])))],
    )
    broken = role(
        "broken",
        inline_policies=[
            inline("b", {"Statement": [{"Effect": "Allow", "Action": "iam:*", "Condition": "x"}]})
        ],
    )
    results = by_name(run_check("PERM-007", snapshot(roles=[slr, broken])))
    assert set(results) == {"broken"}
    assert results["broken"].status is Status.ERROR
    assert "inline:b" in results["broken"].evidence["policy_problems"]


# --- PERM-008 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "mfa", "expected"),
    [
        (user("a", policies=[ADMIN]), False, Status.FAIL),
        (user("a", policies=[ADMIN]), True, Status.PASS),
        (user("a", groups=["admins"]), False, Status.FAIL),
        (
            user("a", inline_policies=[inline("p", document(statement(not_action="iam:*")))]),
            False,
            Status.FAIL,
        ),
        (
            user("a", inline_policies=[inline("p", document(statement("iam:*")))]),
            False,
            Status.FAIL,
        ),
        (user("a", policies=[READ]), False, Status.PASS),
        (
            user(
                "a",
                inline_policies=[
                    inline(
                        "p",
                        document(
                            statement(
                                "*", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}
                            )
                        ),
                    )
                ],
            ),
            False,
            Status.PASS,  # admin only with MFA is not admin-equivalent without it
        ),
        (
            user(
                "a",
                policies=[ADMIN],
                inline_policies=[inline("deny", document(statement("*", effect="Deny")))],
            ),
            False,
            Status.PASS,  # everything denied: not admin-equivalent
        ),
        (
            user("a", policies=[ADMIN], boundary=policy("B", document(statement("s3:*")))),
            False,
            Status.PASS,  # the boundary limits the admin policy to S3
        ),
    ],
)
def test_perm_008_admin_without_mfa(principal: User, mfa: bool, expected: Status) -> None:
    boundary = policy("B", document(statement("s3:*")))
    snap = snapshot(
        users=[principal],
        groups=[group("admins", policies=[ADMIN])],
        policies=[ADMIN, READ, boundary],
        credential_report=[cred_row("a", mfa=mfa, password=True)],
    )
    assert only(run_check("PERM-008", snap)).status is expected


def test_perm_008_detail_and_evidence() -> None:
    snap = snapshot(
        users=[user("alice", groups=["admins"])],
        groups=[group("admins", policies=[ADMIN])],
        policies=[ADMIN],
        credential_report=[cred_row("alice", password=True, keys=[key(1)])],
    )
    r = only(run_check("PERM-008", snap))
    assert r.status is Status.FAIL
    assert r.evidence == {
        "admin_grants": ["AdministratorAccess (managed, via group admins)"],
        "password_enabled": True,
        "active_access_keys": 1,
    }
    assert "a console password and 1 active access key(s)" in r.detail


def test_perm_008_unknown_mfa_is_error_never_pass() -> None:
    snap = snapshot(
        users=[user("new-admin", policies=[ADMIN]), user("odd", policies=[ADMIN]), user("reader")],
        policies=[ADMIN],
        credential_report=[cred_row("odd", problems=["mfa_active: 'maybe'"])],
    )
    results = by_name(run_check("PERM-008", snap))
    assert {n: r.status for n, r in results.items()} == {
        "new-admin": Status.ERROR,
        "odd": Status.ERROR,
        "reader": Status.PASS,
    }
