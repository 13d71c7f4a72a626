"""Sessions, credential errors and API-call accounting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, NoCredentialsError
from botocore.stub import Stubber

from auditor.collect import identify
from auditor.collect import session as session_module
from auditor.collect.session import (
    CLIENT_CONFIG,
    FAIL_FAST_ATTEMPTS,
    FAIL_FAST_CONFIG,
    CallRecorder,
    CredentialsError,
    Deadline,
    describe_credentials_failure,
    make_session,
)

from .conftest import ACCOUNT_ID


def test_client_config_retries_adaptively(aws_env: None):
    config = boto3.Session().client("iam", config=CLIENT_CONFIG).meta.config
    assert config.retries is not None
    assert config.retries["mode"] == "adaptive"
    # botocore rewrites max_attempts=10 (retries) as the total: one call plus ten retries.
    assert config.retries["total_max_attempts"] == 11
    assert (config.connect_timeout, config.read_timeout) == (10, 60)


def test_regional_listing_fails_fast(aws_env: None):
    config = boto3.Session().client("accessanalyzer", config=FAIL_FAST_CONFIG).meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": FAIL_FAST_ATTEMPTS}
    assert FAIL_FAST_ATTEMPTS == 3
    assert (config.connect_timeout, config.read_timeout) == (5, 10)
    assert config.user_agent_extra == "iam-auditor"


@pytest.mark.parametrize(
    ("env", "large_reads", "regional"),
    [(None, 11, 3), ("20", 20, 3), ("2", 2, 2), ("1", 1, 1)],
)
def test_aws_max_attempts_applies_to_large_reads_and_only_lowers_the_regional_listing(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, env: str | None, large_reads: int, regional: int
):
    if env is not None:
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", env)
    deadline = Deadline(900)
    session = boto3.Session()
    iam = session.client("iam", config=deadline.config()).meta.config
    aa = session.client("accessanalyzer", config=deadline.fail_fast_config()).meta.config
    assert iam.retries is not None and aa.retries is not None
    assert (iam.retries["mode"], iam.retries["total_max_attempts"]) == ("adaptive", large_reads)
    assert (aa.retries["mode"], aa.retries["total_max_attempts"]) == ("standard", regional)


def test_endpoint_comes_from_boto3_configuration(aws_env: None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4599")
    session = make_session()
    iam = session.client("iam", config=CLIENT_CONFIG)
    sts = session.client("sts", config=session_module.IDENTITY_CONFIG)
    assert iam.meta.endpoint_url == "http://127.0.0.1:4566"
    assert sts.meta.endpoint_url == "http://127.0.0.1:4599"


def test_unknown_profile_is_one_clear_line(aws_env: None):
    with pytest.raises(CredentialsError) as info:
        make_session(profile="prod")
    message = str(info.value)
    assert message.startswith("AWS profile 'prod' not found in ")
    assert message.endswith("aws-config")  # the file in use (AWS_CONFIG_FILE)
    assert "\n" not in message


def test_profile_and_region(aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    (tmp_path / "aws-config").write_text("[profile audit]\nregion = eu-west-2\n")
    (tmp_path / "aws-credentials").write_text(
        "[audit]\naws_access_key_id = AKIDAUDIT\naws_secret_access_key = s3cr3t\n"
    )
    session = make_session(profile="audit")
    assert session.profile_name == "audit"
    assert session.region_name == "eu-west-2"
    assert make_session(profile="audit", region="ap-south-1").region_name == "ap-south-1"
    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.access_key == "AKIDAUDIT"


def test_assumed_role_session(mocked: boto3.Session, monkeypatch: pytest.MonkeyPatch):
    sent: list[dict[str, Any]] = []
    real_session = boto3.Session

    def recording_session(*args: Any, **kwargs: Any) -> boto3.Session:
        made = real_session(*args, **kwargs)
        made.events.register(
            "before-parameter-build.sts.AssumeRole",
            lambda params, **_: sent.append(dict(params)),
        )
        return made

    monkeypatch.setattr(session_module.boto3, "Session", recording_session)
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/auditor"

    session = make_session(
        region="eu-central-1", role_arn=role_arn, external_id="ext-7", session_name="nightly"
    )

    assert sent == [{"RoleArn": role_arn, "RoleSessionName": "nightly", "ExternalId": "ext-7"}]
    assert session.region_name == "eu-central-1"
    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.token  # temporary credentials
    arn = session.client("sts").get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/auditor/nightly"


def test_denied_assume_role_is_a_credentials_error(
    mocked: boto3.Session, monkeypatch: pytest.MonkeyPatch
):
    from moto.core.exceptions import AccessDeniedError
    from moto.sts.models import STSBackend

    def deny(self: STSBackend, **kwargs: Any) -> None:
        raise AccessDeniedError(
            user_arn="arn:aws:iam::123456789012:user/me", action="sts:AssumeRole"
        )

    monkeypatch.setattr(STSBackend, "assume_role", deny)

    with pytest.raises(CredentialsError) as info:
        make_session(role_arn="arn:aws:iam::210987654321:role/audit")

    message = str(info.value)
    assert "assuming role arn:aws:iam::210987654321:role/audit failed: AccessDenied" in message
    assert "\n" not in message


def test_identify_reads_account_and_partition(mocked: boto3.Session):
    assert identify(mocked) == (ACCOUNT_ID, "aws")


def client_error(code: str, message: str = "msg") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "GetCallerIdentity")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (NoCredentialsError(), "no usable AWS credentials while identifying"),
        (client_error("ExpiredToken"), "AWS credentials have expired (ExpiredToken)"),
        (client_error("InvalidClientTokenId", "bad"), "AWS rejected the credentials"),
        (client_error("SignatureDoesNotMatch"), "AWS rejected the credentials"),
        (client_error("Throttling", "slow\ndown"), "identifying failed: Throttling: slow down"),
    ],
)
def test_credentials_failures_are_described_on_one_line(exc: Exception, expected: str):
    message = describe_credentials_failure(exc, "identifying")
    assert expected in message
    assert "\n" not in message


# --- CallRecorder -------------------------------------------------------------------------


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def test_recorder_counts_calls_once_and_attempts_per_retry(
    mocked: boto3.Session, monkeypatch: pytest.MonkeyPatch
):
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    recorder = CallRecorder()
    recorder.attach(mocked)
    iam = mocked.client("iam", config=CLIENT_CONFIG)
    failures = [AWSResponse("https://iam.amazonaws.com/", 500, {}, _Raw(b"<Error/>"))]

    def fail_once(**_: Any) -> AWSResponse | None:
        return failures.pop() if failures else None

    iam.meta.events.register_first("before-send.iam.GetAccountSummary", fail_once)

    iam.get_account_summary()
    iam.list_saml_providers()
    iam.list_saml_providers()

    assert recorder.calls == {"iam:GetAccountSummary": 1, "iam:ListSAMLProviders": 2}
    assert recorder.attempts == {"iam:GetAccountSummary": 2, "iam:ListSAMLProviders": 2}
    assert recorder.total == 3


def test_recorder_counts_stubbed_and_regional_calls_with_policy_prefixes(aws_env: None):
    session = boto3.Session()
    recorder = CallRecorder()
    recorder.attach(session)
    aa = session.client("accessanalyzer", region_name="eu-west-1")
    with Stubber(aa) as stubber:
        stubber.add_response("list_analyzers", {"analyzers": []})
        aa.list_analyzers()

    assert recorder.calls == {"access-analyzer:ListAnalyzers": 1}
    assert recorder.attempts == {}  # a stub sends nothing


def test_detached_recorder_stops_counting(mocked: boto3.Session):
    recorder = CallRecorder()
    recorder.attach(mocked)
    mocked.client("iam").list_saml_providers()
    recorder.detach(mocked)
    mocked.client("iam").list_saml_providers()
    assert recorder.calls == {"iam:ListSAMLProviders": 1}


def test_two_collections_on_one_session_count_separately(mocked: boto3.Session):
    from auditor.collect import collect
    from auditor.model import Source

    first = collect(mocked, [Source.ACCOUNT_SUMMARY])
    second = collect(mocked, [Source.ACCOUNT_SUMMARY])
    assert (
        first.api_calls
        == second.api_calls
        == {
            "iam:GetAccountSummary": 1,
            "sts:GetCallerIdentity": 1,
        }
    )
