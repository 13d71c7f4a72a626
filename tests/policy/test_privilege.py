"""auditor.policy.privilege: effective permissions, admin-equivalence, escalation matching."""

from __future__ import annotations

from typing import Any

import pytest
from factories import (
    ADMIN_DOC,
    READ_ONLY_DOC,
    details,
    document,
    group,
    inline,
    policy,
    role,
    statement,
    user,
)

from auditor.policy import (
    Condition,
    Decision,
    PolicyEngine,
    escalation_methods_catalog,
    is_broad_resource,
    privilege_analysis,
    restricts,
)
from auditor.policy.privilege import (
    _CACHE,
    _CACHE_LIMIT,
    PrivilegeAnalysis,
    _allows_slow,
    load_escalation_methods,
)
from auditor.snapshot import AttachedPolicy, AuthorizationDetails, User

ADMIN = policy("AdministratorAccess", ADMIN_DOC, aws_managed=True)
READ_ONLY = policy("ReadOnlyAccess", READ_ONLY_DOC, aws_managed=True)
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def analysed(
    *statements: dict[str, Any], boundary: dict[str, Any] | None = None
) -> tuple[PrivilegeAnalysis, User]:
    """Alice with one inline policy of ``statements`` (and a boundary document)."""
    limit = policy("Boundary", boundary, attachments=0) if boundary is not None else None
    alice = user("alice", inline_policies=[inline("p", document(*statements))], boundary=limit)
    d = details(users=[alice], policies=[limit] if limit else [])
    return PrivilegeAnalysis(d), alice


# --- admin-equivalence -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statements", "admin"),
    [
        ([statement("*", "*")], True),
        ([statement(["*"], ["*"])], True),
        ([statement("*:*", "*")], True),
        ([statement(["s3:GetObject", "*"], ["arn:aws:s3:::b", "*"])], True),
        ([statement("iam:*", "*")], True),
        ([statement("IAM:*", "*")], True),
        ([statement(not_action="iam:*")], True),  # everything but IAM: the catalog's rule
        ([statement(not_action=["s3:*", "ec2:*"])], True),
        ([statement(not_action="*")], False),  # excludes every action: grants nothing
        ([statement("*", "*", condition=MFA)], False),
        ([statement("iam:*", "*", condition=MFA)], False),
        ([statement("*", "arn:aws:s3:::bucket/*")], False),
        ([statement("iam:*", "arn:aws:iam::*:*")], False),  # broad, but not "on *"
        ([statement("iam:Create*", "*")], False),
        ([statement("*", "*", effect="Deny")], False),
        ([statement(["s3:*", "ec2:*", "lambda:*"])], False),
    ],
)
def test_admin_forms(statements: list[dict[str, Any]], admin: bool) -> None:
    analysis, alice = analysed(*statements)
    assert analysis.is_admin_equivalent(alice) is admin
    assert analysis.admin_grants(alice) == (("p (inline)",) if admin else ())


@pytest.mark.parametrize(
    ("grant", "deny", "admin"),
    [
        (statement("*"), statement("*", effect="Deny"), False),
        (statement("*"), statement("*:*", effect="Deny"), False),
        (statement("*"), statement("aws-portal:*", effect="Deny"), True),  # partial deny
        (statement("*"), statement("iam:*", effect="Deny"), True),  # = NotAction iam:*
        (statement("iam:*"), statement("iam:*", effect="Deny"), False),
        (statement("iam:*"), statement("iam:DeleteUser", effect="Deny"), True),
        (statement("iam:*"), statement(not_action="s3:*", effect="Deny"), False),
        (statement("*"), statement(not_action="s3:*", effect="Deny"), False),  # only S3 left
        (statement("*"), statement(not_action="iam:*", effect="Deny"), True),  # iam:* left
        (statement("*"), statement(not_action="*", effect="Deny"), True),  # denies nothing
        (statement(not_action="iam:*"), statement(not_action="iam:*", effect="Deny"), False),
        (statement("*"), statement("*", effect="Deny", condition=MFA), True),  # may not apply
        (statement("*"), statement("*", "arn:aws:s3:::b", effect="Deny"), True),  # one bucket
    ],
)
def test_denies_subtract_only_unconditionally_and_wholly(
    grant: dict[str, Any], deny: dict[str, Any], admin: bool
) -> None:
    analysis, alice = analysed(grant, deny)
    assert analysis.is_admin_equivalent(alice) is admin


