"""What the trust-check tests share: trust-document builders and a check run on one role.

``pin_forms`` writes one condition in every form the catalog's normalisation rules name
(key case, ``ForAnyValue:``, ``IfExists``, ``ForAllValues:``, a wildcard value, a negated
operator, none at all), each with the verdict a check must reach.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from factories import (
    ACCOUNT,
    ADMIN_DOC,
    READ_ONLY_DOC,
    document,
    policy,
    role,
    snapshot,
    statement,
)

from auditor.checks import get_check
from auditor.checks.registry import CheckContext
from auditor.model import ResourceType, Result, Severity, Status
from auditor.snapshot import ManagedPolicy

VENDOR = "444455556666"
TRUSTED = "111122223333"
ORG_ID = "o-a1b2c3d4e5"
GITHUB = "token.actions.githubusercontent.com"
GITLAB = "gitlab.com"
TERRAFORM = "app.terraform.io"
BUILDKITE = "agent.buildkite.com"
CIRCLECI = "oidc.circleci.com/org/5b1d4d3c-0a7e-4c2f-9a49-1c3f0e7d8a21"
EKS = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
GENERIC = "auth.example.com"
COGNITO = "cognito-identity.amazonaws.com"
COGNITO_POOL = "us-east-1:12345678-1234-1234-1234-123456789012"
SAML_AUD = "https://signin.aws.amazon.com/saml"
EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "vendor-7f3a"}}
TRUST_CHECKS = tuple(f"ROLE-{n:03d}" for n in range(1, 15))

ADMIN = policy("AdministratorAccess", ADMIN_DOC, aws_managed=True)
READ_ALL = policy(
    "ReadOnlyAccess", document(statement(["s3:Get*", "ec2:Describe*"])), aws_managed=True
)
NARROW = policy("ReadReports", READ_ONLY_DOC)
ESCALATE = policy("EditPolicies", document(statement("iam:CreatePolicyVersion")))

Doc = dict[str, Any]
Cond = dict[str, Any]


# --- building trust documents ----------------------------------------------------------------


def arn(account: str, resource: str = "root", partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:{resource}"


def provider(host: str) -> str:
    return arn(ACCOUNT, f"oidc-provider/{host}")


SAML_PROVIDER = arn(ACCOUNT, "saml-provider/okta")


def allow(principal: Any, condition: Cond | None = None, action: Any = "sts:AssumeRole") -> Doc:
    """An Allow statement; ``principal`` as written (``"*"`` or a dict)."""
    out: Doc = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        out["Condition"] = condition
    return out


def web(federated: str, condition: Cond | None = None) -> Doc:
    """A web-identity federation statement (an OIDC provider ARN or Cognito's name)."""
    return allow({"Federated": federated}, condition, "sts:AssumeRoleWithWebIdentity")


def saml(condition: Cond | None = None) -> Doc:
    return allow({"Federated": SAML_PROVIDER}, condition, "sts:AssumeRoleWithSAML")


def trust(*statements: Doc) -> Doc:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def merge(*conditions: Cond | None) -> Cond:
    """Condition blocks combined operator by operator."""
    out: Cond = {}
    for c in conditions:
        for op, block in (c or {}).items():
            out.setdefault(op, {}).update(block)
    return out


def sub(host: str, value: str, op: str = "StringEquals") -> Cond:
    return {op: {f"{host}:sub": value}}


def aud(host: str, value: str = "sts.amazonaws.com") -> Cond:
    return {"StringEquals": {f"{host}:aud": value}}


# --- running a check on one role ----------------------------------------------------------


def judge(
    check_id: str,
    trust_doc: Any,
    *,
    policies: Iterable[ManagedPolicy] = (),
    trusted: Iterable[str] = (),
    path: str = "/",
) -> list[Result]:
    """``check_id``'s results for one role ``r`` with ``trust_doc`` and ``policies``."""
    held = tuple(policies)
    snap = snapshot(roles=[role("r", trust=trust_doc, policies=held, path=path)], policies=held)
    found = get_check(check_id)
    assert found is not None, check_id
    return list(found.run(snap, CheckContext(trusted_account_ids=frozenset(trusted))))


def verdict(results: list[Result]) -> Status:
    """FAIL if any result fails, else the single result's status."""
    if any(r.status is Status.FAIL for r in results):
        assert all(r.status is Status.FAIL for r in results), results
        return Status.FAIL
    assert len(results) == 1, results
    return results[0].status


def severity_of(check_id: str, result: Result) -> Severity:
    """The severity a finding of ``result`` gets before config and context."""
    found = get_check(check_id)
    assert found is not None
    return result.severity or found.meta.severity


@dataclass(frozen=True)
class Case:
    """A trust document and what one check must make of it."""

    trust: Any
    expected: Status
    policies: tuple[ManagedPolicy, ...] = ()
    trusted: tuple[str, ...] = (TRUSTED,)
    severity: Severity | None = None  # of every FAIL, when it differs from the catalog's
    detail: tuple[str, ...] = ()  # substrings every result's detail contains
    evidence: Mapping[str, Any] = field(default_factory=dict)


def case(
    trust_doc: Any, expected: Status, id: str, **kw: Any
) -> Any:  # -> pytest ParameterSet (private type)
    return pytest.param(Case(trust_doc, expected, **kw), id=id)


def run_case(check_id: str, c: Case) -> list[Result]:
    results = judge(check_id, c.trust, policies=c.policies, trusted=c.trusted)
    assert verdict(results) is c.expected, [r.detail for r in results]
    for r in results:
        assert r.resource_name == "r"
        assert r.resource_type is ResourceType.ROLE
        for text in c.detail:
            assert text in r.detail, r.detail
        for k, v in c.evidence.items():
            assert r.evidence[k] == v, (k, r.evidence)
        if r.status is Status.FAIL:
            found = get_check(check_id)
            assert found is not None
            assert severity_of(check_id, r) is (c.severity or found.meta.severity)
    return results


def pin_forms(
    build: Callable[[Cond], Doc],
    key: str,
    value: str,
    *,
    wildcard: str = "*",
    operator: str = "StringEquals",
    pinned: Status = Status.PASS,
    unpinned: Status = Status.FAIL,
    base: Cond | None = None,
    prefix: str = "",
    **kw: Any,
) -> list[Any]:
    """One case per way of writing a condition on ``key``: those that pin and those that don't.

    ``build`` makes the statement from its condition; ``base`` conditions are always there.
    """
    forms: list[tuple[str, Cond, Status]] = [
        ("pinned", {operator: {key: value}}, pinned),
        ("lower-case-key", {operator: {key.lower(): value}}, pinned),
        ("mixed-case-key", {operator: {_mixed(key): value}}, pinned),
        ("for-any-value", {f"ForAnyValue:{operator}": {key: value}}, pinned),
        ("value-list", {operator: {key: [value]}}, pinned),
        ("if-exists", {f"{operator}IfExists": {key: value}}, unpinned),
        ("for-all-values", {f"ForAllValues:{operator}": {key: value}}, unpinned),
        ("wildcard-value", {"StringLike": {key: wildcard}}, unpinned),
        ("negated", {"StringNotEquals": {key: value}}, unpinned),
        ("null-only", {"Null": {key: "false"}}, unpinned),
        ("no-condition", {}, unpinned),
    ]
    return [
        case(trust(build(merge(base, cond))), expected, f"{prefix}{name}", **kw)
        for name, cond, expected in forms
    ]


def _mixed(key: str) -> str:
    return "".join(ch.upper() if i % 2 else ch.lower() for i, ch in enumerate(key))


EXACT_SUBJECTS = {
    GITHUB: "repo:acme/app:environment:prod",
    GITLAB: "project_path:acme/app:ref_type:branch:ref:main",
    TERRAFORM: "organization:acme:project:core:workspace:prod:run_phase:apply",
    BUILDKITE: "organization:acme:pipeline:deploy:ref:refs/heads/main:commit:*:step:*",
    CIRCLECI: "org/5b1d4d3c/project/9e2f/user/7c1a",
    GENERIC: "svc-deployer",
}
