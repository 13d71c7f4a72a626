"""ROLE-001..ROLE-005: wildcard principals, other accounts and services, table by table."""

from __future__ import annotations

import pytest
from factories import (
    ACCOUNT,
)

from auditor.model import Severity, Status
from checks.trust_cases import (
    EXTERNAL_ID,
    ORG_ID,
    TRUSTED,
    VENDOR,
    Case,
    allow,
    arn,
    case,
    judge,
    pin_forms,
    run_case,
    severity_of,
    trust,
)

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