def test_deny_in_another_policy_subtracts() -> None:
    quarantine = policy("Quarantine", document(statement("*", effect="Deny")))
    alice = user("alice", policies=[ADMIN], groups=["quarantined"])
    bob = user("bob", policies=[ADMIN])
    d = details(
        users=[alice, bob],
        groups=[group("quarantined", policies=[quarantine])],
        policies=[ADMIN, quarantine],
    )
    analysis = PrivilegeAnalysis(d)
    assert not analysis.is_admin_equivalent(alice)
    assert analysis.is_admin_equivalent(bob)


@pytest.mark.parametrize(
    ("grant", "boundary", "admin"),
    [
        (statement("*"), document(statement("*")), True),
        (statement("*"), document(statement("s3:*")), False),
        (statement("*"), document(statement("iam:*")), True),
        (statement("*"), document(statement(not_action="iam:*")), True),
        (statement("iam:*"), document(statement(not_action="iam:*")), False),
        (statement("iam:*"), document(statement(not_action="s3:*")), True),
        (statement(not_action="iam:*"), document(statement("iam:*")), False),
        (statement("*"), document(statement("*", condition=MFA)), False),
        (statement("*"), document(statement("*"), statement("*", effect="Deny")), False),
        (statement("s3:*"), document(statement("*")), False),  # the boundary never grants
    ],
)
def test_boundary_limits_and_never_grants(
    grant: dict[str, Any], boundary: dict[str, Any], admin: bool
) -> None:
    analysis, alice = analysed(grant, boundary=boundary)
    assert analysis.is_admin_equivalent(alice) is admin


def test_boundary_alone_grants_nothing_and_unknown_boundary_is_ignored() -> None:
    limit = policy("Limit", ADMIN_DOC, attachments=0)
    bare = user("bare", boundary=limit)
    unknown = user("unknown", policies=[ADMIN], boundary=policy("NotCollected", READ_ONLY_DOC))
    analysis = PrivilegeAnalysis(details(users=[bare, unknown], policies=[ADMIN, limit]))
    assert not analysis.is_admin_equivalent(bare)
    assert not analysis.effective_actions(bare)
    # The boundary's document is unknown: the admin grant stands (flag rather than guess).
    assert analysis.is_admin_equivalent(unknown)


def test_administrator_access_by_arn_without_its_document() -> None:
    alice = user("alice", policies=[ADMIN])
    analysis = PrivilegeAnalysis(details(users=[alice], policies=[]))
    assert analysis.admin_grants(alice) == ("AdministratorAccess (managed)",)
    assert analysis.allows(alice, "iam:CreatePolicyVersion")


def test_group_inherited_admin_names_the_group() -> None:
    alice = user("alice", groups=["admins"])
    analysis = PrivilegeAnalysis(
        details(users=[alice], groups=[group("admins", policies=[ADMIN])], policies=[ADMIN])
    )
    assert analysis.admin_grants(alice) == ("AdministratorAccess (managed, via group admins)",)
    assert [p.via_group for p in analysis.admin_policies(alice)] == ["admins"]


def test_read_only_is_not_admin_and_holds_policy_by_name() -> None:
    reader = role("reader", policies=[READ_ONLY])
    gov = AttachedPolicy("ReadOnlyAccess", "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess")
    gov_reader = User(**{**user("gov").__dict__, "attached_policies": (gov,)})
    lookalike = policy("ReadOnlyAccess", READ_ONLY_DOC)  # customer managed, same name
    imposter = user("imposter", policies=[lookalike])
    analysis = PrivilegeAnalysis(
        details(users=[gov_reader, imposter], roles=[reader], policies=[READ_ONLY, lookalike])
    )
    assert not analysis.is_admin_equivalent(reader)
    assert analysis.holds_policy(reader, "ReadOnlyAccess")
    assert analysis.holds_policy(gov_reader, "ReadOnlyAccess")
    assert not analysis.holds_policy(imposter, "ReadOnlyAccess")
    assert not analysis.holds_policy(reader, "AdministratorAccess")


# --- escalation --------------------------------------------------------------------------


def test_create_policy_version_matches_its_method_with_the_granting_policy() -> None:
    analysis, alice = analysed(statement("iam:CreatePolicyVersion"))
    matches = analysis.escalation_methods(alice)
    assert [m.method for m in matches] == ["CreatePolicyVersion"]
    assert matches[0].actions == ("iam:CreatePolicyVersion",)
    assert matches[0].policies == ("p (inline)",)
    assert analysis.can_escalate(alice)


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (["iam:PassRole", "ec2:RunInstances"], {"EC2"}),
        (["iam:PassRole", "ec2:RequestSpotInstances"], {"EC2Spot"}),
        (["iam:PassRole", "ec2:*"], {"EC2", "EC2Spot", "EC2UserData", "EC2LaunchTemplate"}),
        (["iam:PassRole", "cloudformation:CreateStack"], {"CloudFormation"}),
        (["ec2:RunInstances"], set()),
        (["iam:PassRole"], set()),
        (["IAM:PASSROLE", "EC2:RUNINSTANCES"], {"EC2"}),  # actions are case-insensitive
    ],
)
def test_passrole_combinations(actions: list[str], expected: set[str]) -> None:
    analysis, alice = analysed(statement(actions))
    assert {m.method for m in analysis.escalation_methods(alice)} == expected


