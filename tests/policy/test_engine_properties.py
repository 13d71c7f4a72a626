"""The policy engine on documents nobody wrote by hand: random JSON, and AWS's own policies.

A property-based test feeds parse_policy and the privilege analysis arbitrary JSON-shaped
documents (and policy-shaped ones with wrong types in every element) and must never see an
exception. Then every AWS managed policy that moto ships (~1,600, collected through the
auditor's own collector with MOTO_IAM_LOAD_MANAGED_POLICIES=true) must parse with no
problems, AdministratorAccess must be admin-equivalent and ReadOnlyAccess not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import boto3
import moto
import pytest
from factories import details, document, inline, policy, role, statement, user
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.collect.authorization import fetch_authorization_details
from auditor.policy import Effect, escalation_methods_catalog, parse_policy
from auditor.policy.privilege import PrivilegeAnalysis, _allows_slow, grants_action
from auditor.snapshot import AuthorizationDetails, ManagedPolicy

# --- strategies --------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)

TRACKED = sorted({a for m in escalation_methods_catalog() for a in m.actions})
action_patterns = st.one_of(
    st.sampled_from(TRACKED),
    st.sampled_from(["*", "*:*", "iam:*", "iam:Put*", "i?m:*", "sts:AssumeRole*", "s3:*"]),
    st.text(alphabet="iamst3:*?PuRole", max_size=14),
)
resources = st.one_of(
    st.sampled_from(
        [
            "*",
            "arn:*",
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::123456789012:user/*",
            "arn:aws:iam::*:user/${aws:username}",
            "arn:aws:s3:::bucket/*",
        ]
    ),
    st.text(max_size=20),
)
conditions = st.dictionaries(
    st.sampled_from(["StringEquals", "StringLike", "Bool", "StringEqualsIfExists", "Null", "x"]),
    st.dictionaries(
        st.sampled_from(["aws:MultiFactorAuthPresent", "iam:PassedToService", "AWS:SourceIp"]),
        st.one_of(json_scalars, st.lists(json_scalars, max_size=3)),
        max_size=2,
    ),
    max_size=2,
)


def one_or_list(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(inner, st.lists(inner, max_size=4), json_values)


statements = st.fixed_dictionaries(
    {},
    optional={
        "Sid": st.one_of(st.text(max_size=8), json_values),
        "Effect": st.one_of(st.sampled_from(["Allow", "Deny", "allow", "Maybe"]), json_values),
        "Action": one_or_list(action_patterns),
        "NotAction": one_or_list(action_patterns),
        "Resource": one_or_list(resources),
        "NotResource": one_or_list(resources),
        "Principal": st.one_of(st.just("*"), json_values),
        "Condition": st.one_of(conditions, json_values),
    },
)
policy_shaped = st.fixed_dictionaries(
    {"Statement": st.one_of(statements, st.lists(statements, max_size=5), json_values)},
    optional={"Version": st.one_of(st.just("2012-10-17"), json_values)},
)
documents = st.one_of(policy_shaped, json_values, st.text(max_size=40))


def _fuzzed(name: str, doc: Any, attachments: int) -> ManagedPolicy:
    """A managed policy holding ``doc`` as it is (``factories.policy`` would replace None)."""
    return replace(policy(name, attachments=attachments), document=doc)


def _account(doc: Any, boundary: Any) -> tuple[PrivilegeAnalysis, list[Any]]:
    """An account where ``doc`` is held every way a document can be held."""
    managed = _fuzzed("Fuzzed", doc, 1)
    limit = _fuzzed("FuzzedBoundary", boundary, 0)
    alice = user("alice", inline_policies=[inline("fuzzed", doc)], policies=[managed])
    bounded = user("bounded", policies=[managed], boundary=limit)
    app = role("app", policies=[managed])
    analysis = PrivilegeAnalysis(
        details(users=[alice, bounded], roles=[app], policies=[managed, limit])
    )
    return analysis, [alice, bounded, app]


# --- properties --------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(documents)
def test_parse_policy_never_raises(doc: Any) -> None:
    parsed = parse_policy(doc)
    assert all(s.actions or s.not_actions for s in parsed.statements)


@settings(max_examples=150, deadline=None)
@given(documents, documents, action_patterns)
def test_privilege_analysis_never_raises_and_is_consistent(
    doc: Any, boundary: Any, action: str
) -> None:
    analysis, principals = _account(doc, boundary)
    for p in principals:
        admin = analysis.is_admin_equivalent(p)
        escalations = analysis.escalation_methods(p)
        assert not (admin and escalations), "an admin is never also 'escalating'"
        assert analysis.can_escalate(p) is bool(escalations)
        assert len(analysis.admin_grants(p)) == len(analysis.admin_policies(p))
        assert analysis.effective_actions(p) <= {a.lower() for a in TRACKED} | {
            "iam:passrole",
            "sts:assumerole",
        }
        facts = analysis._facts_of(p)
        assert analysis.allows(p, action) == _allows_slow(facts, action)
        analysis.unreadable(p)
    # The bit-set shortcut PERM-006 uses agrees with the statement's own matching.
    for s in parse_policy(doc).statements:
        for a in ("iam:PassRole", "sts:AssumeRole", action):
            assert grants_action(s, a) == (s.effect is Effect.ALLOW and s.covers_action(a))


@settings(max_examples=100, deadline=None)
@given(documents)
def test_a_deny_of_everything_leaves_nothing(doc: Any) -> None:
    deny_all = inline("deny-all", document(statement("*", "*", effect="Deny")))
    alice = user("alice", inline_policies=[inline("fuzzed", doc), deny_all])
    analysis = PrivilegeAnalysis(details(users=[alice]))
    assert not analysis.is_admin_equivalent(alice)
    assert not analysis.can_escalate(alice)
    assert analysis.effective_actions(alice) == frozenset()


# --- every AWS managed policy moto ships -------------------------------------------------


@dataclass(frozen=True)
class Managed:
    """The collected managed policies (a fixture value, collected once per module)."""

    details: AuthorizationDetails


@pytest.fixture(scope="module")
def aws_managed(module_fake_aws: pytest.MonkeyPatch) -> Managed:
    # Module-scoped (collecting ~1,600 policies takes a few seconds), so the environment
    # comes from module_fake_aws rather than the function-scoped fixtures; moto reads the
    # variable when it builds the IAM backend, which mock_aws does afresh on entry.
    module_fake_aws.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    with moto.mock_aws():
        return Managed(fetch_authorization_details(boto3.client("iam")))


def test_every_aws_managed_policy_parses_without_problems(aws_managed: Managed) -> None:
    policies = [p for p in aws_managed.details.policies if p.aws_managed]
    assert len(policies) > 1000, "MOTO_IAM_LOAD_MANAGED_POLICIES did not take effect"
    problems = {p.name: parse_policy(p.document).problems for p in policies}
    assert {name: found for name, found in problems.items() if found} == {}
    assert all(parse_policy(p.document).statements for p in policies)


def test_administrator_access_is_admin_and_read_only_access_is_not(aws_managed: Managed) -> None:
    by_name = {p.name: p for p in aws_managed.details.policies}
    admin = role("admin", policies=[by_name["AdministratorAccess"]])
    reader = role("reader", policies=[by_name["ReadOnlyAccess"]])
    power = role("power", policies=[by_name["PowerUserAccess"]])
    d = AuthorizationDetails(roles=(admin, reader, power), policies=aws_managed.details.policies)
    analysis = PrivilegeAnalysis(d)
    assert analysis.admin_grants(admin) == ("AdministratorAccess (managed)",)
    assert not analysis.is_admin_equivalent(reader)
    assert not analysis.can_escalate(reader)
    assert analysis.holds_policy(reader, "ReadOnlyAccess")
    # Allow + NotAction on *: admin-equivalent by the catalog's definition.
    assert analysis.is_admin_equivalent(power)


def test_every_aws_managed_policy_held_by_a_role_is_classified(aws_managed: Managed) -> None:
    policies = aws_managed.details.policies
    roles = tuple(role(f"r{i}", policies=[p]) for i, p in enumerate(policies))
    analysis = PrivilegeAnalysis(AuthorizationDetails(roles=roles, policies=policies))
    admin = [r.name for r in roles if analysis.is_admin_equivalent(r)]
    escalating = sum(analysis.can_escalate(r) for r in roles)
    by_name = {r.name: r.attached_policies[0].name for r in roles}
    admin_policies = {by_name[n] for n in admin}
    assert "AdministratorAccess" in admin_policies
    assert "ReadOnlyAccess" not in admin_policies
    # Admin-equivalence among AWS managed policies is rare; escalation is not.
    assert len(admin_policies) < 20
    assert escalating > len(admin_policies)
