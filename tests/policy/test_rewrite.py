"""auditor.policy.rewrite: corrected copies of a statement, the original left alone."""

from __future__ import annotations

from typing import Any

from auditor.policy.rewrite import plain, replace_principal, with_condition, without_ifexists
from auditor.policy.trust import read_trust

VENDOR = "arn:aws:iam::444455556666:root"
OTHER = "arn:aws:iam::111122223333:root"


def _statement(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "sts:AssumeRole", **extra}


def test_plain_copies_mappings_and_sequences() -> None:
    raw = {"Principal": {"AWS": (VENDOR, OTHER)}}
    copy = plain(raw)
    assert copy == {"Principal": {"AWS": [VENDOR, OTHER]}}
    copy["Principal"]["AWS"].append("x")
    assert raw == {"Principal": {"AWS": (VENDOR, OTHER)}}


def test_with_condition_replaces_the_key_whatever_its_case_or_operator() -> None:
    raw = _statement(
        Condition={"StringLike": {"STS:ExternalId": "*", "aws:SourceIp": "10.0.0.0/8"}}
    )
    out = with_condition(raw, "StringEquals", "sts:ExternalId", "<EXTERNAL_ID>")
    assert out["Condition"] == {
        "StringLike": {"aws:SourceIp": "10.0.0.0/8"},
        "StringEquals": {"sts:ExternalId": "<EXTERNAL_ID>"},
    }
    assert raw["Condition"]["StringLike"]["STS:ExternalId"] == "*"


def test_without_ifexists_moves_only_the_named_keys_to_the_strict_operator() -> None:
    raw = _statement(
        Condition={
            "StringEqualsIfExists": {"sts:ExternalId": "e", "aws:SourceIp": "10.0.0.0/8"},
            "ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-1"},
        }
    )
    out = without_ifexists(raw, ["STS:EXTERNALID", "aws:PrincipalOrgID"])
    assert out["Condition"] == {
        "StringEquals": {"sts:ExternalId": "e", "aws:PrincipalOrgID": "o-1"},
        "StringEqualsIfExists": {"aws:SourceIp": "10.0.0.0/8"},
    }
    assert without_ifexists(_statement(), ["sts:ExternalId"]) == _statement()


def test_replace_principal_swaps_or_drops_one_principal() -> None:
    raw = _statement(Principal={"AWS": [VENDOR, OTHER]})
    first, second = read_trust({"Statement": [raw]}).grants
    assert replace_principal(raw, first, None) == _statement(Principal={"AWS": OTHER})
    assert replace_principal(raw, first, "arn:aws:iam::<ACCOUNT_ID>:root") == _statement(
        Principal={"AWS": [OTHER, "arn:aws:iam::<ACCOUNT_ID>:root"]}
    )
    alone = _statement(Principal={"AWS": VENDOR})
    (grant,) = read_trust({"Statement": [alone]}).grants
    assert replace_principal(alone, grant, None) is None  # nothing left: delete it
    assert second.principal == OTHER


def test_replace_principal_turns_notprincipal_into_a_principal() -> None:
    raw = _statement(NotPrincipal={"AWS": VENDOR})
    (grant,) = read_trust({"Statement": [raw]}).grants
    assert replace_principal(raw, grant, OTHER) == _statement(Principal={"AWS": OTHER})
    assert replace_principal(raw, grant, None) is None