def test_passrole_on_a_named_role_does_not_count() -> None:
    analysis, alice = analysed(
        statement("iam:PassRole", "arn:aws:iam::123456789012:role/app-task"),
        statement("ec2:RunInstances"),
    )
    assert not analysis.can_escalate(alice)
    assert analysis.allows(alice, "ec2:RunInstances")
    assert not analysis.allows(alice, "iam:PassRole")


def test_admin_is_never_escalating() -> None:
    analysis, alice = analysed(statement("*"))
    assert analysis.is_admin_equivalent(alice)
    assert analysis.escalation_methods(alice) == ()
    assert not analysis.can_escalate(alice)


def test_pattern_method_needs_the_whole_pattern() -> None:
    analysis, alice = analysed(statement(["iam:PutUserPolicy", "iam:PutRolePolicy"]))
    methods = {m.method for m in analysis.escalation_methods(alice)}
    assert "IAMPut" not in methods  # iam:Put* means every Put action, not two of them
    assert {"PutUserPolicy", "PutRolePolicy"} <= methods


def test_deny_of_one_action_breaks_only_its_methods() -> None:
    analysis, alice = analysed(
        statement(["iam:CreatePolicyVersion", "iam:AttachUserPolicy"]),
        statement("iam:CreatePolicyVersion", effect="Deny"),
    )
    assert {m.method for m in analysis.escalation_methods(alice)} == {"AttachUserPolicy"}


@pytest.mark.parametrize(
    "action",
    ["iam:PassRole", "sts:AssumeRole", "iam:Put*", "s3:GetObject", "ec2:RunInstances"],
)
@pytest.mark.parametrize(
    "statements",
    [
        [statement("iam:*")],
        [statement(["iam:PassRole", "s3:Get*"])],
        [statement(not_action=["iam:Put*", "sts:*"])],
        [statement("*"), statement("iam:PassRole", effect="Deny")],
        [statement("*"), statement(not_action="ec2:*", effect="Deny")],
        [statement("*", condition=MFA)],
    ],
)
def test_bit_sets_agree_with_the_statement_by_statement_rules(
    action: str, statements: list[dict[str, Any]]
) -> None:
    # allows() answers tracked actions from compiled bit sets; the same rules applied
    # statement by statement (the slow path, and PolicyEngine.evaluate on Resource "*")
    # must give the same answer.
    analysis, alice = analysed(*statements)
    facts = analysis._facts_of(alice)
    assert analysis.allows(alice, action) == _allows_slow(facts, action)
    engine = PolicyEngine(analysis.details)
    assert analysis.allows(alice, action) == (engine.evaluate(alice, action) is Decision.ALLOW)


def test_effective_actions_and_allows_for_untracked_actions() -> None:
    analysis, alice = analysed(
        statement(["s3:*", "iam:PassRole"]), statement("s3:Delete*", effect="Deny")
    )
    assert "iam:passrole" in analysis.effective_actions(alice)
    assert "s3:getobject" in analysis.effective_actions(alice)  # tracked (Omics)
    assert analysis.allows(alice, "s3:ListBucket")  # untracked: the slow path
    assert not analysis.allows(alice, "s3:DeleteObject")
    assert not analysis.allows(alice, "ec2:RunInstances")


# --- lookups and caching -----------------------------------------------------------------


def test_principal_by_arn_and_principals() -> None:
    alice, ops, app = user("alice"), group("ops"), role("app")
    analysis = PrivilegeAnalysis(details(users=[alice], groups=[ops], roles=[app]))
    assert analysis.principal_by_arn(alice.arn) is alice
    assert analysis.principal_by_arn(ops.arn) is ops
    assert analysis.principal_by_arn(app.arn) is app
    assert analysis.principal_by_arn("arn:aws:iam::123456789012:user/nobody") is None
    assert analysis.principals() == (alice, ops, app)


def test_privilege_analysis_is_cached_per_details_object() -> None:
    d = details(users=[user("alice", policies=[ADMIN])], policies=[ADMIN])
    same = privilege_analysis(d)
    assert privilege_analysis(d) is same
    equal_copy = AuthorizationDetails(d.users, d.groups, d.roles, d.policies)
    assert privilege_analysis(equal_copy) is not same


