"""ROLE-001..ROLE-014 together: what every trust check must do alike.

``test_statement_forms`` runs each check's risky statement through the forms every trust
check must read alike (dict or list ``Statement``, ``Deny``, actions that are not
``sts:AssumeRole*``, ``NotAction``); service-linked roles are skipped, unreadable trust is
ERROR, and no trust shape makes a check raise. Each check's own table is in
test_trust_principals.py (ROLE-001..005), test_trust_federation.py (ROLE-006..010) and
test_trust_principal_forms.py (ROLE-011..014).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from factories import (
    ACCOUNT,
    TRUST_JSON,
    record_trust_reads,
    role,
    snapshot,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks import all_checks, get_check
from auditor.checks.registry import CheckContext
from auditor.model import ResourceType, Severity, Status
from auditor.snapshot import ManagedPolicy, Role
from checks.trust_cases import (
    ADMIN,
    COGNITO,
    EKS,
    EXACT_SUBJECTS,
    EXTERNAL_ID,
    GITHUB,
    ORG_ID,
    READ_ALL,
    TRUST_CHECKS,
    TRUSTED,
    VENDOR,
    Doc,
    allow,
    arn,
    aud,
    judge,
    merge,
    provider,
    saml,
    severity_of,
    sub,
    trust,
    verdict,
    web,
)

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
    reads = record_trust_reads(monkeypatch)
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


@settings(max_examples=100, deadline=None)
@given(statements=st.lists(TRUST_JSON, max_size=3))
def test_checks_never_raise_on_any_trust_shape(statements: list[Any]) -> None:
    r = role("r", trust={"Version": "2012-10-17", "Statement": statements}, policies=[ADMIN])
    snap = snapshot(roles=[r], policies=[ADMIN])
    for check_id in TRUST_CHECKS:
        found = get_check(check_id)
        assert found is not None
        results = list(found.run(snap, CheckContext()))
        assert results and all(x.resource_name == "r" for x in results)
