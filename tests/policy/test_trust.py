"""auditor.policy.trust: pinning, OIDC subjects, providers, grants and the per-audit cache."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from factories import ACCOUNT, TRUST_JSON, details, record_trust_reads, role
from hypothesis import given, settings

from auditor.policy.document import Condition
from auditor.policy.trust import (
    Breadth,
    Provider,
    TrustAnalysis,
    account_of,
    federation_of,
    is_pinned,
    is_specific_value,
    pinned_values,
    read_trust,
    subject_breadth,
    subject_scope,
    trust_analysis,
    trust_grants,
    trusting_accounts,
    why_not_pinned,
)

VENDOR = "444455556666"
GITHUB = "token.actions.githubusercontent.com"


def conditions(block: dict[str, Any]) -> tuple[Condition, ...]:
    """The parsed conditions of one statement's ``Condition`` block."""
    doc = {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": block}}
    (grant,) = read_trust(doc).grants
    return grant.conditions


# --- is_pinned -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "key", "pinned"),
    [
        pytest.param(
            {"StringEquals": {"sts:ExternalId": "x1"}}, "sts:ExternalId", True, id="plain"
        ),
        pytest.param(
            {"StringEquals": {"sts:externalid": "x1"}}, "sts:ExternalId", True, id="lower-key"
        ),
        pytest.param(
            {"StringEquals": {"STS:EXTERNALID": "x1"}}, "sts:externalId", True, id="upper-key"
        ),
        pytest.param(
            {"ForAnyValue:StringEquals": {"sts:ExternalId": "x1"}},
            "sts:ExternalId",
            True,
            id="for-any-value",
        ),
        pytest.param(
            {"StringEqualsIfExists": {"sts:ExternalId": "x1"}},
            "sts:ExternalId",
            False,
            id="if-exists",
        ),
        pytest.param(
            {"ForAnyValue:StringLikeIfExists": {"sts:ExternalId": "x1"}},
            "sts:ExternalId",
            False,
            id="qualified-if-exists",
        ),
        pytest.param(
            {"ForAllValues:StringEquals": {"sts:ExternalId": "x1"}},
            "sts:ExternalId",
            False,
            id="for-all-values",
        ),
        pytest.param({"StringLike": {"sts:ExternalId": "*"}}, "sts:ExternalId", False, id="star"),
        pytest.param(
            {"StringLike": {"sts:ExternalId": "abc*"}}, "sts:ExternalId", False, id="id-prefix"
        ),
        pytest.param(
            {"StringEquals": {"sts:ExternalId": ["x1", "*"]}},
            "sts:ExternalId",
            False,
            id="one-wildcard-of-two",
        ),
        pytest.param({"StringEquals": {"sts:ExternalId": ""}}, "sts:ExternalId", False, id="empty"),
        pytest.param(
            {"StringNotEquals": {"sts:ExternalId": "x1"}}, "sts:ExternalId", False, id="negated"
        ),
        pytest.param({"Null": {"sts:ExternalId": "false"}}, "sts:ExternalId", False, id="null"),
        pytest.param({"StringEquals": {"aws:SourceAccount": ACCOUNT}}, "sts:ExternalId", False),
        pytest.param(
            {
                "StringEqualsIfExists": {"sts:ExternalId": "x1"},
                "StringEquals": {"sts:ExternalId": "x1"},
            },
            "sts:ExternalId",
            True,
            id="if-exists-beside-plain",
        ),
        pytest.param(
            {"Bool": {"aws:MultiFactorAuthPresent": True}},
            "aws:MultiFactorAuthPresent",
            True,
            id="json-bool",
        ),
        pytest.param(
            {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/ci-*"}},
            "aws:PrincipalArn",
            True,
            id="arn-own-account-prefix",
        ),
        pytest.param(
            {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci"}},
            "aws:PrincipalArn",
            False,
            id="arn-any-account",
        ),
        pytest.param(
            {"ArnLike": {"aws:SourceArn": f"arn:aws:lambda:*:{ACCOUNT}:function:*"}},
            "aws:SourceArn",
            True,
            id="arnlike-fields-apart",
        ),
        pytest.param(
            {"StringLike": {"aws:SourceArn": f"arn:aws:lambda:*:{ACCOUNT}:function:*"}},
            "aws:SourceArn",
            False,
            id="stringlike-spans-fields",
        ),
        pytest.param(
            {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::reports-*"}},
            "aws:SourceArn",
            True,
            id="bucket-prefix",
        ),
        pytest.param(
            {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}},
            "aws:SourceArn",
            False,
            id="any-bucket",
        ),
        pytest.param(
            {"StringLike": {"aws:PrincipalOrgID": "o-*"}}, "aws:PrincipalOrgID", False, id="org-*"
        ),
        pytest.param(
            {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-*"}},
            "aws:PrincipalOrgPaths",
            True,
            id="org-path-under-org",
        ),
        pytest.param(
            {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-*/*"}},
            "aws:PrincipalOrgPaths",
            False,
            id="org-path-any-org",
        ),
        pytest.param(
            {"StringLike": {f"{GITHUB}:sub": "repo:*"}}, f"{GITHUB}:sub", False, id="sub-repo-*"
        ),
        pytest.param(
            {"StringLike": {f"{GITHUB}:sub": "repo:acme/*"}},
            f"{GITHUB}:sub",
            True,
            id="sub-owner-pinned",
        ),
        pytest.param(
            {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:*"}},
            "cognito-identity.amazonaws.com:aud",
            False,
            id="cognito-any-pool",
        ),
        pytest.param(
            {"StringEquals": {"SAML:aud": "https://*"}}, "saml:aud", False, id="url-wildcard"
        ),
        pytest.param(
            {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
            "SAML:aud",
            True,
            id="url",
        ),
    ],
)
def test_is_pinned(block: dict[str, Any], key: str, pinned: bool) -> None:
    assert is_pinned(conditions(block), key) is pinned


def test_pinned_values_and_why_not() -> None:
    conds = conditions(
        {
            "StringEquals": {"sts:ExternalId": ["a", "b"]},
            "StringLikeIfExists": {"aws:PrincipalOrgID": "o-abc"},
            "StringLike": {"aws:SourceAccount": "*"},
        }
    )
    assert pinned_values(conds, "STS:EXTERNALID") == ("a", "b")
    assert pinned_values(conds, "aws:PrincipalOrgID") == ()
    assert "IfExists" in why_not_pinned(conds, "aws:PrincipalOrgID")
    assert "wildcard" in why_not_pinned(conds, "aws:SourceAccount")
    assert why_not_pinned(conds, "aws:PrincipalArn") == "no condition on aws:PrincipalArn"


@pytest.mark.parametrize(
    ("key", "value", "specific"),
    [
        ("sts:externalid", "abc", True),
        ("sts:externalid", "a?c", False),
        ("aws:principalaccount", "12345678901*", False),
        ("x:aud", "sts.amazonaws.com", True),
        ("x:aud", "*.amazonaws.com", False),
        ("x:aud", "sts.*", True),
        ("aws:principalarn", "arn*", False),
        ("anything", "   ", False),
    ],
)
def test_is_specific_value(key: str, value: str, specific: bool) -> None:
    assert is_specific_value(key, value) is specific


# --- OIDC subjects ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "breadth"),
    [
        ("repo:acme/app:environment:prod", Breadth.EXACT),
        ("repo:acme/app:ref:refs/heads/main", Breadth.EXACT),
        ("repo:acme/app:*", Breadth.SCOPE),
        ("repo:acme/app:ref:refs/heads/*", Breadth.SCOPE),
        ("repo:acme/*", Breadth.OWNER),
        ("repo:acme/app-*", Breadth.OWNER),
        ("repo:*", Breadth.ANY),
        ("repo:*/*", Breadth.ANY),
        ("repo:ac*/app:*", Breadth.ANY),
        ("*", Breadth.ANY),
        ("", Breadth.ANY),
        ("project_path:grp/app:ref_type:branch:ref:main", Breadth.EXACT),
        ("project_path:grp/app:*", Breadth.SCOPE),
        ("project_path:grp/*", Breadth.OWNER),
        ("project_path:*", Breadth.ANY),
        ("organization:acme:project:p:workspace:w:run_phase:apply", Breadth.EXACT),
        ("organization:acme:project:*:workspace:w:run_phase:apply", Breadth.EXACT),
        ("organization:acme:project:p:workspace:w:run_phase:*", Breadth.SCOPE),
        ("organization:acme:project:p:workspace:*:run_phase:apply", Breadth.OWNER),
        ("organization:acme:*", Breadth.OWNER),
        ("organization:*", Breadth.ANY),
        ("organization:acme:pipeline:deploy:ref:refs/heads/main:commit:*:step:*", Breadth.EXACT),
        ("organization:acme:pipeline:deploy:*", Breadth.SCOPE),
        ("organization:acme:pipeline:*", Breadth.OWNER),
        ("org/O1/project/P1/user/U1", Breadth.EXACT),
        ("org/O1/project/P1/user/*", Breadth.SCOPE),
        ("org/O1/project/*/user/*", Breadth.OWNER),
        ("system:serviceaccount:payments:api", Breadth.EXACT),
        ("system:serviceaccount:payments:*", Breadth.OWNER),
        ("system:serviceaccount:*", Breadth.ANY),
        ("system:*", Breadth.ANY),
        ("user-42", Breadth.EXACT),
        ("user-*", Breadth.SCOPE),
        ("*-42", Breadth.ANY),
    ],
)
def test_subject_breadth(value: str, breadth: Breadth) -> None:
    assert subject_breadth(value) is breadth


def test_subject_scope_takes_the_narrowest_required_condition() -> None:
    key = f"{GITHUB}:sub"
    both = conditions(
        {"StringLike": {key: "repo:acme/*"}, "StringEquals": {key: "repo:acme/app:environment:p"}}
    )
    assert subject_scope(both, key) is Breadth.EXACT
    # One condition admits the broadest of its values.
    mixed = conditions({"StringLike": {key: ["repo:acme/app:environment:p", "repo:*"]}})
    assert subject_scope(mixed, key) is Breadth.ANY
    skipped = conditions({"StringLikeIfExists": {key: "repo:acme/app:environment:p"}})
    assert subject_scope(skipped, key) is Breadth.UNPINNED
    assert subject_scope((), key) is Breadth.UNPINNED


# --- providers -------------------------------------------------------------------------------


def oidc_arn(host: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"


@pytest.mark.parametrize(
    ("principal", "provider", "sub_key", "aud_key"),
    [
        (oidc_arn(GITHUB), Provider.GITHUB, f"{GITHUB}:sub", f"{GITHUB}:aud"),
        (oidc_arn("gitlab.com"), Provider.GITLAB, "gitlab.com:sub", "gitlab.com:aud"),
        (oidc_arn("gitlab.example.com"), Provider.GITLAB, None, None),
        (oidc_arn("app.terraform.io"), Provider.TERRAFORM, None, None),
        (oidc_arn("agent.buildkite.com"), Provider.BUILDKITE, None, None),
        (oidc_arn("oidc.circleci.com/org/abc-123"), Provider.CIRCLECI, None, None),
        (
            oidc_arn("oidc.eks.eu-west-1.amazonaws.com/id/ABC123"),
            Provider.EKS,
            "oidc.eks.eu-west-1.amazonaws.com/id/abc123:sub",
            None,
        ),
        (oidc_arn("auth.example.com"), Provider.OIDC, None, None),
        ("accounts.google.com", Provider.OIDC, "accounts.google.com:sub", None),
        ("graph.facebook.com", Provider.OIDC, "graph.facebook.com:id", "graph.facebook.com:app_id"),
        (
            "cognito-identity.amazonaws.com",
            Provider.COGNITO,
            None,
            "cognito-identity.amazonaws.com:aud",
        ),
        (f"arn:aws:iam::{ACCOUNT}:saml-provider/okta", Provider.SAML, None, "saml:aud"),
    ],
)
def test_federation_of(
    principal: str, provider: Provider, sub_key: str | None, aud_key: str | None
) -> None:
    fed = federation_of(principal)
    assert fed.provider is provider
    if sub_key is not None:
        assert fed.sub_key == sub_key
    if aud_key is not None:
        assert fed.aud_key == aud_key


def test_self_hosted_providers_are_known_by_their_subject_format() -> None:
    host = "ci.example.com"
    gitlab = conditions({"StringEquals": {f"{host}:sub": "project_path:grp/app:ref_type:tag"}})
    tfe = conditions(
        {"StringEquals": {f"{host}:sub": "organization:a:project:p:workspace:w:run_phase:apply"}}
    )
    assert federation_of(oidc_arn(host), gitlab).provider is Provider.GITLAB
    assert federation_of(oidc_arn(host), tfe).provider is Provider.TERRAFORM
    assert federation_of(oidc_arn(host)).provider is Provider.OIDC


def test_written_claim_keys_keep_the_issuer_spelling() -> None:
    fed = federation_of(oidc_arn("oidc.eks.us-east-1.amazonaws.com/id/ABC"))
    assert fed.sub_claim == "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"
    assert federation_of(f"arn:aws:iam::{ACCOUNT}:saml-provider/x").aud_claim == "SAML:aud"


# --- grants ----------------------------------------------------------------------------------


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal: Any, action: Any = "sts:AssumeRole", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


@pytest.mark.parametrize(
    ("principal", "kind", "value", "account", "wildcard"),
    [
        ("*", "*", "*", None, True),
        ({"AWS": "*"}, "AWS", "*", None, True),
        ({"AWS": ["*"]}, "AWS", "*", None, True),
        ({"AWS": "arn:aws:iam::*:root"}, "AWS", "arn:aws:iam::*:root", None, True),
        ({"AWS": VENDOR}, "AWS", VENDOR, VENDOR, False),
        (
            {"AWS": f"arn:aws:iam::{VENDOR}:root"},
            "AWS",
            f"arn:aws:iam::{VENDOR}:root",
            VENDOR,
            False,
        ),
        (
            {"AWS": f"arn:aws-cn:iam::{VENDOR}:role/x"},
            "AWS",
            f"arn:aws-cn:iam::{VENDOR}:role/x",
            VENDOR,
            False,
        ),
        ({"AWS": "AROAEXAMPLEEXAMPLE1234"}, "AWS", "AROAEXAMPLEEXAMPLE1234", None, False),
        ({"Service": "ec2.amazonaws.com"}, "Service", "ec2.amazonaws.com", None, False),
        ({"Federated": "accounts.google.com"}, "Federated", "accounts.google.com", None, False),
    ],
)
def test_principal_forms(
    principal: Any, kind: str, value: str, account: str | None, wildcard: bool
) -> None:
    (grant,) = trust_grants(role("r", trust=doc(allow(principal))))
    assert (grant.principal_type, grant.principal, grant.account_id) == (kind, value, account)
    assert grant.is_wildcard is wildcard


def test_statement_dict_and_list_read_alike() -> None:
    statement = allow({"AWS": VENDOR})
    as_dict = trust_grants(role("r", trust={"Statement": statement}))
    as_list = trust_grants(role("r", trust=doc(statement)))
    assert as_dict == as_list
    assert as_dict[0].statement == statement


@pytest.mark.parametrize(
    ("statement", "actions"),
    [
        (
            allow("*", "sts:AssumeRole*"),
            ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"),
        ),
        (
            allow("*", "sts:*"),
            ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"),
        ),
        (
            allow("*", "*"),
            ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"),
        ),
        (allow("*", "STS:assumerole"), ("sts:AssumeRole",)),
        (
            allow("*", "sts:AssumeRoleWith*"),
            ("sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"),
        ),
        (allow("*", ["sts:TagSession", "sts:AssumeRoleWithSAML"]), ("sts:AssumeRoleWithSAML",)),
        (allow("*", "sts:TagSession"), ()),
        (allow("*", "sts:SetSourceIdentity"), ()),
        ({**allow("*"), "Effect": "Deny"}, ()),
    ],
)
def test_only_assume_role_actions_of_allow_statements_grant(
    statement: dict[str, Any], actions: tuple[str, ...]
) -> None:
    grants = trust_grants(role("r", trust=doc(statement)))
    assert tuple(g.actions for g in grants) == ((actions,) if actions else ())


def test_not_action_grants_what_it_does_not_name() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "NotAction": "sts:AssumeRoleWithSAML"}
    (grant,) = trust_grants(role("r", trust=doc(statement)))
    assert grant.not_action is True
    assert grant.actions == ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity")
    blocked = {"Effect": "Allow", "Principal": "*", "NotAction": "sts:*"}
    assert trust_grants(role("r", trust=doc(blocked))) == ()


def test_not_principal_in_an_allow_trusts_everyone_else() -> None:
    statement = {
        "Effect": "Allow",
        "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"},
        "Action": "sts:AssumeRole",
    }
    (grant,) = trust_grants(role("r", trust=doc(statement)))
    assert (grant.principal_type, grant.not_principal, grant.is_wildcard) == ("*", True, True)
    deny = {**statement, "Effect": "Deny"}
    assert trust_grants(role("r", trust=doc(deny))) == ()


def test_grants_keep_statement_indexes_and_conditions() -> None:
    pinned = {"StringEquals": {"sts:ExternalId": "x"}}
    grants = trust_grants(
        role(
            "r",
            trust=doc(
                allow({"Service": "ec2.amazonaws.com"}, "sts:TagSession"),
                allow({"AWS": [VENDOR, f"arn:aws:iam::{ACCOUNT}:root"]}, Condition=pinned),
            ),
        )
    )
    assert [(g.statement_index, g.principal) for g in grants] == [
        (1, VENDOR),
        (1, f"arn:aws:iam::{ACCOUNT}:root"),
    ]
    assert grants[0].conditions == (Condition("StringEquals", "sts:externalid", ("x",)),)
    assert [g.is_account_root for g in grants] == [True, True]


def test_trust_policy_as_json_text_and_url_encoded() -> None:
    statement = allow({"AWS": VENDOR})
    text = json.dumps(doc(statement))
    for written in (text, urllib.parse.quote(text), text.encode()):
        (grant,) = read_trust(written).grants
        assert grant.account_id == VENDOR
        assert grant.statement == statement


def test_trusting_accounts() -> None:
    r = role(
        "r",
        trust=doc(
            allow({"AWS": [VENDOR, f"arn:aws:iam::{ACCOUNT}:role/app", "*"]}),
            allow({"Service": "lambda.amazonaws.com"}),
            {**allow({"AWS": "111122223333"}), "Effect": "Deny"},
            allow({"AWS": "999988887777"}, "sts:TagSession"),
        ),
    )
    assert trusting_accounts(r) == {VENDOR, ACCOUNT}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (VENDOR, VENDOR),
        (f"arn:aws:sts::{VENDOR}:assumed-role/r/s", VENDOR),
        ("arn:aws:iam::12345:root", None),
        ("arn:aws:iam", None),
        ("AIDAEXAMPLE", None),
        # Whole values only: "$" also matches before a final newline, \d any script's digits.
        (f"{VENDOR}\n", None),
        (f"arn:aws:iam::{VENDOR}\n:root", None),
        ("٤٤٤٤٥٥٥٥٦٦٦٦", None),
        ("arn:aws:iam::٤٤٤٤٥٥٥٥٦٦٦٦:root", None),
    ],
)
def test_account_of(value: str, expected: str | None) -> None:
    assert account_of(value) == expected


@pytest.mark.parametrize("principal", [f"{VENDOR}\n", "AROAEXAMPLEEXAMPLE1234\n", "٤٤٤٤٥٥٥٥٦٦٦٦"])
def test_a_principal_with_a_line_break_or_foreign_digits_names_no_account(principal: str) -> None:
    (grant,) = trust_grants(role("r", trust=doc(allow({"AWS": principal}))))
    assert grant.account_id is None
    assert not grant.is_account_root
    assert not grant.is_unique_id
    assert trusting_accounts(role("r", trust=doc(allow({"AWS": principal})))) == set()


def test_unreadable_statements_are_problems_not_grants() -> None:
    trust = read_trust(
        doc({"Effect": "Allow", "Principal": {"AWS": 5}, "Action": "sts:AssumeRole"}, allow("*"))
    )
    assert [g.statement_index for g in trust.grants] == [1]
    assert trust.problems and "statement 0" in trust.problems[0]
    assert read_trust("not json").problems


# --- caching ---------------------------------------------------------------------------------


def test_analysis_reads_each_trust_document_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = record_trust_reads(monkeypatch)
    roles = [role(f"r{i}", trust=doc(allow({"AWS": VENDOR}))) for i in range(3)]
    d = details(roles=roles)
    analysis = trust_analysis(d)
    for _ in range(5):
        for r in roles:
            analysis.of(r)
    assert len(calls) == 3
    assert trust_analysis(d) is analysis
    assert trust_analysis(details(roles=roles)) is not analysis


def test_analysis_cache_is_keyed_by_identity_not_equality() -> None:
    a = role("same", trust=doc(allow({"AWS": VENDOR})))
    b = role("same", trust=doc(allow("*")))
    analysis = TrustAnalysis(details(roles=[a, b]))
    assert analysis.of(a).grants[0].account_id == VENDOR
    assert analysis.of(b).grants[0].is_wildcard


# --- never raises ----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(document=TRUST_JSON)
def test_trust_grants_never_raise(document: Any) -> None:
    # The document both as a whole trust policy and as the Statement element of one.
    for trust in (document, {"Version": "2012-10-17", "Statement": document}):
        target = role("r", trust=trust if isinstance(trust, dict) else {"Statement": trust})
        grants = trust_grants(target)
        assert trusting_accounts(target) <= {g.account_id for g in grants}
        for g in grants:
            # Every derived view of a grant is total as well.
            _ = (g.is_wildcard, g.is_unique_id, g.is_account_root, g.service)
            fed = g.federation
            if fed is not None:
                subject_scope(g.conditions, fed.sub_key)
                is_pinned(g.conditions, fed.aud_key)
        read_trust(trust)
