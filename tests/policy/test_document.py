"""auditor.policy.document: normalisation, wildcard matching, full-admin detection, evaluation."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from factories import (
    ADMIN_DOC,
    document,
    statement,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.policy import (
    Condition,
    Decision,
    Effect,
    Principal,
    action_matches,
    evaluate,
    grants_full_admin,
    parse_policy,
    patterns_overlap,
    resource_matches,
)

# --- normalisation -----------------------------------------------------------------------


def test_statement_dict_and_list_normalise_alike() -> None:
    body = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    as_dict = parse_policy({"Statement": body})
    as_list = parse_policy({"Statement": [body]})
    assert as_dict.statements == as_list.statements
    assert as_dict.statements[0].actions == ("s3:GetObject",)


def test_action_string_and_list_normalise_alike() -> None:
    one = parse_policy(document(statement("s3:GetObject")))
    many = parse_policy(document(statement(["s3:GetObject"])))
    assert one.statements == many.statements


def test_full_statement_shape() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Trust",
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "444455556666"]},
                "NotAction": ["iam:*"],
                "NotResource": "arn:aws:s3:::secret/*",
                "Condition": {
                    "StringEquals": {"sts:ExternalId": "abc", "AWS:PrincipalOrgID": ["o-1"]},
                    "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "team*"},
                    "Bool": {"aws:SecureTransport": True},
                    "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                },
            }
        ],
    }
    parsed = parse_policy(doc)
    assert parsed.problems == ()
    assert parsed.version == "2012-10-17"
    (s,) = parsed.statements
    assert s.effect is Effect.ALLOW
    assert s.sid == "Trust"
    assert s.not_actions == ("iam:*",)
    assert s.actions == ()
    assert s.not_resources == ("arn:aws:s3:::secret/*",)
    assert s.principals == (
        Principal("AWS", "arn:aws:iam::111122223333:root"),
        Principal("AWS", "444455556666"),
    )
    assert Condition("StringEquals", "aws:principalorgid", ("o-1",)) in s.conditions
    assert Condition("Bool", "aws:securetransport", ("true",)) in s.conditions
    assert Condition("NumericLessThan", "aws:multifactorauthage", ("3600",)) in s.conditions
    tagged = next(c for c in s.conditions if c.key == "aws:tagkeys")
    assert (tagged.set_qualifier, tagged.if_exists, tagged.base_operator) == (
        "ForAnyValue",
        True,
        "StringLike",
    )


@pytest.mark.parametrize(
    ("principal", "wildcard"),
    [
        ("*", True),
        ({"AWS": "*"}, True),
        ({"AWS": "arn:aws:iam::1:root"}, False),
        ({"Service": "*"}, False),
    ],
)
def test_wildcard_principal(principal: object, wildcard: bool) -> None:
    doc = {"Statement": {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}}
    (s,) = parse_policy(doc).statements
    assert any(p.is_wildcard for p in s.principals) is wildcard


def test_json_text_and_url_encoded_json_are_accepted() -> None:
    text = json.dumps(ADMIN_DOC)
    assert parse_policy(text).statements == parse_policy(ADMIN_DOC).statements
    assert parse_policy(urllib.parse.quote(text)).statements == parse_policy(ADMIN_DOC).statements


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ("not json", "not valid JSON"),
        ([1, 2], "list, not an object"),
        ({}, "no Statement"),
        ({"Statement": "x"}, "Statement is a str"),
        ({"Statement": [3]}, "statement 0 is a int"),
        ({"Statement": [{"Effect": "Maybe", "Action": "*"}]}, "neither Allow nor Deny"),
        ({"Statement": [{"Effect": "Allow"}]}, "exactly one of Action and NotAction"),
        ({"Statement": [{"Effect": "Allow", "Action": [1]}]}, "Action is not a string"),
        ({"Statement": [{"Effect": "Allow", "Action": []}]}, "Action is empty"),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Condition": ["x"]}]}, "Condition"),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Principal": 5}]}, "Principal"),
    ],
)
def test_unreadable_parts_are_problems_not_crashes(doc: object, problem: str) -> None:
    parsed = parse_policy(doc)
    assert parsed.statements == ()
    assert any(problem in p for p in parsed.problems), parsed.problems


def test_one_bad_statement_does_not_hide_the_good_ones() -> None:
    doc = {"Statement": [{"Sid": "Bad", "Effect": "Allow"}, statement("*", "*")]}
    parsed = parse_policy(doc)
    assert len(parsed.statements) == 1
    assert parsed.statements[0].index == 1
    assert parsed.problems == ("statement 0 (Bad): needs exactly one of Action and NotAction",)
    assert grants_full_admin(doc)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Statement",
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "Principal",
                    "Condition",
                    "x",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(doc=JSON | st.text(max_size=40) | st.binary(max_size=20))
def test_garbage_never_raises(doc: Any) -> None:
    parsed = parse_policy(doc)
    assert isinstance(parsed.problems, tuple)
    grants_full_admin(doc)  # must not raise either


@settings(max_examples=150, deadline=None)
@given(
    statements=st.lists(
        st.fixed_dictionaries(
            {
                "Effect": st.sampled_from(["Allow", "Deny", "allow", 7]),
                "Action": st.one_of(st.text(max_size=6), st.lists(st.text(max_size=6), max_size=3)),
                "Resource": st.sampled_from(["*", ["*"], "arn:aws:s3:::b", []]),
            },
            optional={"Condition": JSON},
        ),
        max_size=4,
    )
)
def test_statement_shaped_garbage_never_raises(statements: list[dict[str, Any]]) -> None:
    parsed = parse_policy({"Statement": statements})
    assert len(parsed.statements) + len(parsed.problems) == len(statements)


def test_deeply_nested_document_does_not_raise() -> None:
    deep: Any = "*"
    for _ in range(5000):
        deep = [deep]
    assert parse_policy({"Statement": {"Effect": "Allow", "Action": deep}}).statements == ()
    assert parse_policy("[" * 100000).problems == ("document is not valid JSON",)


# --- matching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("*", "iam:GetUser", True),
        ("*:*", "iam:GetUser", True),
        ("iam:*", "iam:GetUser", True),
        ("iam:*", "s3:GetObject", False),
        ("iam:Get*", "iam:GetUser", True),
        ("iam:Get*", "iam:PutUserPolicy", False),
        ("IAM:get*", "iam:GetUser", True),  # case-insensitive
        ("iam:getuser", "IAM:GetUser", True),
        ("iam:?etUser", "iam:GetUser", True),
        ("iam:GetUser", "iam:GetUsers", False),
        # a required pattern is matched only when every action it stands for is
        ("iam:*", "iam:Put*", True),
        ("iam:Put*", "iam:Put*", True),
        ("iam:PutUser*", "iam:Put*", False),
        ("iam:?ut*", "iam:*", False),
        ("iam:Get?", "iam:Get*", False),  # a ? stands for one character, not for any run
        ("*", "*:*", True),
        ("*:*", "*:*", True),
        ("iam:*", "*:*", False),
        ("*:Get*", "*:*", False),
    ],
)
def test_action_matches(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


def test_resource_matching_is_case_sensitive() -> None:
    assert resource_matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/key")
    assert not resource_matches("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/key")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("iam:Get*", "iam:*Policy", True),  # iam:GetPolicy
        ("s3:*", "iam:*", False),
        ("*", "anything", True),
        ("iam:?", "iam:ab", False),
        ("IAM:GET*", "iam:get", True),
    ],
)
def test_patterns_overlap(a: str, b: str, expected: bool) -> None:
    assert patterns_overlap(a, b) is expected
    assert patterns_overlap(b, a) is expected


def test_hostile_patterns_stay_fast() -> None:
    # Many stars would make a backtracking regex explode; the matcher is polynomial.
    pattern = "*a" * 40 + "*b"
    assert not action_matches(pattern, "a" * 60)
    assert patterns_overlap(pattern, "a" * 60 + "c") is False


# --- full admin --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (document(statement("*", "*")), True),
        (document(statement("*:*", "*")), True),
        (document(statement(["iam:GetUser", "*"], "*")), True),
        (document(statement("iam:*", "*")), False),
        (document(statement("*", "arn:aws:s3:::b")), False),
        (document(statement(not_action="iam:PassRole")), False),
        (
            document(statement("*", "*", condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
            False,
        ),
        (document(statement("*", "*", condition={})), True),  # an empty block restricts nothing
        (document(statement("*", "*", effect="Deny")), False),
        ({"Statement": {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::x"}}, False),
        ({"Statement": {"Effect": "Allow", "Action": "*"}}, True),  # no Resource element
    ],
)
def test_grants_full_admin(doc: dict[str, Any], expected: bool) -> None:
    assert grants_full_admin(doc) is expected


# --- evaluation --------------------------------------------------------------------------


def test_evaluate_explicit_deny_wins() -> None:
    allow = parse_policy(ADMIN_DOC)
    deny = parse_policy(document(statement("iam:*", "*", effect="Deny")))
    assert evaluate([allow], "iam:CreateUser") is Decision.ALLOW
    assert evaluate([allow, deny], "iam:CreateUser") is Decision.EXPLICIT_DENY
    assert evaluate([allow, deny], "s3:GetObject") is Decision.ALLOW


def test_evaluate_deny_on_part_of_the_resources() -> None:
    allow = parse_policy(ADMIN_DOC)
    deny = parse_policy(document(statement("s3:*", "arn:aws:s3:::secret/*", effect="Deny")))
    assert (
        evaluate([allow, deny], "s3:GetObject", "arn:aws:s3:::secret/key") is Decision.EXPLICIT_DENY
    )
    assert evaluate([allow, deny], "s3:GetObject", "arn:aws:s3:::public/key") is Decision.ALLOW
    # "on every resource" is not true when some are denied
    assert evaluate([allow, deny], "s3:GetObject") is Decision.EXPLICIT_DENY


def test_evaluate_conditional_and_implicit() -> None:
    conditional = parse_policy(
        document(statement("s3:*", "*", condition={"Bool": {"aws:SecureTransport": "true"}}))
    )
    assert evaluate([conditional], "s3:GetObject") is Decision.CONDITIONAL_ALLOW
    assert evaluate([conditional], "iam:GetUser") is Decision.IMPLICIT_DENY
    conditional_deny = parse_policy(
        document(
            statement("*", "*", effect="Deny", condition={"Bool": {"aws:ViaAWSService": "false"}})
        )
    )
    # A conditional deny may not apply: it does not make the action impossible.
    assert evaluate([parse_policy(ADMIN_DOC), conditional_deny], "s3:GetObject") is Decision.ALLOW


def test_evaluate_notaction_and_required_patterns() -> None:
    everything_but_iam = parse_policy(document(statement(not_action="iam:*")))
    assert everything_but_iam.evaluate("s3:GetObject") is Decision.ALLOW
    assert everything_but_iam.evaluate("iam:PassRole") is Decision.IMPLICIT_DENY
    assert everything_but_iam.evaluate("ec2:*") is Decision.ALLOW
    assert everything_but_iam.evaluate("*:*") is Decision.IMPLICIT_DENY
