"""ROLE-011..ROLE-014: NotPrincipal and IfExists, the account root, orphaned ids and
privileged roles open to other accounts, table by table."""

from __future__ import annotations

import pytest
from factories import (
    ACCOUNT,
    ADMIN_DOC,
    inline,
    role,
    snapshot,
)

from auditor.checks import get_check
from auditor.checks.registry import CheckContext
from auditor.model import Severity, Status
from checks.trust_cases import (
    ADMIN,
    COGNITO,
    ESCALATE,
    EXTERNAL_ID,
    GITHUB,
    NARROW,
    ORG_ID,
    READ_ALL,
    VENDOR,
    Case,
    allow,
    arn,
    case,
    judge,
    pin_forms,
    run_case,
    trust,
)

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
