"""The pure parts of the HTTP harness: request accounting and the CLI's env."""

from __future__ import annotations

import io
from typing import Any

import pytest

from testkit.server import CallRecorder, CountingApp, cli_env, operation_of

AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20261123/{region}/{service}/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


def environ(
    *, service: str = "iam", body: bytes = b"", query: str = "", path: str = "/", **extra: str
) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": "POST" if body else "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_AUTHORIZATION": AUTH.format(region="us-east-1", service=service),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8" if body else "",
        "wsgi.input": io.BytesIO(body),
    }
    env.update(extra)
    return env


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (environ(body=b"Action=GetCredentialReport&Version=2010-05-08"), "iam:GetCredentialReport"),
        (environ(service="ec2", query="Action=DescribeRegions"), "ec2:DescribeRegions"),
        (
            environ(service="organizations", HTTP_X_AMZ_TARGET="AWSOrgs_20161128.ListAccounts"),
            "organizations:ListAccounts",
        ),
        (
            environ(service="monitoring", path="/service/Granite/operation/GetMetricData"),
            "monitoring:GetMetricData",
        ),
        (environ(service="s3", path="/bucket/key"), "s3:GET /bucket/key"),
        ({"PATH_INFO": "/", "REQUEST_METHOD": "GET"}, "unsigned:GET /"),
    ],
)
def test_operation_of_each_protocol(env: dict[str, Any], expected: str) -> None:
    assert operation_of(env)[0] == expected


def test_counting_app_puts_the_body_back() -> None:
    seen: list[bytes] = []

    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(env["wsgi.input"].read())
        return [b"ok"]

    recorder = CallRecorder()
    counting = CountingApp(app, recorder)
    body = b"Action=ListUsers&Version=2010-05-08"
    assert counting(environ(body=body), lambda *a: None) == [b"ok"]
    counting(environ(body=body), lambda *a: None)
    counting(environ(path="/moto-api/reset"), lambda *a: None)  # moto's own API: not AWS
    assert seen[0] == body
    assert recorder.counts() == {"iam:ListUsers": 2}
    assert recorder.total() == 2
    recorder.clear()
    assert recorder.counts() == {}


def test_cli_env_drops_the_developers_aws_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", "https://elsewhere.example")
    monkeypatch.setenv("BOTO_CONFIG", "/etc/boto.cfg")
    monkeypatch.setenv("KEEP_ME", "1")
    env = cli_env("http://127.0.0.1:1", None, AWS_ACCESS_KEY_ID="AKIAOTHER")
    assert {k for k in env if k.startswith(("AWS_", "BOTO"))} == {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_EC2_METADATA_DISABLED",
    }
    assert env["AWS_ACCESS_KEY_ID"] == "AKIAOTHER"
    assert env["KEEP_ME"] == "1"
    with_stub = cli_env("http://127.0.0.1:1", "http://127.0.0.1:2")
    assert with_stub["AWS_ENDPOINT_URL_ACCESSANALYZER"] == "http://127.0.0.1:2"
