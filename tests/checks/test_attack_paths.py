"""PERM-010 (attack paths to admin) and PERM-011 (admin-equivalent principals), and PERM-002's
handling of a ``*:*`` grant that an explicit Deny cancels."""

from __future__ import annotations

import dataclasses
import json

import pytest
from factories import (
    ADMIN_MANAGED,
    LAMBDA_TRUST,
    ROOT_TRUST,
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

from auditor.checks.attack_paths import cut_evidence
from auditor.model import ResourceType, Severity, Source, Status
from auditor.policy.graph import attack_graph, cheapest_cut, render_path

ADMIN = ADMIN_MANAGED
VENDOR = "444455556666"
DENY_ALL = inline("deny-all", document(statement("*", "*", effect="Deny")))


def chain_snapshot() -> object:
    """ci -> assume deploy -> pass lambda-admin to a new Lambda -> admin; reader has nothing."""
    assume = inline("assume", document(statement("sts:AssumeRole", arn("role", "deploy"))))
    deploy = inline(
        "deploy",
        document(
            statement("iam:PassRole", arn("role", "lambda-admin")),
            statement(["lambda:CreateFunction", "lambda:InvokeFunction"], "*"),
        ),
    )
    return snapshot(
        users=[
            user("ci", inline_policies=[assume]),
            user("reader"),
            user("boss", policies=[ADMIN]),
        ],
        roles=[
            role("deploy", inline_policies=[deploy], trust=ROOT_TRUST),
            role("lambda-admin", policies=[ADMIN], trust=LAMBDA_TRUST),
        ],
        policies=[ADMIN],
    )


# --- PERM-010 ----------------------------------------------------------------------------


def test_perm_010_fails_per_start_with_the_path_and_the_cut() -> None:
    snap = chain_snapshot()
    results = by_name(run_check("PERM-010", snap))  # type: ignore[arg-type]
    assert {n: r.status for n, r in results.items()} == {
        "ci": Status.FAIL,
        "deploy": Status.FAIL,
        "reader": Status.PASS,
        # boss and lambda-admin are administrators: PERM-011 reports them.
    }
    ci = results["ci"]
    assert ci.resource_type is ResourceType.USER and ci.severity is None
    assert ci.resource_arn == arn("user", "ci")
    path = attack_graph(snap).path("ci")  # type: ignore[arg-type]
    assert path is not None
    assert render_path(path) in ci.detail
    assert "Cheapest cut: removing statement" in ci.detail
    evidence = json.loads(json.dumps(ci.evidence))
    assert [n["name"] for n in evidence["path"]["nodes"]] == [
        "ci",
        "deploy",
        "lambda-admin",
        "admin",
    ]
    assert {"id", "kind", "name"} <= set(evidence["path"]["nodes"][0])
    assert [h["reason"] for h in evidence["path"]["hops"]] == [
        "assume-role",
        "pass-role",
        "admin-equivalent",
    ]
    assert evidence["path"]["hops"][0]["source"] == arn("user", "ci")
    assert evidence["path"]["hops"][0]["certain"] is True
    assert evidence["path"]["starts_outside"] is False
    assert evidence["path"]["text"] == render_path(path)
    # The cut is account-wide: the same on every finding, and it breaks both paths; each
    # finding says whether it breaks its own path instead of listing every path's start.
    assert evidence["cut"] == results["deploy"].evidence["cut"]
    assert evidence["cut"]["paths_broken"] == 2
    assert evidence["cut"]["breaks_this_path"] is True
    assert "starts" not in evidence["cut"]


def test_each_finding_says_whether_the_cut_breaks_its_own_path() -> None:
    paths = attack_graph(chain_snapshot()).paths_to_admin()  # type: ignore[arg-type]
    cut = cheapest_cut(paths)
    assert cut is not None and len(paths) == 2
    # A cut that breaks only the first path: the other finding says so.
    only_first = dataclasses.replace(cut, starts=(paths[0].start.id,))
    evidence = cut_evidence(only_first, paths)
    assert [e["breaks_this_path"] for e in evidence if e is not None] == [True, False]
    assert all(e is not None and "starts" not in e for e in evidence)
    assert cut_evidence(None, paths) == [None, None]


def test_perm_010_path_from_outside_is_critical_on_the_role_it_enters() -> None:
    trust = document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
            "Action": "sts:AssumeRole",
        }
    )
    snap = snapshot(roles=[role("vendor", policies=[ADMIN], trust=trust)], policies=[ADMIN])
    r = only([x for x in run_check("PERM-010", snap) if x.status is Status.FAIL])
    assert r.severity is Severity.CRITICAL
    assert (r.resource_arn, r.resource_type) == (arn("role", "vendor"), ResourceType.ROLE)
    assert r.qualifier == f"from:account:{VENDOR}"
    assert r.detail.startswith("Another AWS account")
    assert r.evidence["path"]["starts_outside"] is True


