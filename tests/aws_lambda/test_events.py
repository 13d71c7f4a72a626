"""The Lambda's events, validated: what each asks for, and whole values only.

``"123456789012\n"`` used to pass as an account id (``$`` also matches before a final
newline); in an event a line break is refused. Role names follow the same rule as the
CLI's ``--role-name`` (role_names.py), and a role with a path reaches ``sts:AssumeRole``
as its ARN.
"""

from __future__ import annotations

from typing import Any, cast

import boto3
import pytest
import role_names

from auditor.aws_lambda.events import parse_event
from auditor.aws_lambda.handler import handler
from auditor.aws_lambda.settings import HandlerError
from auditor.collect.session import CredentialsError

from .conftest import (
    ACCOUNT,
    BUCKET,
)

MEMBER = "111122223333"
ARABIC_INDIC = "١١١١٢٢٢٢٣٣٣٣"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([], "the event must be a JSON object, not list"),
        ({"action": "audit"}, "unknown action 'audit'"),
        ({"action": "aggregate"}, "needs 'results'"),
        ({"action": "aggregate", "results": [1]}, "needs 'results'"),
        ({"action": "aggregate", "results": [], "result_writer": {}}, "or 'result_writer'"),
        ({"action": "aggregate", "result_writer": "s3://b/k"}, "'result_writer' must be"),
        ({"action": "aggregate", "result_writer": {"Bucket": BUCKET}}, "'result_writer' must be"),
        ({"account_id": "12345"}, "not a 12-digit account id"),
        ({"account_id": 123456789012}, "not a 12-digit account id"),
        ({"account_id": ACCOUNT, "role_name": "a b"}, "not an IAM role name"),
    ],
)
def test_bad_events_are_clear_errors(event: Any, message: str) -> None:
    with pytest.raises(HandlerError) as caught:
        parse_event(event)
    assert message in str(caught.value)


# --- events --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"account_id": f"{MEMBER}\n"}, "is not a 12-digit account id"),
        ({"account_id": f"{MEMBER}\r\n"}, "is not a 12-digit account id"),
        ({"account_id": ARABIC_INDIC}, "is not a 12-digit account id"),
        ({"account_id": MEMBER, "role_name": "IamAuditor\n"}, "is not an IAM role name"),
        ({"account_id": MEMBER, "external_id": "ext-1234\n"}, "is not a valid external id"),
    ],
)
def test_event_values_with_a_line_break_are_refused(event: dict[str, Any], message: str) -> None:
    with pytest.raises(HandlerError, match=message):
        parse_event(event)


@pytest.mark.parametrize("role", role_names.ACCEPTED)
def test_event_role_name_takes_what_the_cli_takes(role: str) -> None:
    assert parse_event({"account_id": MEMBER, "role_name": role}).role_name == role


@pytest.mark.parametrize("role", role_names.REJECTED.values(), ids=role_names.REJECTED.keys())
def test_event_role_name_refuses_what_the_cli_refuses(role: str) -> None:
    with pytest.raises(HandlerError, match=r"event role_name .* is not an IAM role name"):
        parse_event({"account_id": MEMBER, "role_name": role})


# --- the path form reaches sts:AssumeRole --------------------------------------------------


@pytest.fixture
def function_env(s3: Any) -> None:
    """The report bucket in moto and the function's environment pointing at it."""


@pytest.fixture
def assumed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The role ARNs the function tries to assume; each attempt is refused."""
    from auditor import org
    from auditor.aws_lambda import runner

    arns: list[str] = []

    def refuse(
        session: boto3.Session, account_id: str, *, role_name: str, partition: str, **_: Any
    ) -> boto3.Session:
        arns.append(org.role_arn(account_id, role_name, partition))
        raise CredentialsError(f"AccessDenied assuming {arns[-1]}")

    monkeypatch.setattr(runner, "member_session", refuse)
    return arns


@pytest.mark.parametrize("source", ["environment", "event"])
def test_a_member_role_with_a_path_is_assumed_by_its_arn(
    function_env: None,
    assumed: list[str],
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    event: dict[str, Any] = {"account_id": MEMBER, "name": "member"}
    if source == "environment":
        monkeypatch.setenv("AUDITOR_ROLE_NAME", "audit/IamAuditor")
    else:
        event["role_name"] = "audit/IamAuditor"
    result = cast("dict[str, Any]", handler(event, None))
    assert assumed == [f"arn:aws:iam::{MEMBER}:role/audit/IamAuditor"]
    assert result["audited"] is False
    assert result["account_id"] == MEMBER
