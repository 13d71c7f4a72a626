"""The Lambda's validation of its environment and events: whole values, one rule per name.

``$`` in a regular expression also matches before a final newline, so ``"123456789012\n"``
used to pass as an account id. The environment variables are stripped before they are
checked (a YAML block scalar ends in a newline), so there a trailing newline is dropped,
never kept; inside a value, and in an event, it is refused. Role names follow the same
rule as the CLI's ``--role-name`` (role_names.py): ``NAME`` or ``PATH/NAME``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest
import role_names

from auditor import lambda_handler
from auditor.collect.session import CredentialsError
from auditor.lambda_handler import (
    HandlerError,
    LambdaSettings,
    child_result,
    handler,
    parse_event,
    parse_s3_uri,
)

BUCKET = "iam-auditor-reports-test"
BASE_ENV = {"AUDITOR_REPORT_BUCKET": BUCKET}
ACCOUNT = "123456789012"  # moto's account: the function's own
MEMBER = "111122223333"
ARABIC_INDIC = "١١١١٢٢٢٢٣٣٣٣"


# --- the environment -----------------------------------------------------------------------


@pytest.mark.parametrize("role", role_names.ACCEPTED)
def test_env_role_name_takes_what_the_cli_takes(role: str) -> None:
    settings = LambdaSettings.from_env({**BASE_ENV, "AUDITOR_ROLE_NAME": role})
    assert settings.role_name == role


@pytest.mark.parametrize("role", role_names.REJECTED.values(), ids=role_names.REJECTED.keys())
def test_env_role_name_refuses_what_the_cli_refuses(role: str) -> None:
    with pytest.raises(HandlerError, match=r"AUDITOR_ROLE_NAME=.* is not an IAM role name"):
        LambdaSettings.from_env({**BASE_ENV, "AUDITOR_ROLE_NAME": role})


def test_env_values_are_stripped_so_a_trailing_newline_is_never_kept() -> None:
    settings = LambdaSettings.from_env(
        {
            "AUDITOR_REPORT_BUCKET": f"{BUCKET}\n",
            "AUDITOR_REPORT_PREFIX": "audits\n",
            "AUDITOR_ROLE_NAME": "audit/IamAuditor\n",
            "AUDITOR_EXTERNAL_ID": "ext-1234\n",
            "AUDITOR_CONFIG_S3_URI": "s3://cfg-bucket/iam.toml\n",
        }
    )
    assert settings.bucket == BUCKET
    assert settings.prefix == "audits"
    assert settings.role_name == "audit/IamAuditor"
    assert settings.external_id == "ext-1234"
    assert settings.config_s3_uri == "s3://cfg-bucket/iam.toml"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        # A newline ending a segment, not the variable: the strip leaves it in.
        ("AUDITOR_REPORT_PREFIX", "audits\n/iam", "is not a usable key segment"),
        ("AUDITOR_CONFIG_S3_URI", "s3://cfg-bucket\n/iam.toml", "not an s3://bucket/key URI"),
        ("AUDITOR_CONFIG_S3_URI", "s3://cfg-bucket/a\nb.toml", "not an s3://bucket/key URI"),
        ("AUDITOR_REPORT_BUCKET", "iam-auditor\nreports", "is not an S3 bucket name"),
        ("AUDITOR_ROLE_NAME", "IamAuditor\n\u00a0x", "is not an IAM role name"),
        ("AUDITOR_EXTERNAL_ID", "ext-1234\nx", "AUDITOR_EXTERNAL_ID is not a valid external id"),
        ("AUDITOR_EXTERNAL_ID", "ext-ü1234", "AUDITOR_EXTERNAL_ID is not a valid external id"),
        ("AUDITOR_ROLE_NAME", "Rôle", "is not an IAM role name"),
    ],
)
def test_env_line_breaks_and_non_ascii_inside_a_value_are_refused(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(HandlerError, match=message):
        LambdaSettings.from_env({**BASE_ENV, name: value})


def test_the_external_id_is_not_echoed_when_refused() -> None:
    with pytest.raises(HandlerError) as caught:
        LambdaSettings.from_env({**BASE_ENV, "AUDITOR_EXTERNAL_ID": "secret-ish\nx"})
    assert "secret-ish" not in str(caught.value)


@pytest.mark.parametrize("uri", ["s3://cfg-bucket/iam.toml\n", "s3://cfg-bucket\n/iam.toml"])
def test_parse_s3_uri_refuses_a_line_break(uri: str) -> None:
    with pytest.raises(HandlerError, match="not an s3://bucket/key URI"):
        parse_s3_uri(uri)


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


def test_a_map_child_whose_input_account_ends_in_a_newline_has_no_account() -> None:
    execution = {"Input": json.dumps({"account_id": f"{MEMBER}\n"}), "Status": "FAILED"}
    with pytest.raises(HandlerError, match="has no 12-digit account_id"):
        child_result(execution, "FAILED", "results/FAILED_0.json #0")


# --- the path form reaches sts:AssumeRole --------------------------------------------------


# The handler installs its JSON log formatter on the root logger.
pytestmark = pytest.mark.usefixtures("restore_root_logger")


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, aws_session: boto3.Session) -> None:
    """The report bucket in moto and the function's environment pointing at it."""
    for name in list(os.environ):
        if name.startswith("AUDITOR_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AUDITOR_REPORT_BUCKET", BUCKET)
    aws_session.client("s3").create_bucket(Bucket=BUCKET)


@pytest.fixture
def assumed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The role ARNs the function tries to assume; each attempt is refused."""
    from auditor import org

    arns: list[str] = []

    def refuse(
        session: boto3.Session,
        account_id: str,
        *,
        role_name: str,
        external_id: str | None,
        partition: str = "aws",
        session_name: str = "iam-auditor",
    ) -> boto3.Session:
        arns.append(org.role_arn(account_id, role_name, partition))
        raise CredentialsError(f"AccessDenied assuming {arns[-1]}")

    monkeypatch.setattr(org, "member_session", refuse)
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
    result = handler(event, None)
    assert assumed == [f"arn:aws:iam::{MEMBER}:role/audit/IamAuditor"]
    assert result["audited"] is False
    assert result["account_id"] == MEMBER


def test_module_has_no_validator_of_its_own() -> None:
    # One rule per name, in auditor.names: the handler keeps no copy that could drift.
    assert not any(
        name in vars(lambda_handler)
        for name in ("_BUCKET", "_ROLE_NAME", "_EXTERNAL_ID", "_PREFIX_PART", "ACCOUNT_ID")
    )
