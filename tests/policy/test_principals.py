"""auditor.policy.principals: the documents a user, group or role holds, and the engine."""

from __future__ import annotations

from typing import Any

from factories import (
    ADMIN_DOC,
    READ_ONLY_DOC,
    group,
    inline,
    policy,
    role,
    user,
)

from auditor.policy import (
    Decision,
    PolicyEngine,
    effective_documents,
)
from auditor.snapshot import AuthorizationDetails

# --- principals and their policies -------------------------------------------------------


def _account() -> tuple[AuthorizationDetails, dict[str, Any]]:
    admin = policy("AdministratorAccess", ADMIN_DOC, aws_managed=True)
    read = policy("Read", READ_ONLY_DOC)
    boundary = policy("Boundary", ADMIN_DOC)
    alice = user(
        "alice",
        policies=[read],
        inline_policies=[inline("own", READ_ONLY_DOC)],
        groups=["admins", "gone"],
        boundary=boundary,
    )
    admins = group("admins", policies=[admin], inline_policies=[inline("grp", READ_ONLY_DOC)])
    deploy = role("deploy", policies=[admin])
    details = AuthorizationDetails(
        users=(alice,), groups=(admins,), roles=(deploy,), policies=(admin, read, boundary)
    )
    return details, {"alice": alice, "admins": admins, "deploy": deploy}


def test_effective_documents_of_a_user_include_groups_but_not_boundaries() -> None:
    details, p = _account()
    held = effective_documents(p["alice"], details)
    assert [(h.label, h.ref) for h in held] == [
        ("own (inline)", "inline:own"),
        ("Read (managed)", "arn:aws:iam::123456789012:policy/Read"),
        ("grp (inline, via group admins)", "inline:grp"),
        (
            "AdministratorAccess (managed, via group admins)",
            "arn:aws:iam::aws:policy/AdministratorAccess",
        ),
    ]
    assert held[1].document == READ_ONLY_DOC


def test_effective_documents_of_groups_and_roles_are_their_own() -> None:
    details, p = _account()
    assert [h.name for h in effective_documents(p["admins"], details)] == [
        "grp",
        "AdministratorAccess",
    ]
    assert [h.name for h in effective_documents(p["deploy"], details)] == ["AdministratorAccess"]


def test_engine_full_admin_grants_direct_and_inherited() -> None:
    details, p = _account()
    engine = PolicyEngine(details)
    assert [h.via_group for h in engine.full_admin_grants(p["alice"])] == ["admins"]
    assert engine.full_admin_grants(p["alice"], inherited=False) == ()
    assert engine.evaluate(p["alice"], "iam:CreateUser") is Decision.ALLOW
    assert engine.evaluate(p["deploy"], "iam:CreateUser") is Decision.ALLOW


def test_engine_knows_administrator_access_by_arn_when_its_document_is_missing() -> None:
    admin = policy("AdministratorAccess", ADMIN_DOC, aws_managed=True)
    deploy = role("deploy", policies=[admin])
    engine = PolicyEngine(AuthorizationDetails(roles=(deploy,)))  # document not collected
    (held,) = engine.policies_of(deploy)
    assert held.document is None
    assert engine.grants_full_admin(held)
    assert engine.evaluate(deploy, "s3:GetObject") is Decision.ALLOW


def test_engine_parses_a_shared_document_once() -> None:
    details, _ = _account()
    engine = PolicyEngine(details)
    first = engine.parse(ADMIN_DOC)
    assert engine.parse(ADMIN_DOC) is first
    assert engine.parse(dict(ADMIN_DOC)) is not first  # an equal but distinct object