def test_privilege_analysis_cache_keeps_only_recent_snapshots() -> None:
    first = details(users=[user("alice")])
    kept = privilege_analysis(first)
    for i in range(_CACHE_LIMIT):
        privilege_analysis(details(users=[user(f"u{i}")]))
    assert len(_CACHE) <= _CACHE_LIMIT
    assert privilege_analysis(first) is not kept  # evicted, then analysed afresh


def test_shared_policy_is_compiled_once() -> None:
    shared = policy("Shared", document(statement("iam:CreatePolicyVersion")))
    roles = [role(f"r{i}", policies=[shared]) for i in range(50)]
    analysis = PrivilegeAnalysis(details(roles=roles, policies=[shared]))
    assert all(analysis.can_escalate(r) for r in roles)
    assert len(analysis._compiled) == 1


def test_unreadable_lists_held_and_boundary_problems() -> None:
    bad_boundary = policy("BadBoundary", {"Statement": "nope"}, attachments=0)
    alice = user(
        "alice",
        inline_policies=[inline("broken", {"Statement": [{"Effect": "Maybe", "Action": "*"}]})],
        boundary=bad_boundary,
    )
    analysis = PrivilegeAnalysis(details(users=[alice], policies=[bad_boundary]))
    problems = analysis.unreadable(alice)
    assert set(problems) == {"inline:broken", bad_boundary.arn}


# --- resources and conditions ------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "broad"),
    [
        ("*", True),
        ("arn:*", True),
        ("arn:aws:iam::*:role/*", True),
        ("arn:aws:iam::123456789012:user/*", True),
        ("arn:aws:lambda:*:*:function:*", True),
        ("arn:aws:iam::123456789012:*", True),
        ("arn:aws:iam::123456789012:role/app-*", False),
        ("arn:aws:iam::123456789012:role/service-role/*", False),
        ("arn:aws:iam::*:user/${aws:username}", False),
        ("arn:aws:iam::123456789012:role/admin", False),
        ("arn:aws:s3:::bucket", False),
    ],
)
def test_is_broad_resource(pattern: str, broad: bool) -> None:
    assert is_broad_resource(pattern) is broad


@pytest.mark.parametrize(
    ("condition", "restricting"),
    [
        (Condition("StringEquals", "iam:passedtoservice", ("ec2.amazonaws.com",)), True),
        (Condition("StringLike", "iam:passedtoservice", ("*.amazonaws.com",)), True),
        (Condition("ForAnyValue:StringEquals", "iam:passedtoservice", ("ec2",)), True),
        (Condition("StringEqualsIfExists", "iam:passedtoservice", ("ec2",)), False),
        (Condition("StringNotEquals", "iam:passedtoservice", ("ec2",)), False),
        (Condition("StringLike", "iam:passedtoservice", ("*",)), False),
        (Condition("StringLike", "iam:passedtoservice", ("*", "?*")), False),
        (Condition("StringEquals", "aws:resourcetag/team", ("data",)), True),
        (Condition("StringEquals", "aws:requestedregion", ("eu-west-1",)), False),
        (Condition("Null", "iam:passedtoservice", ("false",)), False),
    ],
)
def test_restricts(condition: Condition, restricting: bool) -> None:
    keys = ("iam:passedtoservice", "aws:resourcetag/")
    assert restricts(condition, keys) is restricting


# --- the shipped catalogue ---------------------------------------------------------------


def test_shipped_catalogue_loads_with_every_group() -> None:
    methods = escalation_methods_catalog()
    names = [m.name for m in methods]
    assert len(names) == len(set(names)) == 100
    assert {m.category for m in methods} >= {"iam_self_or_other_principal", "sts_chained"}
    by_name = {m.name: m for m in methods}
    assert by_name["EC2"].actions == ("iam:PassRole", "ec2:RunInstances")
    assert all(":" in a for m in methods for a in m.actions)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{}", "no 'methods' object"),
        ('{"methods": {"g": []}}', "group 'g' is not an object"),
        ('{"methods": {"g": {"M": "iam:X"}}}', "'M' is not a list"),
        ('{"methods": {"g": {"M": []}}}', "'M' is not a list"),
        ('{"methods": {"g": {"M": ["nocolon"]}}}', "'M' is not a list"),
        ('{"methods": {"g": {"M": ["iam:X"]}, "h": {"M": ["iam:Y"]}}}', "'M' appears twice"),
    ],
)
def test_malformed_catalogue_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_escalation_methods(text)
