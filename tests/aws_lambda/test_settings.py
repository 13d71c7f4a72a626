"""The Lambda's environment, validated: whole values, one rule per name.

``$`` in a regular expression also matches before a final newline, so a bucket or a prefix
with a trailing newline used to pass. The environment variables are stripped before they
are checked (a YAML block scalar ends in a newline), so there a trailing newline is dropped,
never kept; inside a value it is refused. Role names follow the same rule as the CLI's
``--role-name`` (role_names.py): ``NAME`` or ``PATH/NAME``.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import role_names

from auditor import aws_lambda, lambda_handler
from auditor.aws_lambda.settings import HandlerError, LambdaSettings, Mode, parse_s3_uri

from .conftest import (
    BASE_ENV,
    BUCKET,
)


def test_settings_defaults() -> None:
    settings = LambdaSettings.from_env(BASE_ENV)
    assert settings == LambdaSettings(bucket=BUCKET)
    assert settings.prefix == "iam-auditor"
    assert settings.mode is Mode.ACCOUNT
    assert settings.role_name == "OrganizationAccountAccessRole"
    assert settings.max_workers == 8
    assert settings.kms_key_id is settings.sns_topic_arn is settings.config_text is None


def test_settings_from_every_variable() -> None:
    env = {
        **BASE_ENV,
        "AUDITOR_REPORT_PREFIX": "/security/iam/",
        "AUDITOR_CONFIG_S3_URI": "s3://cfg-bucket/a/b.toml",
        "AUDITOR_KMS_KEY_ID": "alias/reports",
        "AUDITOR_SNS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:audits",
        "AUDITOR_MODE": "ORG",
        "AUDITOR_ROLE_NAME": "AuditRole",
        "AUDITOR_EXTERNAL_ID": "ext-1234",
        "AUDITOR_MAX_WORKERS": "32",
        # Templates pass "" for an optional parameter left blank.
        "AUDITOR_CONFIG": "",
    }
    settings = LambdaSettings.from_env(env)
    assert settings.prefix == "security/iam"
    assert settings.config_s3_uri == "s3://cfg-bucket/a/b.toml"
    assert settings.config_text is None
    assert settings.kms_key_id == "alias/reports"
    assert settings.sns_topic_arn == "arn:aws:sns:eu-west-1:123456789012:audits"
    assert settings.mode is Mode.ORG
    assert settings.role_name == "AuditRole"
    assert settings.external_id == "ext-1234"
    assert "ext-1234" not in repr(settings)
    assert settings.max_workers == 32


def test_default_role_name_is_the_org_runners() -> None:
    from auditor.defaults import ORG_ROLE_NAME

    assert LambdaSettings.from_env(BASE_ENV).role_name == ORG_ROLE_NAME


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "AUDITOR_REPORT_BUCKET is not set"),
        ({"AUDITOR_REPORT_BUCKET": "  "}, "AUDITOR_REPORT_BUCKET is not set"),
        ({"AUDITOR_REPORT_BUCKET": "s3://bucket"}, "not an S3 bucket name"),
        ({**BASE_ENV, "AUDITOR_MODE": "all"}, "AUDITOR_MODE='all' is not valid; use 'account' or"),
        (
            {**BASE_ENV, "AUDITOR_CONFIG": "x = 1", "AUDITOR_CONFIG_S3_URI": "s3://b-b/c"},
            "set AUDITOR_CONFIG or AUDITOR_CONFIG_S3_URI, not both",
        ),
        ({**BASE_ENV, "AUDITOR_CONFIG_S3_URI": "https://x/y"}, "not an s3://bucket/key URI"),
        ({**BASE_ENV, "AUDITOR_CONFIG_S3_URI": "s3://bucket-only"}, "not an s3://bucket/key"),
        ({**BASE_ENV, "AUDITOR_MAX_WORKERS": "0"}, "AUDITOR_MAX_WORKERS='0' must be a whole"),
        ({**BASE_ENV, "AUDITOR_MAX_WORKERS": "65"}, "from 1 to 64"),
        ({**BASE_ENV, "AUDITOR_MAX_WORKERS": "eight"}, "AUDITOR_MAX_WORKERS='eight'"),
        ({**BASE_ENV, "AUDITOR_REPORT_PREFIX": "a/../b"}, "'..' is not a usable key segment"),
        ({**BASE_ENV, "AUDITOR_ROLE_NAME": "role/with spaces"}, "not an IAM role name"),
        ({**BASE_ENV, "AUDITOR_EXTERNAL_ID": "x"}, "AUDITOR_EXTERNAL_ID is not a valid"),
    ],
)
def test_bad_settings_are_clear_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(HandlerError) as caught:
        LambdaSettings.from_env(env)
    assert message in str(caught.value)


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


def test_module_has_no_validator_of_its_own() -> None:
    # One rule per name, in auditor.names: the handler keeps no copy that could drift.
    modules = [
        importlib.import_module(f"{aws_lambda.__name__}.{info.name}")
        for info in pkgutil.iter_modules(aws_lambda.__path__)
    ]
    assert len(modules) > 5
    assert not any(
        name in vars(module)
        for module in [lambda_handler, *modules]
        for name in ("_BUCKET", "_ROLE_NAME", "_EXTERNAL_ID", "_PREFIX_PART", "ACCOUNT_ID")
    )