def test_perm_010_says_what_is_undecided() -> None:
    ip = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    assume = inline("a", document(statement("sts:AssumeRole", arn("role", "ops"), condition=ip)))
    snap = snapshot(
        users=[user("alice", inline_policies=[assume])],
        roles=[role("ops", policies=[ADMIN], trust=ROOT_TRUST)],
        policies=[ADMIN],
    )
    r = by_name(run_check("PERM-010", snap))["alice"]
    assert r.status is Status.FAIL
    assert "Possible, not certain: undecided condition(s):" in r.detail
    assert r.evidence["path"]["certain"] is False


def test_perm_010_passes_when_nobody_can_reach_admin() -> None:
    snap = snapshot(users=[user("alice")], roles=[role("app")], policies=[])
    results = run_check("PERM-010", snap)
    assert {r.resource_name: r.status for r in results} == {
        "alice": Status.PASS,
        "app": Status.PASS,
    }
    assert all(r.evidence == {} for r in results)


@pytest.mark.parametrize(
    ("check_id", "action", "question"),
    [
        # PERM-010 without a path: the unreadable policy might have opened one.
        ("PERM-010", "iam:*", "whether it can reach administrator rights"),
        ("PERM-011", "*", "whether it holds administrator rights"),
    ],
)
def test_unreadable_policy_is_error(check_id: str, action: str, question: str) -> None:
    broken = inline(
        "broken",
        {"Statement": [{"Effect": "Allow", "Action": action, "Resource": "*", "Condition": "x"}]},
    )
    for snap in (
        snapshot(users=[user("u", inline_policies=[broken])]),
        snapshot(roles=[role("r", inline_policies=[broken])]),
    ):
        r = only(run_check(check_id, snap))
        assert r.status is Status.ERROR
        assert question in r.detail


def test_perm_010_without_authorization_details_is_error(tmp_path: object) -> None:
    from auditor.analyze import analyze
    from auditor.checks import get_check
    from auditor.config import Settings
    from auditor.model import Gap, Tool

    snap = snapshot(
        gaps=[
            Gap(
                source=Source.AUTHORIZATION_DETAILS,
                operation="iam:GetAccountAuthorizationDetails",
                error="AccessDenied",
                message="no",
            )
        ],
        sources=(),
    )
    chk = get_check("PERM-010")
    assert chk is not None
    report = analyze(snap, Settings(), [chk], tool=Tool("iam-auditor", "0"))
    (finding,) = report.findings
    assert finding.status is Status.ERROR
    assert "iam:GetAccountAuthorizationDetails" in finding.detail


# --- PERM-011 ----------------------------------------------------------------------------


def test_perm_011_one_finding_per_admin_equivalent_user_and_role() -> None:
    iam_all = inline("iam-all", document(statement("iam:*", "*")))
    not_action = inline("all-but-s3", document(statement(not_action="s3:*")))
    snap = snapshot(
        users=[
            user("alice", groups=["admins"]),
            user("bob"),
            user("carol", policies=[ADMIN], inline_policies=[DENY_ALL]),
        ],
        groups=[group("admins", policies=[ADMIN])],
        roles=[
            role("iam-admin", inline_policies=[iam_all]),
            role("wide", inline_policies=[not_action]),
            role("app"),
        ],
        policies=[ADMIN],
    )
    results = by_name(run_check("PERM-011", snap))
    assert {n: r.status for n, r in results.items()} == {
        "alice": Status.FAIL,
        "bob": Status.PASS,
        "carol": Status.PASS,  # the explicit Deny cancels AdministratorAccess
        "iam-admin": Status.FAIL,
        "wide": Status.FAIL,
        "app": Status.PASS,
    }
    assert results["alice"].severity is Severity.LOW  # a user: long-lived credentials
    assert results["alice"].evidence["via_groups"] == ["admins"]
    assert "AdministratorAccess (managed, via group admins)" in results["alice"].detail
    assert results["iam-admin"].severity is None  # a role: the catalog's info
    assert results["iam-admin"].evidence["policies"] == ["inline:iam-all"]
    assert "cancels a grant" in results["carol"].detail


def test_perm_011_boundary_limits_admin() -> None:
    boundary = policy("S3Only", document(statement("s3:*", "*")))
    snap = snapshot(
        users=[user("alice", policies=[ADMIN], boundary=boundary)], policies=[ADMIN, boundary]
    )
    assert only(run_check("PERM-011", snap)).status is Status.PASS


# --- PERM-002 and the explicit Deny ------------------------------------------------------


def test_perm_002_grant_cancelled_by_an_explicit_deny_is_a_low_note() -> None:
    snap = snapshot(
        users=[
            user("carol", policies=[ADMIN], inline_policies=[DENY_ALL]),
            user("dan", policies=[ADMIN]),
        ],
        policies=[ADMIN],
    )
    results = by_name(run_check("PERM-002", snap))
    carol, dan = results["carol"], results["dan"]
    assert (carol.status, carol.severity) == (Status.FAIL, Severity.LOW)
    assert carol.evidence["cancelled"] is True
    assert "not an administrator today" in carol.detail
    assert (dan.status, dan.severity) == (Status.FAIL, None)  # the catalog's high
