"""ROLE-001..ROLE-014: the trust-policy checks, table by table.

Each check has a table of trust documents with the verdict expected for the role holding
them; ``pin_forms`` writes the same condition in every form the catalog's normalisation
rules name (key case, ``ForAnyValue:``, ``IfExists``, ``ForAllValues:``, a wildcard value,
a negated operator, none at all). ``test_statement_forms`` runs each check's risky statement
through the forms every trust check must read alike (dict or list ``Statement``, ``Deny``,
actions that are not ``sts:AssumeRole*``, ``NotAction``); service-linked roles are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from factories import (
    ACCOUNT,
    ADMIN_DOC,
    READ_ONLY_DOC,
    document,
    inline,
    policy,
    role,
    snapshot,
    statement,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks import all_checks, get_check
from auditor.checks.registry import CheckContext
from auditor.model import ResourceType, Result, Severity, Status
from auditor.policy import trust as trust_module
from auditor.snapshot import ManagedPolicy, Role

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


# --- the forms every trust check reads alike -------------------------------------------------

# Per check: a statement it fails, and the policies the role holds.
RISKY: dict[str, tuple[Doc, tuple[ManagedPolicy, ...]]] = {
    "ROLE-001": (allow("*"), ()),
    "ROLE-002": (allow({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}), ()),
    "ROLE-003": (allow({"AWS": arn(VENDOR)}, EXTERNAL_ID), ()),
    "ROLE-004": (allow({"AWS": arn(VENDOR)}), ()),
    "ROLE-005": (allow({"Service": "s3.amazonaws.com"}), ()),
    "ROLE-006": (web(provider(GITHUB), aud(GITHUB)), ()),
    "ROLE-007": (web(provider(GITHUB), merge(sub(GITHUB, "repo:acme/*", "StringLike"))), ()),
    "ROLE-008": (web(provider(EKS), aud(EKS)), ()),
    "ROLE-009": (web(COGNITO, {"ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}}), ()),
    "ROLE-010": (saml(), ()),
    "ROLE-011": (
        allow({"AWS": arn(VENDOR)}, {"StringEqualsIfExists": {"sts:ExternalId": "x-1"}}),
        (),
    ),
    "ROLE-012": (allow({"AWS": arn(ACCOUNT)}), ()),
    "ROLE-013": (allow({"AWS": "AROAEXAMPLEEXAMPLE1234"}), ()),
    "ROLE-014": (allow({"AWS": arn(VENDOR)}, EXTERNAL_ID), (ADMIN,)),
}


def _with(stmt: Doc, **changes: Any) -> Doc:
    out = {k: v for k, v in stmt.items() if k not in ("Action", "NotAction")}
    out.update(changes)
    return out


FORMS: list[tuple[str, Callable[[Doc], Any], Status]] = [
    ("statement-list", trust, Status.FAIL),
    ("statement-dict", lambda s: {"Version": "2012-10-17", "Statement": s}, Status.FAIL),
    ("second-statement", lambda s: trust(allow({"AWS": arn(ACCOUNT, "role/x")}), s), Status.FAIL),
    ("deny", lambda s: trust({**s, "Effect": "Deny"}), Status.PASS),
    ("tag-session-only", lambda s: trust(_with(s, Action="sts:TagSession")), Status.PASS),
    (
        "other-sts-actions",
        lambda s: trust(_with(s, Action=["sts:TagSession", "sts:SetSourceIdentity"])),
        Status.PASS,
    ),
    ("sts-star", lambda s: trust(_with(s, Action="sts:*")), Status.FAIL),
    ("star", lambda s: trust(_with(s, Action="*")), Status.FAIL),
    ("assume-role-star", lambda s: trust(_with(s, Action="sts:AssumeRole*")), Status.FAIL),
    (
        "action-list",
        lambda s: trust(_with(s, Action=["sts:TagSession", s["Action"]])),
        Status.FAIL,
    ),
    ("not-action-other", lambda s: trust(_with(s, NotAction="sts:TagSession")), Status.FAIL),
    ("not-action-sts", lambda s: trust(_with(s, NotAction="sts:*")), Status.PASS),
]


@pytest.mark.parametrize("check_id", TRUST_CHECKS)
@pytest.mark.parametrize(
    ("make", "expected"), [pytest.param(m, e, id=name) for name, m, e in FORMS]
)
def test_statement_forms(check_id: str, make: Callable[[Doc], Any], expected: Status) -> None:
    stmt, policies = RISKY[check_id]
    results = judge(check_id, make(stmt), policies=policies, trusted=[TRUSTED])
    assert verdict(results) is expected, [r.detail for r in results]


@pytest.mark.parametrize("check_id", TRUST_CHECKS)
def test_service_linked_roles_are_skipped(check_id: str) -> None:
    stmt, policies = RISKY[check_id]
    path = "/aws-service-role/elasticbeanstalk.amazonaws.com/"
    assert judge(check_id, trust(stmt), policies=policies, path=path) == []
    # The same role on an ordinary path fails: the path alone made the difference.
    assert verdict(judge(check_id, trust(stmt), policies=policies)) is Status.FAIL


@pytest.mark.parametrize("check_id", TRUST_CHECKS)
def test_fail_evidence_quotes_the_statement_and_suggests_a_fix(check_id: str) -> None:
    stmt, policies = RISKY[check_id]
    doc = trust(
        allow({"Service": "ec2.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
        stmt,
    )
    (result,) = judge(check_id, doc, policies=policies)
    assert result.status is Status.FAIL
    ev = result.evidence
    assert ev["statement_index"] == 1
    assert ev["statement"] == stmt
    assert ev["principal"] and ev["problem"]
    assert result.qualifier == "statement:1"
    assert "statement 1" in result.detail.lower()
    # The corrected statement, put in place of the original, passes the check.
    fixed = ev["suggested_statement"]
    statements = [doc["Statement"][0]] + ([fixed] if fixed is not None else [])
    assert verdict(judge(check_id, trust(*statements), policies=policies)) is Status.PASS


@pytest.mark.parametrize("check_id", TRUST_CHECKS)
def test_unreadable_trust_is_error_not_pass(check_id: str) -> None:
    broken = {"Effect": "Allow", "Principal": {"AWS": 12}, "Action": "sts:AssumeRole"}
    (result,) = judge(check_id, trust(broken))
    assert result.status is Status.ERROR
    assert "could not be fully read" in result.detail
    assert "statement 0" in result.evidence["problems"][0]
    # A readable statement that fails still fails beside the unreadable one.
    stmt, policies = RISKY[check_id]
    assert verdict(judge(check_id, trust(broken, stmt), policies=policies)) is Status.FAIL


@pytest.mark.parametrize("check_id", TRUST_CHECKS)
def test_metadata(check_id: str) -> None:
    found = get_check(check_id)
    assert found is not None
    meta = found.meta
    assert meta.resource_type is ResourceType.ROLE
    assert meta.remediation_cli.startswith("aws iam ")
    assert meta.references and all(r.startswith("https://") for r in meta.references)
    assert meta.title and meta.remediation
    sentences = [s for s in meta.rationale.split(". ") if s.strip()]
    assert 2 <= len(sentences) <= 3, meta.rationale


# id: (slug, severity), transcribed from the catalog.
CATALOG = {
    "ROLE-001": ("trust-wildcard-principal", Severity.CRITICAL),
    "ROLE-002": ("trust-wildcard-conditional", Severity.MEDIUM),
    "ROLE-003": ("trust-unknown-account", Severity.MEDIUM),
    "ROLE-004": ("trust-no-external-id", Severity.HIGH),
    "ROLE-005": ("trust-service-confused-deputy", Severity.MEDIUM),
    "ROLE-006": ("trust-oidc-no-sub", Severity.CRITICAL),
    "ROLE-007": ("trust-oidc-broad-sub", Severity.MEDIUM),
    "ROLE-008": ("trust-eks-irsa-sub", Severity.HIGH),
    "ROLE-009": ("trust-cognito-no-aud", Severity.CRITICAL),
    "ROLE-010": ("trust-saml-no-aud", Severity.LOW),
    "ROLE-011": ("trust-notprincipal-ifexists", Severity.HIGH),
    "ROLE-012": ("trust-account-root", Severity.INFO),
    "ROLE-013": ("trust-orphaned-principal", Severity.LOW),
    "ROLE-014": ("cross-account-privileged", Severity.HIGH),
}


def test_catalog_slugs_and_severities() -> None:
    registered = {c.meta.id: (c.meta.slug, c.meta.severity) for c in all_checks()}
    assert {k: registered.get(k) for k in CATALOG} == CATALOG
    order = [c.meta.id for c in all_checks() if c.meta.id.startswith("ROLE-")]
    assert order == sorted(order)


# --- ROLE-001 --------------------------------------------------------------------------------

ROLE_001 = [
    case(trust(allow("*")), Status.FAIL, "star", detail=('"*"',)),
    case(trust(allow({"AWS": "*"})), Status.FAIL, "aws-star"),
    case(trust(allow({"AWS": ["*"]})), Status.FAIL, "aws-star-list"),
    case(trust(allow({"AWS": [arn(VENDOR), "*"]})), Status.FAIL, "star-among-others"),
    case(trust(allow({"AWS": "arn:aws:iam::*:root"})), Status.FAIL, "arn-any-account"),
    case(trust(allow({"AWS": "arn:aws:iam::*:role/deploy"})), Status.FAIL, "role-any-account"),
    case(
        trust(allow("*", EXTERNAL_ID)),
        Status.FAIL,
        "external-id-alone",
        detail=("sts:ExternalId is pinned, but any caller can send it",),
    ),
    case(
        trust(allow("*", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci"}})),
        Status.FAIL,
        "principal-arn-any-account",
    ),
    case(
        trust(
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": arn(ACCOUNT, "user/bob")},
                "Action": "sts:AssumeRole",
            }
        ),
        Status.FAIL,
        "not-principal",
        detail=("NotPrincipal",),
    ),
    case(trust(allow({"AWS": arn(VENDOR)})), Status.PASS, "named-account"),
    case(trust(allow({"AWS": VENDOR})), Status.PASS, "bare-account-id"),
    case(trust({**allow("*"), "Effect": "Deny"}), Status.PASS, "deny-star"),
    case(
        trust(allow("*", {"StringEquals": {"aws:PrincipalAccount": VENDOR}})),
        Status.PASS,
        "principal-account",
    ),
    case(
        trust(allow("*", {"ArnLike": {"aws:PrincipalArn": arn(ACCOUNT, "role/ci-*")}})),
        Status.PASS,
        "principal-arn-own-account",
    ),
    case(
        trust(
            allow("*", {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG_ID}/r-ab12/*"}})
        ),
        Status.PASS,
        "org-paths",
    ),
    case(
        trust(allow("*", {"ArnLike": {"aws:SourceArn": f"arn:aws:sns:*:{ACCOUNT}:alerts"}})),
        Status.PASS,
        "source-arn",
    ),
    *pin_forms(
        lambda c: allow({"AWS": "*"}, c),
        "aws:PrincipalOrgID",
        ORG_ID,
        wildcard="o-*",
        prefix="org-",
    ),
]


@pytest.mark.parametrize("c", ROLE_001)
def test_role_001_wildcard_principal(c: Case) -> None:
    run_case("ROLE-001", c)


def test_role_001_says_why_a_present_condition_does_not_restrict() -> None:
    doc = trust(allow("*", {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}}))
    (r,) = judge("ROLE-001", doc)
    assert "passes when the key is absent" in r.detail
    assert r.evidence["missing_condition"] == "aws:PrincipalOrgID"
    assert r.evidence["suggested_statement"]["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "<ORG_ID>"}
    }


# --- ROLE-002 --------------------------------------------------------------------------------

ROLE_002 = [
    case(
        trust(allow({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})),
        Status.FAIL,
        "org-pinned",
        detail=(f'aws:PrincipalOrgID = "{ORG_ID}"',),
        evidence={"restricting_conditions": {"aws:PrincipalOrgID": [ORG_ID]}},
    ),
    case(
        trust(allow("*", {"StringEquals": {"aws:sourceaccount": ACCOUNT}})),
        Status.FAIL,
        "star-source-account",
        detail=("aws:SourceAccount",),
    ),
    case(
        trust(
            allow({"AWS": "arn:aws:iam::*:root"}, {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})
        ),
        Status.FAIL,
        "any-account-arn-org-pinned",
    ),
    case(trust(allow("*")), Status.PASS, "unrestricted-is-role-001s", detail=("ROLE-001",)),
    case(trust(allow({"AWS": arn(VENDOR)}, EXTERNAL_ID)), Status.PASS, "no-wildcard"),
    case(
        trust({**allow("*", {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}), "Effect": "Deny"}),
        Status.PASS,
        "deny",
    ),
    *pin_forms(
        lambda c: allow({"AWS": ["*"]}, c),
        "aws:PrincipalOrgID",
        ORG_ID,
        wildcard="o-*",
        pinned=Status.FAIL,
        unpinned=Status.PASS,
        prefix="org-",
    ),
]


@pytest.mark.parametrize("c", ROLE_002)
def test_role_002_wildcard_conditional(c: Case) -> None:
    run_case("ROLE-002", c)


# --- ROLE-003 / ROLE-004 ---------------------------------------------------------------------

ROLE_003 = [
    case(
        trust(allow({"AWS": arn(VENDOR)})),
        Status.FAIL,
        "root-arn",
        detail=(VENDOR,),
        evidence={"external_accounts": [VENDOR], "principal": arn(VENDOR)},
    ),
    case(trust(allow({"AWS": VENDOR})), Status.FAIL, "bare-account-id", detail=(VENDOR,)),
    case(trust(allow({"AWS": [arn(VENDOR, "role/reader")]})), Status.FAIL, "role-arn"),
    case(trust(allow({"AWS": arn(VENDOR)}, EXTERNAL_ID)), Status.FAIL, "with-external-id"),
    case(trust(allow({"AWS": arn(VENDOR, "root", "aws-cn")})), Status.FAIL, "other-partition"),
    case(trust(allow({"AWS": arn(VENDOR)})), Status.PASS, "configured-trusted", trusted=(VENDOR,)),
    case(trust(allow({"AWS": TRUSTED})), Status.PASS, "trusted-bare-id"),
    case(trust(allow({"AWS": arn(ACCOUNT)})), Status.PASS, "this-account"),
    case(trust(allow({"AWS": ACCOUNT})), Status.PASS, "this-account-bare-id"),
    case(trust(allow("*")), Status.PASS, "wildcard-is-role-001s"),
    case(trust(allow({"AWS": "AROAEXAMPLEEXAMPLE1234"})), Status.PASS, "unique-id-is-role-013s"),
    case(trust({**allow({"AWS": VENDOR}), "Effect": "Deny"}), Status.PASS, "deny"),
    case(
        trust(allow({"AWS": arn(VENDOR)}, action="sts:TagSession")),
        Status.PASS,
        "tag-session-only",
    ),
]


@pytest.mark.parametrize("c", ROLE_003)
def test_role_003_unknown_account(c: Case) -> None:
    run_case("ROLE-003", c)


def test_role_003_one_finding_per_untrusted_principal() -> None:
    doc = trust(allow({"AWS": [arn(VENDOR), arn(TRUSTED), "999988887777"]}))
    results = judge("ROLE-003", doc, trusted=[TRUSTED])
    assert {r.qualifier: r.evidence["external_accounts"] for r in results} == {
        f"statement:0:AWS:{arn(VENDOR)}": [VENDOR],
        "statement:0:AWS:999988887777": ["999988887777"],
    }
    # The suggestion drops only the untrusted principal it is about.
    first = next(r for r in results if r.evidence["principal"] == arn(VENDOR))
    assert first.evidence["suggested_statement"]["Principal"] == {
        "AWS": [arn(TRUSTED), "999988887777"]
    }


def test_role_003_pass_names_the_trusted_accounts() -> None:
    (r,) = judge("ROLE-003", trust(allow({"AWS": [TRUSTED, arn(ACCOUNT)]})), trusted=[TRUSTED])
    assert (r.status, r.detail) == (
        Status.PASS,
        f"Role r is trusted by accounts {TRUSTED}, all trusted.",
    )


ROLE_004 = [
    case(
        trust(allow({"AWS": arn(VENDOR)})),
        Status.FAIL,
        "root-arn",
        detail=(VENDOR, "no condition on sts:ExternalId"),
        evidence={"external_accounts": [VENDOR], "missing_condition": "sts:ExternalId"},
    ),
    case(trust(allow({"AWS": VENDOR})), Status.FAIL, "bare-account-id", detail=(VENDOR,)),
    case(
        trust(allow({"AWS": arn(VENDOR)}, {"StringLike": {"sts:ExternalId": "vendor-*"}})),
        Status.FAIL,
        "external-id-prefix",
    ),
    case(
        trust(
            allow({"AWS": arn(VENDOR)}, {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})
        ),
        Status.FAIL,
        "mfa-if-exists",
    ),
    case(
        trust(allow({"AWS": arn(VENDOR)}, {"Bool": {"aws:MultiFactorAuthPresent": "false"}})),
        Status.FAIL,
        "mfa-false",
    ),
    case(
        trust(allow({"AWS": arn(VENDOR)}, {"Bool": {"aws:MultiFactorAuthPresent": True}})),
        Status.PASS,
        "mfa-true",
    ),
    case(trust(allow({"AWS": arn(TRUSTED)})), Status.PASS, "trusted-account"),
    case(trust(allow({"AWS": ACCOUNT})), Status.PASS, "this-account"),
    case(trust(allow("*")), Status.PASS, "wildcard-is-role-001s"),
    *pin_forms(
        lambda c: allow({"AWS": arn(VENDOR)}, c),
        "sts:ExternalId",
        "vendor-7f3a",
        prefix="external-id-",
    ),
]


@pytest.mark.parametrize("c", ROLE_004)
def test_role_004_no_external_id(c: Case) -> None:
    run_case("ROLE-004", c)


# --- ROLE-005 --------------------------------------------------------------------------------

ROLE_005 = [
    case(
        trust(allow({"Service": "s3.amazonaws.com"})),
        Status.FAIL,
        "s3",
        detail=("s3.amazonaws.com",),
    ),
    case(
        trust(allow({"Service": "lambda.amazonaws.com"})),
        Status.FAIL,
        "lambda-low",
        severity=Severity.LOW,
        detail=("Rated low",),
    ),
    case(
        trust(allow({"Service": "ec2.amazonaws.com"})),
        Status.FAIL,
        "ec2-low",
        severity=Severity.LOW,
    ),
    case(
        trust(allow({"Service": ["ecs-tasks.amazonaws.com"]})),
        Status.FAIL,
        "ecs-tasks-low",
        severity=Severity.LOW,
    ),
    case(
        trust(
            allow(
                {"Service": "events.amazonaws.com"},
                {"ArnLike": {"aws:SourceArn": "arn:aws:events:*:*:rule/*"}},
            )
        ),
        Status.FAIL,
        "source-arn-any-account",
    ),
    case(
        trust(
            allow(
                {"Service": "sns.amazonaws.com"},
                {"ArnLike": {"aws:SourceArn": f"arn:aws:sns:*:{ACCOUNT}:*"}},
            )
        ),
        Status.PASS,
        "source-arn-own-account",
    ),
    case(
        trust(
            allow({"Service": "s3.amazonaws.com"}, {"StringEquals": {"aws:SourceOrgID": ORG_ID}})
        ),
        Status.PASS,
        "source-org",
    ),
    case(trust(allow({"AWS": arn(ACCOUNT)})), Status.PASS, "no-service"),
    *pin_forms(
        lambda c: allow({"Service": "s3.amazonaws.com"}, c),
        "aws:SourceAccount",
        ACCOUNT,
        prefix="source-account-",
    ),
]


@pytest.mark.parametrize("c", ROLE_005)
def test_role_005_service_confused_deputy(c: Case) -> None:
    run_case("ROLE-005", c)


def test_role_005_judges_each_service_of_a_statement() -> None:
    doc = trust(allow({"Service": ["ec2.amazonaws.com", "s3.amazonaws.com"]}))
    results = {r.evidence["principal"]: r for r in judge("ROLE-005", doc)}
    assert {p: severity_of("ROLE-005", r) for p, r in results.items()} == {
        "ec2.amazonaws.com": Severity.LOW,
        "s3.amazonaws.com": Severity.MEDIUM,
    }
    assert results["s3.amazonaws.com"].qualifier == "statement:0:Service:s3.amazonaws.com"
    assert results["s3.amazonaws.com"].evidence["suggested_statement"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT}
    }


# --- ROLE-006 / ROLE-007 / ROLE-008: OIDC ----------------------------------------------------

EXACT_SUBJECTS = {
    GITHUB: "repo:acme/app:environment:prod",
    GITLAB: "project_path:acme/app:ref_type:branch:ref:main",
    TERRAFORM: "organization:acme:project:core:workspace:prod:run_phase:apply",
    BUILDKITE: "organization:acme:pipeline:deploy:ref:refs/heads/main:commit:*:step:*",
    CIRCLECI: "org/5b1d4d3c/project/9e2f/user/7c1a",
    GENERIC: "svc-deployer",
}

ROLE_006 = [
    case(
        trust(web(provider(GITHUB), aud(GITHUB))),
        Status.FAIL,
        "github-no-sub",
        detail=(f"{GITHUB}:sub is not pinned",),
    ),
    *[
        case(
            trust(web(provider(GITHUB), merge(aud(GITHUB), sub(GITHUB, v, "StringLike")))),
            Status.FAIL,
            f"github-{v}",
            detail=("a wildcard owner",),
        )
        for v in ("*", "repo:*", "repo:*/*", "repo:ac*/app:*")
    ],
    case(
        trust(web(provider(GITLAB), aud(GITLAB, "https://gitlab.com"))),
        Status.FAIL,
        "gitlab-no-sub",
    ),
    case(
        trust(web(provider(GITLAB), sub(GITLAB, "project_path:*", "StringLike"))),
        Status.FAIL,
        "gitlab-any-project",
    ),
    case(trust(web(provider("gitlab.acme.internal"))), Status.FAIL, "gitlab-self-hosted-no-sub"),
    case(trust(web(provider(TERRAFORM))), Status.FAIL, "terraform-no-sub"),
    case(
        trust(web(provider(TERRAFORM), sub(TERRAFORM, "organization:*", "StringLike"))),
        Status.FAIL,
        "terraform-any-org",
    ),
    case(trust(web(provider(BUILDKITE))), Status.FAIL, "buildkite-no-sub"),
    case(trust(web(provider(GENERIC), aud(GENERIC, "client-1"))), Status.FAIL, "generic-no-sub"),
    case(
        trust(web(provider(GENERIC), sub(GENERIC, "*", "StringLike"))),
        Status.FAIL,
        "generic-any-sub",
    ),
    case(trust(web("accounts.google.com")), Status.FAIL, "google-no-sub"),
    *[
        case(
            trust(web(provider(host), merge(sub(host, value), aud(host)))),
            Status.PASS,
            f"{host.split('.')[0]}-pinned",
        )
        for host, value in EXACT_SUBJECTS.items()
    ],
    case(
        trust(web(provider(GITHUB), sub(GITHUB, "repo:acme/*", "StringLike"))),
        Status.PASS,
        "github-owner-wide-is-role-007s",
    ),
    case(trust(web(provider(CIRCLECI))), Status.PASS, "circleci-issuer-pins-the-org"),
    case(trust(web(provider(EKS))), Status.PASS, "eks-is-role-008s"),
    case(trust(web(COGNITO)), Status.PASS, "cognito-is-role-009s"),
    case(trust(saml()), Status.PASS, "saml-is-role-010s"),
    case(trust({**web(provider(GITHUB)), "Effect": "Deny"}), Status.PASS, "deny"),
    *pin_forms(
        lambda c: web(provider(GITHUB), c),
        f"{GITHUB}:sub",
        "repo:acme/app:environment:prod",
        wildcard="repo:*",
        base=aud(GITHUB),
        prefix="github-sub-",
    ),
]


@pytest.mark.parametrize("c", ROLE_006)
def test_role_006_oidc_no_sub(c: Case) -> None:
    run_case("ROLE-006", c)


ROLE_007 = [
    case(
        trust(web(provider(GITHUB), merge(aud(GITHUB), sub(GITHUB, "repo:acme/*", "StringLike")))),
        Status.FAIL,
        "github-whole-owner",
        detail=("every repository of one owner",),
        evidence={"subject_breadth": "owner"},
    ),
    case(
        trust(
            web(provider(GITHUB), merge(aud(GITHUB), sub(GITHUB, "repo:acme/app:*", "StringLike")))
        ),
        Status.FAIL,
        "github-any-branch",
        detail=("any branch",),
    ),
    case(
        trust(
            web(
                provider(GITHUB),
                merge(aud(GITHUB), sub(GITHUB, "repo:acme/app:ref:refs/heads/*", "StringLike")),
            )
        ),
        Status.FAIL,
        "github-any-ref",
    ),
    case(
        trust(
            web(
                provider(GITLAB),
                merge(aud(GITLAB), sub(GITLAB, "project_path:acme/*", "StringLike")),
            )
        ),
        Status.FAIL,
        "gitlab-whole-group",
    ),
    case(
        trust(
            web(
                provider(TERRAFORM),
                merge(
                    aud(TERRAFORM, "aws.workload.identity"),
                    sub(
                        TERRAFORM,
                        "organization:acme:project:core:workspace:prod:run_phase:*",
                        "StringLike",
                    ),
                ),
            )
        ),
        Status.FAIL,
        "terraform-any-run-phase",
    ),
    case(
        trust(
            web(
                provider(BUILDKITE),
                merge(aud(BUILDKITE), sub(BUILDKITE, "organization:acme:pipeline:*", "StringLike")),
            )
        ),
        Status.FAIL,
        "buildkite-any-pipeline",
    ),
    case(
        trust(web(provider(CIRCLECI), aud(CIRCLECI, "5b1d4d3c-0a7e-4c2f-9a49-1c3f0e7d8a21"))),
        Status.FAIL,
        "circleci-no-sub-is-org-wide",
        detail=("every project of the organization",),
    ),
    case(
        trust(
            web(
                provider(CIRCLECI),
                merge(aud(CIRCLECI, "x"), sub(CIRCLECI, "org/o/project/p/user/*", "StringLike")),
            )
        ),
        Status.FAIL,
        "circleci-any-user",
    ),
    case(
        trust(
            web(
                provider(EKS),
                merge(aud(EKS), sub(EKS, "system:serviceaccount:payments:*", "StringLike")),
            )
        ),
        Status.FAIL,
        "eks-whole-namespace",
    ),
    case(
        trust(web(provider(EKS), sub(EKS, "system:serviceaccount:payments:api"))),
        Status.FAIL,
        "eks-no-aud",
    ),
    case(
        trust(
            web(
                provider(GENERIC),
                merge(aud(GENERIC, "client-1"), sub(GENERIC, "svc-*", "StringLike")),
            )
        ),
        Status.FAIL,
        "generic-partly-wildcarded",
    ),
    *[
        case(
            trust(web(provider(host), merge(sub(host, value), aud(host)))),
            Status.PASS,
            f"{host.split('.')[0]}-pinned",
        )
        for host, value in {**EXACT_SUBJECTS, EKS: "system:serviceaccount:payments:api"}.items()
    ],
    case(
        trust(web(provider(GITHUB), aud(GITHUB))),
        Status.PASS,
        "github-no-sub-is-role-006s",
    ),
    case(trust(web(COGNITO)), Status.PASS, "cognito-not-judged"),
    case(trust(saml()), Status.PASS, "saml-not-judged"),
    *pin_forms(
        lambda c: web(provider(GITHUB), c),
        f"{GITHUB}:aud",
        "sts.amazonaws.com",
        base=sub(GITHUB, "repo:acme/app:environment:prod"),
        prefix="github-aud-",
    ),
]


@pytest.mark.parametrize("c", ROLE_007)
def test_role_007_oidc_broad_sub(c: Case) -> None:
    run_case("ROLE-007", c)


def test_role_007_suggests_one_repository_environment_and_audience() -> None:
    doc = trust(web(provider(GITHUB), sub(GITHUB, "repo:acme/*", "StringLike")))
    (r,) = judge("ROLE-007", doc)
    assert r.evidence["missing_condition"] == f"{GITHUB}:aud"
    assert r.evidence["suggested_statement"]["Condition"] == {
        "StringEquals": {
            f"{GITHUB}:sub": "repo:<OWNER>/<REPO>:environment:<ENVIRONMENT>",
            f"{GITHUB}:aud": "sts.amazonaws.com",
        }
    }


ROLE_008 = [
    case(trust(web(provider(EKS), aud(EKS))), Status.FAIL, "no-sub", detail=("any pod",)),
    *[
        case(
            trust(web(provider(EKS), merge(aud(EKS), sub(EKS, v, "StringLike")))),
            Status.FAIL,
            f"sub-{v}",
        )
        for v in ("system:serviceaccount:*", "system:*", "*")
    ],
    case(
        trust(web(provider("oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC"))),
        Status.FAIL,
        "china-region",
    ),
    case(
        trust(
            web(
                provider(EKS),
                merge(aud(EKS), sub(EKS, "system:serviceaccount:payments:*", "StringLike")),
            )
        ),
        Status.PASS,
        "namespace-is-role-007s",
    ),
    case(trust(web(provider(GITHUB))), Status.PASS, "not-eks"),
    *pin_forms(
        lambda c: web(provider(EKS), c),
        f"{EKS}:sub",
        "system:serviceaccount:payments:api",
        wildcard="system:serviceaccount:*",
        base=aud(EKS),
        prefix="sub-",
    ),
]


@pytest.mark.parametrize("c", ROLE_008)
def test_role_008_eks_irsa_sub(c: Case) -> None:
    run_case("ROLE-008", c)


# --- ROLE-009 / ROLE-010 ---------------------------------------------------------------------

AMR = {"ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}}

ROLE_009 = [
    case(trust(web(COGNITO, AMR)), Status.FAIL, "amr-only", detail=("any identity pool",)),
    case(
        trust(web(COGNITO, merge(AMR, {"StringEquals": {f"{COGNITO}:aud": "us-east-1:*"}}))),
        Status.FAIL,
        "any-pool-of-a-region",
    ),
    case(trust(web(provider(GITHUB))), Status.PASS, "not-cognito"),
    *pin_forms(lambda c: web(COGNITO, c), f"{COGNITO}:aud", COGNITO_POOL, base=AMR, prefix="aud-"),
]


@pytest.mark.parametrize("c", ROLE_009)
def test_role_009_cognito_no_aud(c: Case) -> None:
    run_case("ROLE-009", c)


ROLE_010 = [
    case(trust(saml()), Status.FAIL, "no-aud", detail=("okta",)),
    case(trust(web(COGNITO)), Status.PASS, "not-saml"),
    *pin_forms(saml, "SAML:aud", SAML_AUD, wildcard="https://*", prefix="aud-"),
]


@pytest.mark.parametrize("c", ROLE_010)
def test_role_010_saml_no_aud(c: Case) -> None:
    run_case("ROLE-010", c)


def test_role_010_suggests_the_partition_sign_in_endpoint() -> None:
    (r,) = judge("ROLE-010", trust(saml()))
    assert r.evidence["suggested_statement"]["Condition"] == {
        "StringEquals": {"SAML:aud": SAML_AUD}
    }


# --- ROLE-011 --------------------------------------------------------------------------------

NOT_PRINCIPAL = {
    "Effect": "Allow",
    "NotPrincipal": {"AWS": arn(ACCOUNT, "user/bob")},
    "Action": "sts:AssumeRole",
}

ROLE_011 = [
    case(trust(NOT_PRINCIPAL), Status.FAIL, "not-principal", detail=("NotPrincipal",)),
    case(
        trust(
            {"Effect": "Allow", "Principal": {"AWS": arn(ACCOUNT)}, "NotAction": "sts:TagSession"}
        ),
        Status.FAIL,
        "not-action",
        detail=("NotAction",),
    ),
    *[
        case(
            trust(allow({"AWS": arn(VENDOR)}, {op: {key: "v"}})),
            Status.FAIL,
            f"{op}-{key}",
            detail=(f"{op} on {key.lower()}",),
        )
        for op, key in (
            ("StringEqualsIfExists", "sts:ExternalId"),
            ("StringLikeIfExists", "STS:EXTERNALID"),
            ("ForAllValues:StringEquals", "sts:ExternalId"),
            ("StringEqualsIfExists", "aws:PrincipalOrgID"),
            ("StringLikeIfExists", f"{GITHUB}:sub"),
            ("StringEqualsIfExists", f"{GITHUB}:aud"),
            ("StringEqualsIfExists", f"{COGNITO}:aud"),
            ("StringEqualsIfExists", "SAML:aud"),
        )
    ],
    case(trust({**NOT_PRINCIPAL, "Effect": "Deny"}), Status.PASS, "deny-not-principal"),
    case(
        trust({"Effect": "Allow", "Principal": {"AWS": arn(ACCOUNT)}, "NotAction": "sts:*"}),
        Status.PASS,
        "not-action-granting-nothing",
    ),
    case(
        trust(
            allow({"AWS": arn(VENDOR)}, {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})
        ),
        Status.PASS,
        "if-exists-on-another-key",
    ),
    case(
        trust(
            allow(
                {"AWS": arn(VENDOR)},
                {
                    "StringEqualsIfExists": {"sts:ExternalId": "v"},
                    "StringEquals": {"sts:ExternalId": "v"},
                },
            )
        ),
        Status.PASS,
        "if-exists-beside-a-pin",
    ),
    case(trust(allow({"AWS": arn(VENDOR)}, EXTERNAL_ID)), Status.PASS, "plain-pin"),
    case(
        trust(allow({"AWS": arn(VENDOR)}, {"StringLike": {"sts:ExternalId": "*"}})),
        Status.PASS,
        "wildcard-is-role-004s",
    ),
]


@pytest.mark.parametrize("c", ROLE_011)
def test_role_011_notprincipal_ifexists(c: Case) -> None:
    run_case("ROLE-011", c)


def test_role_011_one_finding_per_statement_with_every_issue() -> None:
    stmt = {
        "Effect": "Allow",
        "NotPrincipal": {"AWS": [arn(ACCOUNT, "user/a"), arn(ACCOUNT, "user/b")]},
        "NotAction": "sts:TagSession",
        "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}},
    }
    (r,) = judge("ROLE-011", trust(stmt))
    assert r.qualifier == "statement:0"
    assert all(word in r.detail for word in ("NotPrincipal", "NotAction", "IfExists"))
    assert r.evidence["suggested_statement"] == {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::<ACCOUNT_ID>:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
    }


# --- ROLE-012 / ROLE-013 / ROLE-014 ----------------------------------------------------------

ROLE_012 = [
    case(
        trust(allow({"AWS": arn(ACCOUNT)})),
        Status.FAIL,
        "root-arn",
        evidence={"admin_equivalent": False},
    ),
    case(trust(allow({"AWS": ACCOUNT})), Status.FAIL, "bare-account-id"),
    case(trust(allow({"AWS": [ACCOUNT]})), Status.FAIL, "bare-account-id-list"),
    case(
        trust(allow({"AWS": arn(ACCOUNT)})),
        Status.FAIL,
        "admin-role-high",
        policies=(ADMIN,),
        severity=Severity.HIGH,
        detail=("admin-equivalent",),
        evidence={"admin_equivalent": True},
    ),
    case(trust(allow({"AWS": arn(ACCOUNT, "role/ops")})), Status.PASS, "named-role"),
    case(trust(allow({"AWS": arn(VENDOR)})), Status.PASS, "other-account-root"),
    case(trust(allow({"AWS": arn(ACCOUNT)}, action="sts:TagSession")), Status.PASS, "tag-session"),
    *pin_forms(
        lambda c: allow({"AWS": arn(ACCOUNT)}, c),
        "aws:PrincipalArn",
        arn(ACCOUNT, "role/ops"),
        operator="ArnEquals",
        wildcard="arn:aws:iam::*:role/ops",
        prefix="principal-arn-",
    ),
]


@pytest.mark.parametrize("c", ROLE_012)
def test_role_012_account_root(c: Case) -> None:
    run_case("ROLE-012", c)


def test_role_012_admin_through_an_inline_policy_is_high() -> None:
    r = role("r", trust=trust(allow({"AWS": ACCOUNT})), inline_policies=[inline("all", ADMIN_DOC)])
    found = get_check("ROLE-012")
    assert found is not None
    (result,) = found.run(snapshot(roles=[r]), CheckContext())
    assert result.severity is Severity.HIGH
    assert result.evidence["admin_policies"] == ["all (inline)"]


ROLE_013 = [
    case(
        trust(allow({"AWS": "AROAEXAMPLEEXAMPLE1234"})),
        Status.FAIL,
        "role-id",
        detail=("deleted role",),
    ),
    case(
        trust(allow({"AWS": "AIDAEXAMPLEEXAMPLE5678"})),
        Status.FAIL,
        "user-id",
        detail=("deleted user",),
    ),
    case(
        trust(allow({"AWS": [arn(ACCOUNT, "role/x"), "AROAEXAMPLEEXAMPLE1234"]})),
        Status.FAIL,
        "among-arns",
    ),
    case(trust(allow({"AWS": arn(ACCOUNT, "role/AROAEXAMPLE12345678")})), Status.PASS, "arn"),
    case(trust(allow({"AWS": VENDOR})), Status.PASS, "account-id"),
    case(
        trust({**allow({"AWS": "AROAEXAMPLEEXAMPLE1234"}), "Effect": "Deny"}), Status.PASS, "deny"
    ),
]


@pytest.mark.parametrize("c", ROLE_013)
def test_role_013_orphaned_principal(c: Case) -> None:
    run_case("ROLE-013", c)


def test_role_013_suggestion_drops_the_orphan_only() -> None:
    doc = trust(allow({"AWS": [arn(ACCOUNT, "role/x"), "AROAEXAMPLEEXAMPLE1234"]}))
    (r,) = judge("ROLE-013", doc)
    assert r.qualifier == "statement:0:AWS:AROAEXAMPLEEXAMPLE1234"
    assert r.evidence["suggested_statement"]["Principal"] == {"AWS": arn(ACCOUNT, "role/x")}


VENDOR_TRUST = trust(allow({"AWS": arn(VENDOR)}, EXTERNAL_ID))

ROLE_014 = [
    case(
        VENDOR_TRUST,
        Status.FAIL,
        "admin",
        policies=(ADMIN,),
        detail=("admin-equivalent", VENDOR),
        evidence={"external_accounts": [VENDOR]},
    ),
    case(
        VENDOR_TRUST,
        Status.FAIL,
        "read-only-access",
        policies=(READ_ALL,),
        detail=("ReadOnlyAccess",),
    ),
    case(
        VENDOR_TRUST,
        Status.FAIL,
        "can-escalate",
        policies=(ESCALATE,),
        detail=("CreatePolicyVersion",),
    ),
    case(trust(allow({"AWS": VENDOR})), Status.FAIL, "bare-account-id", policies=(ADMIN,)),
    case(
        trust(allow("*")),
        Status.FAIL,
        "unrestricted-wildcard",
        policies=(ADMIN,),
        evidence={"external_accounts": ["*"]},
    ),
    case(VENDOR_TRUST, Status.PASS, "narrow-permissions", policies=(NARROW,)),
    case(VENDOR_TRUST, Status.PASS, "trusted-account", policies=(ADMIN,), trusted=(VENDOR,)),
    case(trust(allow({"AWS": arn(ACCOUNT)})), Status.PASS, "this-account", policies=(ADMIN,)),
    case(
        trust(allow("*", {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})),
        Status.PASS,
        "org-pinned-wildcard",
        policies=(ADMIN,),
    ),
    case(trust(allow({"Service": "ec2.amazonaws.com"})), Status.PASS, "service", policies=(ADMIN,)),
]


@pytest.mark.parametrize("c", ROLE_014)
def test_role_014_cross_account_privileged(c: Case) -> None:
    run_case("ROLE-014", c)


# --- an account with no risky trust ----------------------------------------------------------


def careful_roles() -> list[Role]:
    own = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    return [
        role("lambda-app", trust=trust(allow({"Service": "lambda.amazonaws.com"}, own))),
        role("ec2-app", trust=trust(allow({"Service": "ec2.amazonaws.com"}, own))),
        role(
            "s3-replication",
            trust=trust(
                allow(
                    {"Service": "s3.amazonaws.com"},
                    {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::example-reports"}},
                )
            ),
        ),
        role(
            "vendor-monitoring",
            trust={"Version": "2012-10-17", "Statement": allow({"AWS": TRUSTED}, EXTERNAL_ID)},
            policies=[READ_ALL],
        ),
        role(
            "deploy-from-github",
            trust=trust(
                web(provider(GITHUB), merge(sub(GITHUB, EXACT_SUBJECTS[GITHUB]), aud(GITHUB)))
            ),
        ),
        role("ops", trust=trust(allow({"AWS": arn(ACCOUNT)}))),  # info only, by design
        role(
            "AWSServiceRoleForSupport",
            path="/aws-service-role/support.amazonaws.com/",
            trust=trust(allow({"Service": "support.amazonaws.com"})),
        ),
    ]


def test_no_risky_trust_no_failure_above_info() -> None:
    roles = careful_roles()
    snap = snapshot(roles=roles, policies=[READ_ALL])
    ctx = CheckContext(trusted_account_ids=frozenset({TRUSTED}))
    judged: dict[str, set[str]] = {}
    for check_id in TRUST_CHECKS:
        found = get_check(check_id)
        assert found is not None
        for r in found.run(snap, ctx):
            judged.setdefault(check_id, set()).add(r.resource_name)
            assert r.status is not Status.ERROR, r.detail
            if r.status is Status.FAIL:
                assert severity_of(check_id, r) is Severity.INFO, (check_id, r.detail)
    # Every check looked at every role but the service-linked one.
    expected = {r.name for r in roles if not r.service_linked}
    assert judged == dict.fromkeys(TRUST_CHECKS, expected)


# --- scale ----------------------------------------------------------------------------------


def test_each_trust_document_is_read_once_for_all_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[object] = []
    real = trust_module.parse_policy

    def counting(doc: object) -> Any:
        reads.append(doc)
        return real(doc)

    monkeypatch.setattr(trust_module, "parse_policy", counting)
    stmts = [stmt for stmt, _ in RISKY.values()]
    roles = [role(f"r{i}", trust=trust(stmts[i % len(stmts)])) for i in range(1000)]
    snap = snapshot(roles=roles, policies=[ADMIN])
    ctx = CheckContext(trusted_account_ids=frozenset({TRUSTED}))
    counts = {}
    for check_id in TRUST_CHECKS:
        found = get_check(check_id)
        assert found is not None
        counts[check_id] = len(list(found.run(snap, ctx)))
    assert len(reads) == 1000
    assert all(n >= 1000 for n in counts.values()), counts


def test_qualifiers_are_unique_per_role_and_check() -> None:
    doc = trust(
        allow({"AWS": [arn(VENDOR), "999988887777", "*"], "Service": "s3.amazonaws.com"}),
        allow({"AWS": arn(VENDOR)}),
    )
    for check_id in TRUST_CHECKS:
        results = judge(check_id, doc, policies=(ADMIN,))
        qualifiers = [r.qualifier for r in results]
        assert len(qualifiers) == len(set(qualifiers)), (check_id, qualifiers)
        assert all(re.fullmatch(r"statement:\d+(:.+)?|", q) for q in qualifiers)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(
        ["Allow", "Deny", "*", "sts:AssumeRole", VENDOR, ACCOUNT, provider(GITHUB), COGNITO]
    )
    | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Effect",
                    "Action",
                    "NotAction",
                    "Principal",
                    "NotPrincipal",
                    "Condition",
                    "AWS",
                    "Service",
                    "Federated",
                    "StringEquals",
                    "StringLikeIfExists",
                    f"{GITHUB}:sub",
                    "sts:ExternalId",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(statements=st.lists(_JSON, max_size=3))
def test_checks_never_raise_on_any_trust_shape(statements: list[Any]) -> None:
    r = role("r", trust={"Version": "2012-10-17", "Statement": statements}, policies=[ADMIN])
    snap = snapshot(roles=[r], policies=[ADMIN])
    for check_id in TRUST_CHECKS:
        found = get_check(check_id)
        assert found is not None
        results = list(found.run(snap, CheckContext()))
        assert results and all(x.resource_name == "r" for x in results)
